"""A property's own URL, /api/v1/properties/<id>/: its fields (the valuation only once issued),
the edits and the deletion it takes, and what it refuses."""

from decimal import Decimal
from typing import Any

import pytest

from photos.models import QcStatus
from properties.models import Property, Status
from tests.cast import Cast, authenticated_client
from tests.factories import PhotoFactory
from tests.properties.conftest import DUE_DATE, NEW_PROPERTY, URL, api_timestamp, property_in, row

pytestmark = pytest.mark.django_db


def test_a_property_has_the_contracts_fields_for_its_assigned_agent(cast: Cast) -> None:
    property = property_in(Status.INSPECTING, cast=cast, revision_count=1)
    PhotoFactory.create(property=property, qc_status=QcStatus.PASS, uploaded_by=cast.owner)
    PhotoFactory.create(property=property, qc_status=QcStatus.RUNNING, uploaded_by=cast.owner)

    response = authenticated_client(cast.assigned_agent).get(f"{URL}{property.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": str(property.pk),
        "owner": str(cast.owner.pk),
        "property_type": "APARTMENT",
        "address": property.address,
        "city": "Pune",
        "postal_code": "411001",
        "area_sqft": "950.00",
        "latitude": 18.5362,
        "longitude": 73.894,
        "status": "INSPECTING",
        "assigned_agent": str(cast.assigned_agent.pk),
        "due_date": DUE_DATE.isoformat(),
        "valuation_amount": None,
        "valuation_notes": "",
        "revision_count": 1,
        "qc_summary": {"pass": 1, "warn": 0, "fail": 0, "error": 0, "pending": 1},
        "allowed_actions": ["complete"],
        "created_at": api_timestamp(property.created_at),
        "updated_at": api_timestamp(property.updated_at),
    }


def test_the_owner_edits_only_the_writable_fields_of_a_draft(cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    before = row(property)

    response = authenticated_client(cast.owner).patch(
        f"{URL}{property.pk}/",
        {
            "city": "Nashik",
            "area_sqft": "1000.25",
            "status": "VALUED",
            "valuation_amount": "1.00",
            "owner": str(cast.other_client.pk),
            "assigned_agent": str(cast.assigned_agent.pk),
            "revision_count": 9,
        },
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["city"], response.json()["area_sqft"]) == ("Nashik", "1000.25")
    after = row(property)
    assert (after["city"], after["area_sqft"]) == ("Nashik", Decimal("1000.25"))
    unchanged = set(before) - {"city", "area_sqft", "updated_at"}
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}


def test_the_owner_deletes_a_draft(cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)

    response = authenticated_client(cast.owner).delete(f"{URL}{property.pk}/")

    assert response.status_code == 204
    assert not Property.objects.filter(pk=property.pk).exists()


# --- Valuation: hidden from the client until issued -------------------------------------------


@pytest.mark.parametrize("status", [status for status in Status if status != Status.VALUED])
def test_a_client_never_sees_a_valuation_before_the_property_is_valued(
    status: Status, cast: Cast
) -> None:
    # Set directly: the test is that the API hides it whatever the row holds.
    property = property_in(
        status, cast=cast, valuation_amount=Decimal("6100000.00"), valuation_notes="Draft note."
    )
    client = authenticated_client(cast.owner)

    retrieved = client.get(f"{URL}{property.pk}/").json()
    listed = client.get(URL).json()["results"][0]

    for body in (retrieved, listed):
        assert (body["valuation_amount"], body["valuation_notes"]) == (None, "")
    staff_view = authenticated_client(cast.reviewer).get(f"{URL}{property.pk}/").json()
    assert (staff_view["valuation_amount"], staff_view["valuation_notes"]) == (
        "6100000.00",
        "Draft note.",
    )


def test_a_client_sees_the_valuation_once_issued(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)
    with django_capture_on_commit_callbacks(execute=True):
        approved = authenticated_client(cast.reviewer).post(
            f"{URL}{property.pk}/approve/",
            {"valuation_amount": "9250000.5", "valuation_notes": "Comparable sales."},
            format="json",
        )
    assert approved.status_code == 200
    client = authenticated_client(cast.owner)

    retrieved = client.get(f"{URL}{property.pk}/").json()
    listed = client.get(URL).json()["results"][0]

    for body in (retrieved, listed):
        assert (body["valuation_amount"], body["valuation_notes"]) == (
            "9250000.50",
            "Comparable sales.",
        )


# --- Refused edits: nothing changes -----------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_editing_or_deleting_a_submitted_property_is_a_conflict(method: str, cast: Cast) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)
    before = row(property)

    response = getattr(authenticated_client(cast.owner), method)(
        f"{URL}{property.pk}/", {"city": "Mumbai"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["current_status"] == "SUBMITTED"
    assert response.json()["allowed_actions"] == ["cancel"]
    assert row(property) == before


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"area_sqft": "-0.01"}',
        b'{"area_sqft": null}',
        b'{"latitude": 91}',
        b'{"longitude": "east"}',
        b'{"property_type": "CASTLE"}',
        b'{"city": ""}',
    ],
)
def test_a_malformed_edit_is_a_json_400_and_changes_nothing(body: bytes, cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    before = row(property)

    response = authenticated_client(cast.owner).patch(
        f"{URL}{property.pk}/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    assert row(property) == before


def test_put_is_not_offered(cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)

    response = authenticated_client(cast.owner).put(
        f"{URL}{property.pk}/", NEW_PROPERTY, format="json"
    )

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.', "code": "method_not_allowed"}
