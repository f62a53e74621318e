"""The workflow actions, POST /api/v1/properties/<id>/<action>/: the answer, the error bodies of
a refused one (nothing changed), and the event after commit. Every (status, action, who)
combination is in test_workflow.py."""

from typing import Any
from uuid import uuid4

import pytest

from photos.models import Category
from properties.models import Status
from propflow import sms
from propflow.realtime.broadcast import STAFF_GROUP, user_group
from tests.cast import Cast, authenticated_client
from tests.events import listen_to
from tests.factories import PhotoFactory
from tests.properties.conftest import URL, Snapshot, property_in, row

pytestmark = pytest.mark.django_db


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


# --- Error bodies: a 400 names the field, a 409 the status and the allowed actions ------------


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
