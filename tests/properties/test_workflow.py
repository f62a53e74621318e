"""The one transition table: it says what the spec says, and the API enforces it for every
(status, action, who) combination, allowed or not."""

from typing import Any

import pytest

from properties.models import Status, StatusChange
from properties.workflow import TRANSITIONS, Action, Actor, actions_from
from propflow import sms
from tests.cast import Cast, authenticated_client, make_cast
from tests.events import EventListener, audience_groups
from tests.properties.conftest import (
    STATUSES_WITH_AGENT,
    Snapshot,
    add_required_photos,
    property_in,
    row,
)

# The workflow as the spec draws it: action -> (from, to, who, needs a reason).
SPEC_TABLE = {
    "submit": ({"DRAFT"}, "SUBMITTED", Actor.OWNER, False),
    "cancel": ({"DRAFT", "SUBMITTED"}, "CANCELLED", Actor.OWNER, False),
    "assign": ({"SUBMITTED"}, "ASSIGNED", Actor.STAFF, False),
    "accept": ({"ASSIGNED"}, "INSPECTING", Actor.ASSIGNED_AGENT, False),
    "decline": ({"ASSIGNED"}, "SUBMITTED", Actor.ASSIGNED_AGENT, True),
    "complete": ({"INSPECTING"}, "IN_REVIEW", Actor.ASSIGNED_AGENT, False),
    "request-revision": ({"IN_REVIEW"}, "INSPECTING", Actor.STAFF, True),
    "approve": ({"IN_REVIEW"}, "VALUED", Actor.STAFF, False),
    "reject": ({"IN_REVIEW"}, "REJECTED", Actor.STAFF, True),
}

RELATIONS = ("owner", "other_client", "assigned_agent", "unrelated_agent", "reviewer", "admin")
RELATION_ACTOR = {
    "owner": Actor.OWNER,
    "assigned_agent": Actor.ASSIGNED_AGENT,
    "reviewer": Actor.STAFF,
    "admin": Actor.STAFF,
}


def _can_see(relation: str, status: Status) -> bool:
    """Clients see their own, agents their assignments, staff everything."""
    if relation in ("owner", "reviewer", "admin"):
        return True
    return relation == "assigned_agent" and status in STATUSES_WITH_AGENT


def _expected_status_code(status: Status, action: Action, relation: str) -> int:
    transition = TRANSITIONS[action]
    if not _can_see(relation, status):
        return 404
    if RELATION_ACTOR.get(relation) != transition.actor:
        return 403
    if status not in transition.sources:
        return 409
    return 200


def _allowed_for(relation: str, status: Status) -> list[str]:
    return [
        str(action)
        for action, transition in TRANSITIONS.items()
        if status in transition.sources and RELATION_ACTOR.get(relation) == transition.actor
    ]


COMBINATIONS = [
    (status, action, relation)
    for status in Status
    for action in TRANSITIONS
    for relation in RELATIONS
]
ALLOWED = [
    combination for combination in COMBINATIONS if _expected_status_code(*combination) == 200
]
REFUSED = [
    combination for combination in COMBINATIONS if _expected_status_code(*combination) != 200
]


def _id(combination: tuple[Status, Action, str]) -> str:
    status, action, relation = combination
    return f"{status}-{action}-{relation}"


def _valid_body(action: Action, cast: Cast) -> dict[str, Any]:
    """A body that passes every precondition, so that only the table can refuse."""
    if action == Action.ASSIGN:
        return {"agent": str(cast.assigned_agent.pk)}
    if action in (Action.DECLINE, Action.REQUEST_REVISION, Action.REJECT):
        return {"reason": "A reason."}
    if action == Action.APPROVE:
        return {"valuation_amount": "7500000.00"}
    return {}


def test_the_table_is_the_one_the_spec_draws() -> None:
    table = {
        str(action): (
            {str(source) for source in transition.sources},
            str(transition.target),
            transition.actor,
            transition.needs_reason,
        )
        for action, transition in TRANSITIONS.items()
    }

    assert table == SPEC_TABLE


