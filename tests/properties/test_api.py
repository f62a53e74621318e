"""The properties API as its clients use it: bodies, error shapes, slashes, malformed input,
filters, search, ordering and cursor pages."""

import base64
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from rest_framework.fields import DateTimeField
from rest_framework.test import APIClient

from photos.models import Category, QcStatus
from properties.api.views import PropertyViewSet
from properties.models import Property, PropertyType, Status, StatusChange
from properties.workflow import Action
from propflow import sms
from propflow.realtime.broadcast import STAFF_GROUP, user_group
from tests.conftest import authenticated_client
from tests.factories import PhotoFactory, PropertyFactory, UserFactory
from tests.properties.conftest import (
    DUE_DATE,
    Cast,
    Snapshot,
    add_required_photos,
    listen_to,
    property_in,
    row,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/properties/"
NEW_PROPERTY = {
    "property_type": "HOUSE",
    "address": "4 Lake View Road",
    "city": "Bengaluru",
    "postal_code": "560001",
    "area_sqft": "1820.50",
    "latitude": 12.9716,
    "longitude": 77.5946,
}


def _timestamp(value: datetime) -> str:
    return str(DateTimeField().to_representation(value))


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


# --- Bodies ----------------------------------------------------------------------------------


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
        "created_at": _timestamp(property.created_at),
        "updated_at": _timestamp(property.updated_at),
    }


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
        "created_at": _timestamp(property.created_at),
        "updated_at": _timestamp(property.updated_at),
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


def test_history_lists_each_change_in_order(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    with django_capture_on_commit_callbacks(execute=True):
        authenticated_client(cast.owner).post(f"{URL}{property.pk}/submit/")
        authenticated_client(cast.reviewer).post(
            f"{URL}{property.pk}/assign/", {"agent": str(cast.assigned_agent.pk)}, format="json"
        )
        authenticated_client(cast.assigned_agent).post(
            f"{URL}{property.pk}/decline/", {"reason": "Too far."}, format="json"
        )
    changes = list(StatusChange.objects.filter(property=property))

    response = authenticated_client(cast.owner).get(f"{URL}{property.pk}/history/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "from_status": from_status,
                "to_status": to_status,
                "actor": str(actor.pk),
                "actor_role": actor.role,
                "reason": reason,
                "created_at": _timestamp(change.created_at),
            }
            for change, (from_status, to_status, actor, reason) in zip(
                changes,
                [
                    ("DRAFT", "SUBMITTED", cast.owner, ""),
                    ("SUBMITTED", "ASSIGNED", cast.reviewer, ""),
                    ("ASSIGNED", "SUBMITTED", cast.assigned_agent, "Too far."),
                ],
                strict=True,
            )
        ],
    }


