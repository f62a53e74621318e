"""The admin site refuses what Django's admin would answer with a 500 (propflow/admin_site.py):
a NUL in the query string, a list action on a selection that is not ids, a number past the
calendar or the database, view-on-site of an id that is not one."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import TaskResult

from accounts.models import User
from photos.models import Photo, ReviewStatus
from properties.models import Property, Status
from tests.cast import Cast
from tests.factories import PhotoFactory
from tests.properties.conftest import property_in

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@contextmanager
def _parameters_sent_to_the_database() -> Iterator[list[Any]]:
    sent: list[Any] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        for row in params if many else [params or ()]:
            sent.extend(row)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield sent


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("admin:properties_property_changelist", {"q": "Pune\x00"}),
        ("admin:properties_property_changelist", {"city": "Pune\x00"}),
        ("admin:properties_property_export", {"status__exact": "\x00"}),
        ("admin:photos_photo_changelist", {"q": "\x00"}),
        ("admin:accounts_user_changelist", {"phone": "\x00"}),
        ("admin:django_celery_results_taskresult_changelist", {"q": "\x00"}),
    ],
)
def test_a_nul_in_a_list_s_url_is_a_bad_request_the_database_never_sees(
    cast: Cast, url_name: str, query: dict[str, str]
) -> None:
    # PostgreSQL cannot compare text holding a NUL: the query would fail there with a 500.
    property_in(Status.IN_REVIEW, cast=cast)
    client = _signed_in(cast.admin)

    with _parameters_sent_to_the_database() as sent:
        response = client.get(reverse(url_name), query)

    assert response.status_code == 400
    assert [value for value in sent if isinstance(value, str) and "\x00" in value] == []


@pytest.mark.parametrize(
    "not_an_id",
    ["not-a-uuid", "0", "'", "x" * 10_000],
    ids=["not-a-uuid", "zero", "quote", "10000-characters"],
)
def test_an_action_on_a_selection_that_is_not_ids_is_a_bad_request_and_changes_nothing(
    cast: Cast, not_an_id: str
) -> None:
    photo = PhotoFactory.create(
        property=property_in(Status.IN_REVIEW, cast=cast), uploaded_by=cast.assigned_agent
    )

    response = _signed_in(cast.reviewer).post(
        reverse("admin:photos_photo_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [str(photo.pk), not_an_id]},
    )

    assert response.status_code == 400
    assert Photo.objects.get(pk=photo.pk).review_status == ReviewStatus.PENDING


@pytest.mark.parametrize(
    "not_an_id", ["not-a-number", "9" * 30], ids=["not-a-number", "beyond-64-bits"]
)
def test_an_action_on_integer_keys_refuses_a_selection_that_is_not_one(
    cast: Cast, not_an_id: str
) -> None:
    result = TaskResult.objects.create(task_id="a-task")

    response = _signed_in(cast.admin).post(
        reverse("admin:django_celery_results_taskresult_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(result.pk), not_an_id]},
    )

    assert response.status_code == 400
    assert list(TaskResult.objects.values_list("pk", flat=True)) == [result.pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"date_done__year": "9999"}, 400),
        ({"date_done__year": "9" * 30}, 400),
        # SQLite cannot bind it; PostgreSQL compares it as a numeric and finds nothing.
        ({"pk__in": "9" * 30}, 400 if connection.vendor == "sqlite" else 200),
    ],
    ids=["the-last-year", "a-year-beyond-64-bits", "an-id-beyond-64-bits"],
)
def test_a_number_past_the_calendar_or_the_database_in_a_list_is_a_bad_request(
    cast: Cast, query: dict[str, str], expected: int
) -> None:
    TaskResult.objects.create(task_id="a-task", date_done=timezone.now())

    response = _signed_in(cast.admin).get(
        reverse("admin:django_celery_results_taskresult_changelist"), query
    )

    assert response.status_code == expected


@pytest.mark.parametrize(
    "not_an_id", ["not-a-uuid", "0", "x" * 10_000], ids=["not-a-uuid", "zero", "10000-characters"]
)
def test_view_on_site_of_an_id_that_is_not_one_is_not_found(cast: Cast, not_an_id: str) -> None:
    content_type = ContentType.objects.get_for_model(Property)

    response = _signed_in(cast.reviewer).get(
        reverse("admin:view_on_site", args=[content_type.pk, not_an_id])
    )

    assert response.status_code == 404