def test_the_generated_combinations_cover_every_status_action_and_relation() -> None:
    assert len(COMBINATIONS) == len(Status) * len(Action) * len(RELATIONS) == 432
    # One allowed combination per (source, action) for owner and agent, two for staff.
    assert len(ALLOWED) == 14
    assert len(REFUSED) == 418
    assert {_expected_status_code(*combination) for combination in REFUSED} == {403, 404, 409}


@pytest.mark.parametrize(
    ("status", "actors", "expected"),
    [
        (Status.DRAFT, {Actor.OWNER}, [Action.SUBMIT, Action.CANCEL]),
        (Status.SUBMITTED, {Actor.OWNER}, [Action.CANCEL]),
        (Status.SUBMITTED, {Actor.STAFF}, [Action.ASSIGN]),
        (Status.ASSIGNED, {Actor.ASSIGNED_AGENT}, [Action.ACCEPT, Action.DECLINE]),
        (Status.INSPECTING, {Actor.ASSIGNED_AGENT}, [Action.COMPLETE]),
        (
            Status.IN_REVIEW,
            {Actor.STAFF},
            [Action.REQUEST_REVISION, Action.APPROVE, Action.REJECT],
        ),
        (Status.IN_REVIEW, {Actor.OWNER, Actor.ASSIGNED_AGENT}, []),
        (Status.VALUED, {Actor.OWNER, Actor.ASSIGNED_AGENT, Actor.STAFF}, []),
        (Status.REJECTED, {Actor.OWNER, Actor.ASSIGNED_AGENT, Actor.STAFF}, []),
        (Status.CANCELLED, {Actor.OWNER, Actor.ASSIGNED_AGENT, Actor.STAFF}, []),
    ],
)
def test_actions_from_lists_what_these_actors_may_do_now_in_table_order(
    status: Status, actors: set[Actor], expected: list[Action]
) -> None:
    assert actions_from(status, frozenset(actors)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "action", "relation"), REFUSED, ids=map(_id, REFUSED))
def test_a_combination_the_table_does_not_allow_is_refused_and_changes_nothing(
    status: Status,
    action: Action,
    relation: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cast = make_cast()
    property = property_in(status, cast=cast)
    if action == Action.COMPLETE:
        add_required_photos(property, uploaded_by=cast.assigned_agent)
    listener = EventListener.anywhere(audience_groups(cast))
    before = Snapshot.of(property)
    expected = _expected_status_code(status, action, relation)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = authenticated_client(cast.everyone()[relation]).post(
            f"/api/v1/properties/{property.pk}/{action}/", _valid_body(action, cast), format="json"
        )

    assert response.status_code == expected
    body = response.json()
    if expected == 404:
        assert body == {"detail": "Not found.", "code": "not_found"}
    else:
        assert body["code"] == ("invalid_transition" if expected == 409 else "action_forbidden")
        assert body["current_status"] == status
        assert body["allowed_actions"] == _allowed_for(relation, status)
        assert status in body["detail"] if expected == 409 else action in body["detail"]
    assert Snapshot.of(property) == before
    assert callbacks == []
    assert not listener.received_anything()
    assert sms.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "action", "relation"), ALLOWED, ids=map(_id, ALLOWED))
def test_a_combination_the_table_allows_moves_the_property_to_its_target(
    status: Status,
    action: Action,
    relation: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cast = make_cast()
    property = property_in(status, cast=cast)
    if action == Action.COMPLETE:
        add_required_photos(property, uploaded_by=cast.assigned_agent)
    actor = cast.everyone()[relation]

    with django_capture_on_commit_callbacks(execute=True):
        response = authenticated_client(actor).post(
            f"/api/v1/properties/{property.pk}/{action}/", _valid_body(action, cast), format="json"
        )

    target = TRANSITIONS[action].target
    assert response.status_code == 200
    assert response.json()["status"] == target
    assert row(property)["status"] == target
    assert list(
        StatusChange.objects.filter(property=property).values_list(
            "from_status", "to_status", "actor_id", "actor_role"
        )
    ) == [(status, target, actor.pk, actor.role)]