def test_an_action_answers_with_the_property_as_the_actor_now_sees_it(cast: Cast) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)

    response = authenticated_client(cast.reviewer).post(
        f"{URL}{property.pk}/assign/",
        {"agent": str(cast.assigned_agent.pk), "due_date": "2031-03-14"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assigned_agent"], body["due_date"], body["allowed_actions"]) == (
        "ASSIGNED",
        str(cast.assigned_agent.pk),
        "2031-03-14",
        [],
    )


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


# --- Error bodies ----------------------------------------------------------------------------


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
    ("status", "actor", "action", "body", "field", "code"),
    [
        (Status.SUBMITTED, "reviewer", "assign", {}, "agent", "invalid"),
        (Status.SUBMITTED, "reviewer", "assign", {"agent": str(uuid4())}, "agent", "unknown_agent"),
        (Status.IN_REVIEW, "reviewer", "approve", {}, "valuation_amount", "invalid"),
        (
            Status.IN_REVIEW,
            "reviewer",
            "approve",
            {"valuation_amount": "0"},
            "valuation_amount",
            "invalid",
        ),
        (
            Status.IN_REVIEW,
            "reviewer",
            "approve",
            {"valuation_amount": "-1"},
            "valuation_amount",
            "invalid",
        ),
        (Status.IN_REVIEW, "reviewer", "reject", {"reason": "  "}, "reason", "invalid"),
        (Status.IN_REVIEW, "reviewer", "request-revision", {}, "reason", "invalid"),
        (Status.ASSIGNED, "assigned_agent", "decline", {"reason": ""}, "reason", "invalid"),
    ],
)
def test_a_refused_precondition_is_a_400_naming_the_field_and_changes_nothing(
    status: Status,
    actor: str,
    action: str,
    body: dict[str, str],
    field: str,
    code: str,
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    property = property_in(status, cast=cast)
    before = Snapshot.of(property)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = authenticated_client(cast.everyone()[actor]).post(
            f"{URL}{property.pk}/{action}/", body, format="json"
        )

    assert response.status_code == 400
    answer = response.json()
    assert set(answer) == {"detail", "code", "errors"}
    assert answer["code"] == code
    assert list(answer["errors"]) == [field]
    assert len(answer["errors"][field]) == 1
    assert answer["errors"][field][0] in answer["detail"]
    assert Snapshot.of(property) == before
    assert callbacks == []


def test_a_conflict_names_the_current_status_and_the_allowed_actions(cast: Cast) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)

    response = authenticated_client(cast.owner).post(f"{URL}{property.pk}/submit/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Cannot submit a property that is SUBMITTED; allowed now: cancel.",
        "code": "invalid_transition",
        "current_status": "SUBMITTED",
        "allowed_actions": ["cancel"],
    }


def test_submitting_without_coordinates_is_a_conflict_naming_status_and_actions(
    cast: Cast,
) -> None:
    property = property_in(Status.DRAFT, cast=cast, latitude=None, longitude=None)

    response = authenticated_client(cast.owner).post(f"{URL}{property.pk}/submit/")

    assert response.status_code == 409
    assert response.json()["current_status"] == "DRAFT"
    assert response.json()["allowed_actions"] == ["submit", "cancel"]
    assert row(property)["status"] == Status.DRAFT


def test_completing_without_photos_is_a_conflict_naming_what_is_missing(cast: Cast) -> None:
    property = property_in(Status.INSPECTING, cast=cast)
    PhotoFactory.create(property=property, category=Category.FRONT, uploaded_by=cast.owner)

    response = authenticated_client(cast.assigned_agent).post(f"{URL}{property.pk}/complete/")

    assert response.status_code == 409
    body = response.json()
    assert (body["current_status"], body["allowed_actions"], body["missing_categories"]) == (
        "INSPECTING",
        ["complete"],
        ["LIVING", "KITCHEN"],
    )
    assert row(property)["status"] == Status.INSPECTING


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


# --- Paths without the final slash ---------------------------------------------------------


