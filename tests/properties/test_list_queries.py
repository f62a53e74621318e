"""The list endpoint's cost does not grow with its page, and its QC summaries add up."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from photos.models import Category, Photo, QcStatus
from properties.models import Property, Status
from tests.cast import Cast, authenticated_client
from tests.factories import PhotoFactory, PropertyFactory
from tests.properties.conftest import DUE_DATE

pytestmark = pytest.mark.django_db

URL = "/api/v1/properties/"
PROPERTIES = 105
# The photos of property number i: its QC states cycle so that each summary differs.
QC_CYCLE = [
    QcStatus.PASS,
    QcStatus.WARN,
    QcStatus.FAIL,
    QcStatus.ERROR,
    QcStatus.PENDING,
    QcStatus.RUNNING,
    QcStatus.PASS,
]
SUMMARY_KEY = {
    QcStatus.PASS: "pass",
    QcStatus.WARN: "warn",
    QcStatus.FAIL: "fail",
    QcStatus.ERROR: "error",
    QcStatus.PENDING: "pending",
    QcStatus.RUNNING: "pending",
}


def _photo_states(index: int) -> list[QcStatus]:
    return [QC_CYCLE[(index + offset) % len(QC_CYCLE)] for offset in range(index % 4)]


@pytest.fixture
def inspections(cast: Cast) -> dict[str, dict[str, int]]:
    """105 inspections of the owner's, assigned to the agent, with 0 to 3 photos each; returns
    the QC summary each should show."""
    properties = PropertyFactory.build_batch(
        PROPERTIES,
        owner=cast.owner,
        status=Status.INSPECTING,
        assigned_agent=cast.assigned_agent,
        due_date=DUE_DATE,
    )
    Property.objects.bulk_create(properties)
    photos = []
    expected = {}
    for index, property in enumerate(properties):
        states = _photo_states(index)
        expected[str(property.pk)] = {"pass": 0, "warn": 0, "fail": 0, "error": 0, "pending": 0}
        for state in states:
            expected[str(property.pk)][SUMMARY_KEY[state]] += 1
            photos.append(
                PhotoFactory.build(
                    property=property,
                    uploaded_by=cast.assigned_agent,
                    category=Category.FRONT,
                    qc_status=state,
                    file=f"photos/{property.pk}/{index}/original",
                )
            )
    Photo.objects.bulk_create(photos)
    return expected


def _list(user: Any, page_size: int) -> tuple[int, list[dict[str, Any]]]:
    client = authenticated_client(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}?page_size={page_size}")
    assert response.status_code == 200
    return len(queries), response.json()["results"]


@pytest.mark.parametrize("role", ["owner", "assigned_agent", "reviewer"])
def test_the_list_costs_the_same_queries_at_page_size_5_and_100(
    role: str, cast: Cast, inspections: dict[str, dict[str, int]]
) -> None:
    user = cast.everyone()[role]

    small_count, small_page = _list(user, 5)
    large_count, large_page = _list(user, 100)

    assert (len(small_page), len(large_page)) == (5, 100)
    # The user (token), the page, and the QC summaries of the whole page in one query.
    assert small_count == large_count == 3


@pytest.mark.parametrize("role", ["owner", "assigned_agent", "reviewer"])
def test_every_listed_property_carries_its_own_qc_counts(
    role: str, cast: Cast, inspections: dict[str, dict[str, int]]
) -> None:
    _, page = _list(cast.everyone()[role], 100)

    assert {item["id"]: item["qc_summary"] for item in page} == {
        item["id"]: inspections[item["id"]] for item in page
    }
    # The fixture's photos really vary: a summary that ignored them would not pass.
    assert len({tuple(summary.values()) for summary in inspections.values()}) >= 5
    assert (
        sum(sum(item["qc_summary"].values()) for item in page)
        == Photo.objects.filter(property_id__in=[item["id"] for item in page]).count()
    )


def test_a_property_without_photos_has_a_zero_summary(cast: Cast) -> None:
    PropertyFactory.create(owner=cast.owner)

    _, page = _list(cast.owner, 5)

    assert page[0]["qc_summary"] == {"pass": 0, "warn": 0, "fail": 0, "error": 0, "pending": 0}
