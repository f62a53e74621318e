"""A reused photo's duplicate check, as each audience is told it: the verdict for everyone, the
other property only for staff (a client must not learn that another client's property exists).
"""

from typing import Any

import pytest
from django.test import Client

from photos.models import Photo, QcStatus
from photos.services import photo_run_qc
from properties.models import Property
from propflow.realtime.broadcast import STAFF_GROUP, user_group
from tests.events import EventListener
from tests.factories import PropertyFactory
from tests.photos.conftest import phone_jpeg, uploaded

pytestmark = pytest.mark.django_db

NEUTRAL = "matches a photo already on file; a reviewer will check it"


@pytest.fixture
def data(inspecting) -> bytes:
    return phone_jpeg(inspecting)


@pytest.fixture
def elsewhere(cast, data) -> Property:
    """Another client's property, whose photo the agent is about to upload again."""
    other = PropertyFactory.create(owner=cast.other_client)
    first = uploaded(other, data)
    photo_run_qc(photo_id=first.pk)
    return other


@pytest.fixture
def reused(inspecting, elsewhere, data) -> Photo:
    """The same file, uploaded by the agent inspecting the first client's property."""
    return uploaded(inspecting, data)


def duplicate_check(checks: list[dict[str, str]]) -> dict[str, str]:
    (check,) = [check for check in checks if check["name"] == "duplicate"]
    return check


def run_qc_heard_by(cast, photo, capture) -> dict[str, list[dict[str, Any]]]:
    listeners = {
        "owner": EventListener([user_group(cast.owner.pk)]),
        "assigned_agent": EventListener([user_group(cast.assigned_agent.pk)]),
        "staff": EventListener([STAFF_GROUP]),
    }
    with capture(execute=True):
        photo_run_qc(photo_id=photo.pk)
    return {audience: listener.events() for audience, listener in listeners.items()}


@pytest.mark.parametrize("role", ["owner", "assigned_agent"])
def test_the_client_and_the_agent_see_the_verdict_but_not_the_other_property(
    cast, inspecting, elsewhere, reused, role
):
    photo_run_qc(photo_id=reused.pk)

    api = cast.client(role)
    photo = api.get(f"/api/v1/photos/{reused.pk}/")
    listed = api.get(f"/api/v1/properties/{inspecting.pk}/photos/")

    assert photo.json()["qc_status"] == QcStatus.FAIL
    assert duplicate_check(photo.json()["qc_checks"]) == {
        "name": "duplicate",
        "result": "fail",
        "detail": NEUTRAL,
    }
    (listed_photo,) = listed.json()["results"]
    assert listed_photo["qc_checks"] == photo.json()["qc_checks"]
    for text in (photo.content.decode(), listed.content.decode()):
        assert str(elsewhere.pk) not in text
        assert "another property" not in text
        assert elsewhere.address not in text


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_staff_see_which_property_the_photo_belongs_to(cast, elsewhere, reused, role):
    photo_run_qc(photo_id=reused.pk)

    body = cast.client(role).get(f"/api/v1/photos/{reused.pk}/").json()

    assert duplicate_check(body["qc_checks"]) == {
        "name": "duplicate",
        "result": "fail",
        "detail": f"the same file as a photo of property {elsewhere.pk}",
        "related_property_id": str(elsewhere.pk),
    }


def test_the_qc_event_tells_each_audience_its_own_detail(
    cast, elsewhere, reused, django_capture_on_commit_callbacks
):
    heard = run_qc_heard_by(cast, reused, django_capture_on_commit_callbacks)

    details = {
        audience: [duplicate_check(event["checks"]) for event in events]
        for audience, events in heard.items()
    }
    neutral = {"name": "duplicate", "result": "fail", "detail": NEUTRAL}
    assert details == {
        "owner": [neutral],
        "assigned_agent": [neutral],
        "staff": [
            {
                "name": "duplicate",
                "result": "fail",
                "detail": f"the same file as a photo of property {elsewhere.pk}",
                "related_property_id": str(elsewhere.pk),
            }
        ],
    }
    for audience in ("owner", "assigned_agent"):
        assert str(elsewhere.pk) not in str(heard[audience])


def test_the_admin_pages_name_the_other_property(cast, inspecting, elsewhere, reused):
    photo_run_qc(photo_id=reused.pk)
    client = Client()
    client.force_login(cast.reviewer)

    pages = [
        client.get(f"/admin/photos/photo/{reused.pk}/change/"),
        client.get(f"/admin/properties/property/{inspecting.pk}/change/"),
    ]

    assert [page.status_code for page in pages] == [200, 200]
    for page in pages:
        assert f"the same file as a photo of property {elsewhere.pk}" in page.content.decode()


def test_a_check_stored_before_the_fix_is_neutral_for_the_client_too(cast, reused):
    Photo.objects.filter(pk=reused.pk).update(
        qc_status=QcStatus.FAIL,
        qc_checks=[
            {
                "name": "duplicate",
                "result": "fail",
                "detail": "the same file as a photo of another property",
            }
        ],
    )

    body = cast.client("owner").get(f"/api/v1/photos/{reused.pk}/").json()

    assert body["qc_checks"] == [{"name": "duplicate", "result": "fail", "detail": NEUTRAL}]