@pytest.mark.parametrize("slash", ["/", ""], ids=["with-slash", "without-slash"])
def test_every_endpoint_answers_with_or_without_the_final_slash(
    slash: str, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    owner = authenticated_client(cast.owner)
    reviewer = authenticated_client(cast.reviewer)
    agent = authenticated_client(cast.assigned_agent)
    draft = property_in(Status.DRAFT, cast=cast)
    doomed = property_in(Status.DRAFT, cast=cast)
    submitted = property_in(Status.SUBMITTED, cast=cast)
    assigned = property_in(Status.ASSIGNED, cast=cast)
    declined = property_in(Status.ASSIGNED, cast=cast)
    inspecting = property_in(Status.INSPECTING, cast=cast)
    add_required_photos(inspecting, uploaded_by=cast.assigned_agent)
    in_review = [property_in(Status.IN_REVIEW, cast=cast) for _ in range(3)]
    to_assign = property_in(Status.SUBMITTED, cast=cast)
    calls: list[tuple[APIClient, str, str, dict[str, Any], int]] = [
        (owner, "get", "/api/v1/properties", {}, 200),
        (owner, "post", "/api/v1/properties", NEW_PROPERTY, 201),
        (owner, "get", f"/api/v1/properties/{draft.pk}", {}, 200),
        (owner, "patch", f"/api/v1/properties/{draft.pk}", {"city": "Thane"}, 200),
        (owner, "get", f"/api/v1/properties/{draft.pk}/history", {}, 200),
        (owner, "delete", f"/api/v1/properties/{doomed.pk}", {}, 204),
        (owner, "post", f"/api/v1/properties/{draft.pk}/submit", {}, 200),
        (owner, "post", f"/api/v1/properties/{submitted.pk}/cancel", {}, 200),
        (
            reviewer,
            "post",
            f"/api/v1/properties/{to_assign.pk}/assign",
            {"agent": str(cast.assigned_agent.pk)},
            200,
        ),
        (agent, "post", f"/api/v1/properties/{assigned.pk}/accept", {}, 200),
        (agent, "post", f"/api/v1/properties/{declined.pk}/decline", {"reason": "Ill."}, 200),
        (agent, "post", f"/api/v1/properties/{inspecting.pk}/complete", {}, 200),
        (
            reviewer,
            "post",
            f"/api/v1/properties/{in_review[0].pk}/request-revision",
            {"reason": "Blurred."},
            200,
        ),
        (
            reviewer,
            "post",
            f"/api/v1/properties/{in_review[1].pk}/approve",
            {"valuation_amount": "100"},
            200,
        ),
        (reviewer, "post", f"/api/v1/properties/{in_review[2].pk}/reject", {"reason": "No."}, 200),
        (reviewer, "get", "/api/v1/users", {"role": "agent"}, 200),
    ]

    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for client, method, path, data, _ in calls:
            format_ = None if method == "get" else "json"
            response = getattr(client, method)(path + slash, data, format=format_)
            answers.append((method, path, response.status_code))

    assert answers == [(method, path, expected) for _, method, path, _, expected in calls]


# --- Malformed input: a 4xx JSON answer, never a 500, nothing stored -----------------------


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


@pytest.mark.parametrize(
    ("status", "actor", "action", "body"),
    [
        (Status.SUBMITTED, "reviewer", "assign", b"{oops"),
        (Status.SUBMITTED, "reviewer", "assign", b'{"agent": "not-a-uuid"}'),
        (Status.SUBMITTED, "reviewer", "assign", b'{"agent": -1}'),
        (Status.SUBMITTED, "reviewer", "assign", b'{"agent": ["a"]}'),
        (Status.SUBMITTED, "reviewer", "assign", b'{"agent": "AGENT", "due_date": "soon"}'),
        (Status.SUBMITTED, "reviewer", "assign", b'{"due_date": "2031-02-30"}'),
        (Status.SUBMITTED, "reviewer", "assign", b"[]"),
        (Status.IN_REVIEW, "reviewer", "approve", b'{"valuation_amount": "a lot"}'),
        (Status.IN_REVIEW, "reviewer", "approve", b'{"valuation_amount": "1e30"}'),
        (Status.IN_REVIEW, "reviewer", "approve", b'{"valuation_amount": "NaN"}'),
        (Status.IN_REVIEW, "reviewer", "approve", b'{"valuation_amount": "Infinity"}'),
        (Status.IN_REVIEW, "reviewer", "approve", b'{"valuation_amount": {"inr": 5}}'),
        (Status.IN_REVIEW, "reviewer", "approve", b'{"valuation_amount": "1.001"}'),
        (Status.IN_REVIEW, "reviewer", "reject", b'{"reason": null}'),
        (Status.IN_REVIEW, "reviewer", "reject", b'{"reason": {"why": "no"}}'),
        (Status.IN_REVIEW, "reviewer", "reject", b'{"reason": "' + b"x" * 2001 + b'"}'),
        (Status.IN_REVIEW, "reviewer", "request-revision", b"not json at all"),
        (Status.ASSIGNED, "assigned_agent", "decline", b'{"reason": ["busy"]}'),
    ],
)
def test_a_malformed_action_body_is_a_json_400_and_changes_nothing(
    status: Status,
    actor: str,
    action: str,
    body: bytes,
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    property = property_in(status, cast=cast)
    body = body.replace(b'"AGENT"', f'"{cast.assigned_agent.pk}"'.encode())
    before = Snapshot.of(property)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = authenticated_client(cast.everyone()[actor]).post(
            f"{URL}{property.pk}/{action}/", body, content_type="application/json"
        )

    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
    assert Snapshot.of(property) == before
    assert callbacks == []


ACTION_BODIES: dict[str, dict[str, Any]] = {
    "assign": {"agent": str(uuid4())},
    "decline": {"reason": "Busy."},
    "request-revision": {"reason": "Blurred."},
    "approve": {"valuation_amount": "100.00"},
    "reject": {"reason": "No."},
}


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("get", "history/"),
        *[("post", f"{action}/") for action in Action],
    ],
)
@pytest.mark.parametrize(
    "property_id",
    [
        "unknown",
        "12345",
        "not-a-uuid",
        "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
        "--------------------------------1234",
        "0000000000000000000000000000000000000",
    ],
)
def test_an_unknown_or_malformed_property_id_is_a_json_404(
    method: str, suffix: str, property_id: str, cast: Cast
) -> None:
    property_in(Status.DRAFT, cast=cast)
    ids = {"unknown": str(uuid4())}
    body = ACTION_BODIES.get(suffix.rstrip("/"), {"city": "Pune"})

    response = getattr(authenticated_client(cast.reviewer), method)(
        f"{URL}{ids.get(property_id, property_id)}/{suffix}", body, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_body_that_is_not_json_is_a_415(cast: Cast) -> None:
    response = authenticated_client(cast.owner).post(
        URL, "property_type=HOUSE", content_type="text/plain"
    )

    assert response.status_code == 415
    assert isinstance(response.json()["detail"], str)
    assert Property.objects.count() == 0


def test_put_is_not_offered(cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)

    response = authenticated_client(cast.owner).put(
        f"{URL}{property.pk}/", NEW_PROPERTY, format="json"
    )

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.', "code": "method_not_allowed"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=FOO", "status"),
        ("status=DRAFT&status=NOPE", "status"),
        ("property_type=CASTLE", "property_type"),
        ("agent=not-a-uuid", "agent"),
        ("created_after=yesterday", "created_after"),
        ("created_before=2024-13-01", "created_before"),
        ("qc_status=MAYBE", "qc_status"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_the_filter(
    query: str, field: str, cast: Cast
) -> None:
    response = authenticated_client(cast.reviewer).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    "query",
    ["ordering=owner__phone", "ordering=nonsense", "ordering=", "ordering=due_date"],
)
def test_an_unknown_ordering_falls_back_to_the_default(query: str, cast: Cast) -> None:
    properties = [property_in(Status.DRAFT, cast=cast) for _ in range(3)]

    response = authenticated_client(cast.owner).get(f"{URL}?{query}")

    assert response.status_code == 200
    assert _ids(response.json()["results"]) == [str(p.pk) for p in reversed(properties)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=garbage", "cursor"),
        ("cursor=bz0tMQ==", "cursor"),
        ("page_size=abc", "page_size"),
        ("page_size=-3", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
    ],
)
def test_malformed_paging_is_a_400_naming_the_parameter(query: str, field: str, cast: Cast) -> None:
    response = authenticated_client(cast.owner).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    ("ordering", "position"),
    [
        ("", "2024"),
        ("", "yesterday"),
        ("-updated_at", "2024-13-45T99:00:00"),
        ("city", "Pune\x00"),
        ("status", "\x00"),
    ],
)
def test_a_forged_cursor_with_an_impossible_position_is_a_400_not_a_500(
    ordering: str, position: str, cast: Cast
) -> None:
    # A cursor is base64 of a query string; p= is the value of the ordering field to resume
    # after. A creation time that is not a time, or a NUL PostgreSQL cannot compare, is no
    # cursor this API ever handed out.
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    property_in(Status.DRAFT, cast=cast)
    client = authenticated_client(cast.owner)
    client.raise_request_exception = False

    response = client.get(f"{URL}?ordering={ordering}&cursor={cursor}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_history_keeps_its_own_order_whatever_the_ordering_parameter(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    with django_capture_on_commit_callbacks(execute=True):
        authenticated_client(cast.owner).post(f"{URL}{property.pk}/submit/")
        authenticated_client(cast.owner).post(f"{URL}{property.pk}/cancel/")
    client = authenticated_client(cast.owner)

    answers = [
        client.get(f"{URL}{property.pk}/history/?ordering={ordering}")
        for ordering in ("city", "-status", "-created_at", "due_date")
    ]

    assert [answer.status_code for answer in answers] == [200] * 4
    assert {
        tuple(change["to_status"] for change in answer.json()["results"]) for answer in answers
    } == {("SUBMITTED", "CANCELLED")}


def test_an_action_through_the_api_is_announced_after_commit(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)
    listener = listen_to(cast)

    with django_capture_on_commit_callbacks() as callbacks:
        response = authenticated_client(cast.reviewer).post(
            f"{URL}{property.pk}/assign/", {"agent": str(cast.assigned_agent.pk)}, format="json"
        )
    before_commit = listener.received()
    for callback in callbacks:
        callback()
    after_commit = listener.received()

    assert response.status_code == 200
    assert not any(before_commit.values())
    heard_by = {group for group, events in after_commit.items() if events}
    assert heard_by == {
        STAFF_GROUP,
        user_group(cast.owner.pk),
        user_group(cast.assigned_agent.pk),
    }
    assert [
        (event["type"], event["from"], event["to"], event["actor_role"])
        for event in after_commit[STAFF_GROUP]
    ] == [("property.status_changed", "SUBMITTED", "ASSIGNED", "reviewer")]
    assert [message.to for message in sms.outbox] == [str(cast.assigned_agent.phone)]


# --- Filters, search, ordering ---------------------------------------------------------------


def test_filtering_by_several_statuses(cast: Cast) -> None:
    draft = property_in(Status.DRAFT, cast=cast)
    property_in(Status.SUBMITTED, cast=cast)
    in_review = property_in(Status.IN_REVIEW, cast=cast)

    response = authenticated_client(cast.reviewer).get(f"{URL}?status=DRAFT&status=IN_REVIEW")

    assert set(_ids(response.json()["results"])) == {str(draft.pk), str(in_review.pk)}


def test_filtering_by_property_type(cast: Cast) -> None:
    villa = property_in(Status.DRAFT, cast=cast, property_type=PropertyType.VILLA)
    plot = property_in(Status.DRAFT, cast=cast, property_type=PropertyType.PLOT)
    property_in(Status.DRAFT, cast=cast, property_type=PropertyType.HOUSE)

    one = authenticated_client(cast.owner).get(f"{URL}?property_type=VILLA")
    two = authenticated_client(cast.owner).get(f"{URL}?property_type=VILLA&property_type=PLOT")

    assert _ids(one.json()["results"]) == [str(villa.pk)]
    assert set(_ids(two.json()["results"])) == {str(villa.pk), str(plot.pk)}


def test_filtering_by_city_ignores_case_but_not_the_rest_of_the_name(cast: Cast) -> None:
    pune = property_in(Status.DRAFT, cast=cast, city="Pune")
    property_in(Status.DRAFT, cast=cast, city="Pune East")
    property_in(Status.DRAFT, cast=cast, city="Mumbai")

    response = authenticated_client(cast.owner).get(f"{URL}?city=pUNE")

    assert _ids(response.json()["results"]) == [str(pune.pk)]


def test_filtering_by_agent(cast: Cast) -> None:
    mine = property_in(Status.INSPECTING, cast=cast)
    property_in(Status.INSPECTING, cast=cast, assigned_agent=cast.unrelated_agent)
    property_in(Status.SUBMITTED, cast=cast)

    response = authenticated_client(cast.reviewer).get(f"{URL}?agent={cast.assigned_agent.pk}")

    assert _ids(response.json()["results"]) == [str(mine.pk)]


def test_filtering_by_creation_range(cast: Cast) -> None:
    created = {}
    for day in (1, 10, 20):
        property = property_in(Status.DRAFT, cast=cast)
        Property.objects.filter(pk=property.pk).update(
            created_at=datetime(2025, 4, day, 12, tzinfo=UTC)
        )
        created[day] = property.pk
    client = authenticated_client(cast.owner)

    after = client.get(f"{URL}?created_after=2025-04-10T12:00:00Z")
    before = client.get(f"{URL}?created_before=2025-04-10T12:00:00Z")
    between = client.get(f"{URL}?created_after=2025-04-02T00:00:00Z&created_before=2025-04-15")

    assert _ids(after.json()["results"]) == [str(created[20]), str(created[10])]
    assert _ids(before.json()["results"]) == [str(created[1])]
    assert _ids(between.json()["results"]) == [str(created[10])]


def test_filtering_by_qc_state_finds_properties_with_a_photo_in_that_state(cast: Cast) -> None:
    failing = property_in(Status.IN_REVIEW, cast=cast)
    PhotoFactory.create(property=failing, qc_status=QcStatus.PASS, uploaded_by=cast.owner)
    PhotoFactory.create(property=failing, qc_status=QcStatus.FAIL, uploaded_by=cast.owner)
    passing = property_in(Status.IN_REVIEW, cast=cast)
    PhotoFactory.create(property=passing, qc_status=QcStatus.PASS, uploaded_by=cast.owner)
    property_in(Status.IN_REVIEW, cast=cast)
    client = authenticated_client(cast.reviewer)

    failed = client.get(f"{URL}?qc_status=FAIL")
    passed = client.get(f"{URL}?qc_status=PASS")

    assert _ids(failed.json()["results"]) == [str(failing.pk)]
    assert _ids(passed.json()["results"]) == [str(passing.pk), str(failing.pk)]


def test_search_looks_in_address_and_city(cast: Cast) -> None:
    by_address = property_in(Status.DRAFT, cast=cast, address="9 Baner Hill Road", city="Pune")
    by_city = property_in(Status.DRAFT, cast=cast, address="3 MG Road", city="Baner")
    property_in(Status.DRAFT, cast=cast, address="1 FC Road", city="Pune")

    response = authenticated_client(cast.owner).get(f"{URL}?search=baner")

    assert set(_ids(response.json()["results"])) == {str(by_address.pk), str(by_city.pk)}


def test_filters_only_narrow_what_the_user_may_see(cast: Cast) -> None:
    property_in(Status.DRAFT, cast=cast, city="Pune")

    response = authenticated_client(cast.other_client).get(f"{URL}?city=Pune&status=DRAFT")

    assert response.json()["results"] == []


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_ordering_by_last_update(descending: bool, cast: Cast) -> None:
    properties = [property_in(Status.DRAFT, cast=cast, city=city) for city in ("Agra", "Pune")]
    properties[0].city = "Nagpur"
    properties[0].save()  # updated last now

    response = authenticated_client(cast.owner).get(
        f"{URL}?ordering={'-' if descending else ''}updated_at"
    )

    expected = ["Pune", "Nagpur"] if not descending else ["Nagpur", "Pune"]
    assert [item["city"] for item in response.json()["results"]] == expected


def test_ordering_by_a_field_with_ties_falls_back_to_newest_first(cast: Cast) -> None:
    properties = [property_in(Status.DRAFT, cast=cast, city=city) for city in ("Pune", "Agra")]

    response = authenticated_client(cast.owner).get(f"{URL}?ordering=city")

    assert [item["id"] for item in response.json()["results"]] == [
        str(property.pk) for property in reversed(properties)
    ]


def test_the_default_order_is_newest_first(cast: Cast) -> None:
    properties = [property_in(Status.DRAFT, cast=cast) for _ in range(4)]

    response = authenticated_client(cast.owner).get(URL)

    assert _ids(response.json()["results"]) == [str(p.pk) for p in reversed(properties)]


# --- Cursor pages ------------------------------------------------------------------------------


def _many_properties(cast: Cast) -> list[Property]:
    """Eleven properties with many ties in city, status and due date, some without one."""
    statuses = [Status.DRAFT, Status.SUBMITTED, Status.ASSIGNED]
    return [
        property_in(
            statuses[index % 3],
            cast=cast,
            city=["Pune", "Agra"][index % 2],
            due_date=None if index % 3 == 0 else DUE_DATE,
        )
        for index in range(11)
    ]


ORDERINGS = [
    "",
    *PropertyViewSet.ordering_fields,
    *(f"-{field}" for field in PropertyViewSet.ordering_fields),
]


def _forward_pages(client: APIClient, url: str) -> tuple[list[list[str]], dict[str, Any]]:
    pages: list[list[str]] = []
    next_url: str | None = url
    while next_url:
        body = client.get(next_url).json()
        pages.append(_ids(body["results"]))
        next_url = body["next"]
    return pages, body


@pytest.mark.parametrize("ordering", ORDERINGS, ids=[o or "default" for o in ORDERINGS])
def test_next_links_visit_every_property_exactly_once(ordering: str, cast: Cast) -> None:
    expected = {str(property.pk) for property in _many_properties(cast)}

    pages, _ = _forward_pages(
        authenticated_client(cast.reviewer), f"{URL}?page_size=3&ordering={ordering}"
    )

    forwards = [item for page in pages for item in page]
    assert sorted(forwards) == sorted(expected), "a property is missing or appears twice"
    assert [len(page) for page in pages] == [3, 3, 3, 2]


@pytest.mark.parametrize("ordering", ORDERINGS, ids=[o or "default" for o in ORDERINGS])
def test_previous_links_lead_back_through_the_same_pages(ordering: str, cast: Cast) -> None:
    _many_properties(cast)
    client = authenticated_client(cast.reviewer)
    pages, last = _forward_pages(client, f"{URL}?page_size=3&ordering={ordering}")
    backwards: list[list[str]] = []
    previous_url = last["previous"]
    while previous_url:
        body = client.get(previous_url).json()
        backwards.append(_ids(body["results"]))
        previous_url = body["previous"]

    assert backwards == pages[-2::-1]


def test_the_first_page_has_no_previous_link_and_the_last_no_next(cast: Cast) -> None:
    _many_properties(cast)
    client = authenticated_client(cast.reviewer)

    first = client.get(f"{URL}?page_size=10").json()
    last = client.get(first["next"]).json()

    assert (first["previous"], len(first["results"])) == (None, 10)
    assert (last["next"], len(last["results"])) == (None, 1)
    assert last["previous"] is not None


def test_a_page_holds_up_to_a_hundred_properties(cast: Cast) -> None:
    owner = UserFactory.create(role="client")
    Property.objects.bulk_create(PropertyFactory.build_batch(105, owner=owner))

    response = authenticated_client(owner).get(f"{URL}?page_size=100")

    assert len(response.json()["results"]) == 100
    assert response.json()["next"] is not None


@pytest.mark.parametrize(
    "query",
    [
        # Python accepts offsets up to ±23:59; PostgreSQL refuses past ±15:59.
        "created_after=2025-01-01T00:00:00-19:30",
        "created_before=2025-01-01T00:00:00%2B20:00",
        f"cursor={base64.b64encode(b'p=2025-01-01T00:00:00-19:30').decode()}",
    ],
)
def test_a_time_with_an_offset_the_database_refuses_is_no_500(query: str, cast: Cast) -> None:
    property_in(Status.DRAFT, cast=cast)
    client = authenticated_client(cast.owner)
    client.raise_request_exception = False

    response = client.get(f"{URL}?{query}")

    # The instant is fine once converted to UTC: an ordinary answer.
    assert response.status_code == 200
    assert "results" in response.json()
