"""Creating a property, POST /api/v1/properties/: the draft it answers with, and the error bodies
of what it refuses, storing nothing."""

import pytest

from properties.models import Property
from tests.cast import Cast, authenticated_client
from tests.properties.conftest import NEW_PROPERTY, URL, api_timestamp

pytestmark = pytest.mark.django_db


def test_a_client_creates_a_draft_and_gets_it_back_in_full(cast: Cast) -> None:
    response = authenticated_client(cast.owner).post(
        URL,
        {**NEW_PROPERTY, "owner": str(cast.other_client.pk), "status": "VALUED"},
        format="json",
    )

    assert response.status_code == 201
    property = Property.objects.get()
    assert response.json() == {
        "id": str(property.pk),
        "owner": str(cast.owner.pk),
        **NEW_PROPERTY,
        "status": "DRAFT",
        "assigned_agent": None,
        "due_date": None,
        "valuation_amount": None,
        "valuation_notes": "",
        "revision_count": 0,
        "qc_summary": {"pass": 0, "warn": 0, "fail": 0, "error": 0, "pending": 0},
        "allowed_actions": ["submit", "cancel"],
        "created_at": api_timestamp(property.created_at),
        "updated_at": api_timestamp(property.updated_at),
    }


def test_a_validation_error_has_a_detail_and_errors_per_field(cast: Cast) -> None:
    response = authenticated_client(cast.owner).post(
        URL, {"property_type": "CASTLE", "area_sqft": "-5", "latitude": 91}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "invalid"
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert set(body["errors"]) == {"property_type", "address", "city", "area_sqft", "latitude"}
    assert all(
        isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)
        for messages in body["errors"].values()
    )
    assert Property.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"address": "1 Road",',
        b"[]",
        b'"a string"',
        b"null",
        b"42",
        b'{"property_type": 5, "address": [], "city": {}, "area_sqft": "lots"}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": -1}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": 0}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": "1e99"}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": "NaN"}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": 10,'
        b' "latitude": 91}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": 10,'
        b' "latitude": -90.5}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": 10,'
        b' "longitude": 180.01}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": 10,'
        b' "latitude": NaN}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": 10,'
        b' "latitude": "Infinity"}',
        b'{"property_type": "HOUSE", "address": "   ", "city": "Pune", "area_sqft": 10}',
        b'{"property_type": "HOUSE", "address": "1\\u0000 Road", "city": "Pune", "area_sqft": 10}',
        b'{"property_type": "HOUSE", "address": "1 Road", "city": "Pune", "area_sqft": 10,'
        b' "postal_code": "1234567890123"}',
    ],
)
def test_a_malformed_create_is_a_json_400_and_stores_nothing(body: bytes, cast: Cast) -> None:
    response = authenticated_client(cast.owner).post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    assert Property.objects.count() == 0


def test_a_body_that_is_not_json_is_a_415(cast: Cast) -> None:
    response = authenticated_client(cast.owner).post(
        URL, "property_type=HOUSE", content_type="text/plain"
    )

    assert response.status_code == 415
    assert isinstance(response.json()["detail"], str)
    assert Property.objects.count() == 0
