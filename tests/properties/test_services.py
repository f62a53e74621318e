"""The property services: every allowed transition with its audit row, its events (heard on
the real channel layer, only after commit) and its SMS; every precondition's refusal changing
nothing; and the draft services."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from django.utils import timezone

from accounts.models import Role
from photos.models import Category, ReviewStatus
from properties.models import Property, PropertyType, Status, StatusChange
from properties.services import (
    property_create,
    property_delete,
    property_transition,
    property_update,
)
from properties.workflow import Action
from propflow import sms
from propflow.errors import ConflictError, DomainError, ForbiddenError, InvalidInputError
from propflow.realtime.broadcast import STAFF_GROUP, user_group
from tests.cast import Cast
from tests.events import EventListener
from tests.factories import PhotoFactory, UserFactory
from tests.properties.conftest import DUE_DATE, Snapshot, add_required_photos, property_in, row

pytestmark = pytest.mark.django_db

ADDRESS = {"address": "12 Lane 5, Koregaon Park", "city": "Pune"}


def _transition_then_commit(
    capture: Any, listener: EventListener, **arguments: Any
) -> tuple[Property, list[Callable[[], None]]]:
    """Runs the transition, proves nothing left before the commit, then runs the commit hooks."""
    with capture() as callbacks:
        property = property_transition(**arguments)
    assert not listener.received_anything(), "an event went out before the commit"
    assert sms.outbox == [], "an SMS went out before the commit"
    for callback in callbacks:
        callback()
    return property, callbacks


def _audit(property: Property) -> list[tuple[str, str, Any, str, str]]:
    return [
        (change.from_status, change.to_status, change.actor_id, change.actor_role, change.reason)
        for change in StatusChange.objects.filter(property=property)
    ]


def _expected_events(
    listener: EventListener, property: Property, *, heard_by: list[str]
) -> dict[str, list[dict[str, Any]]]:
    change = StatusChange.objects.get(property=property)
    event = {
        "type": "property.status_changed",
        "property_id": str(property.pk),
        "from": change.from_status,
        "to": change.to_status,
        "actor_role": change.actor_role,
        "reason": change.reason,
        "at": change.created_at.isoformat(),
    }
    return {group: [event] if group in heard_by else [] for group in listener.channels}


def _staff_and(*users: Any) -> list[str]:
    return [STAFF_GROUP, *(user_group(user.pk) for user in users)]


# --- Allowed transitions -------------------------------------------------------------------


def test_submit_moves_a_draft_to_submitted_and_tells_staff_and_owner_after_commit(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.DRAFT, cast=cast)

    result, _ = _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.owner,
        property_id=property.pk,
        action=Action.SUBMIT,
    )

    assert result.status == Status.SUBMITTED
    assert row(property)["status"] == Status.SUBMITTED
    assert _audit(property) == [(Status.DRAFT, Status.SUBMITTED, cast.owner.pk, Role.CLIENT, "")]
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner)
    )
    assert sms.outbox == []


@pytest.mark.parametrize("source", [Status.DRAFT, Status.SUBMITTED])
def test_cancel_moves_a_draft_or_submitted_property_to_cancelled(
    source: Status, cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(source, cast=cast)

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.owner,
        property_id=property.pk,
        action=Action.CANCEL,
    )

    assert row(property)["status"] == Status.CANCELLED
    assert _audit(property) == [(source, Status.CANCELLED, cast.owner.pk, Role.CLIENT, "")]
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner)
    )
    assert sms.outbox == []


def test_assign_gives_the_agent_the_property_with_its_due_date_and_texts_them(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.SUBMITTED, cast=cast, **ADDRESS)
    before = timezone.now()

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.reviewer,
        property_id=property.pk,
        action=Action.ASSIGN,
        agent_id=cast.assigned_agent.pk,
        due_date=DUE_DATE,
    )

    stored = row(property)
    assert stored["status"] == Status.ASSIGNED
    assert stored["assigned_agent_id"] == cast.assigned_agent.pk
    assert stored["due_date"] == DUE_DATE
    assert before <= stored["assigned_at"] <= timezone.now()
    assert _audit(property) == [
        (Status.SUBMITTED, Status.ASSIGNED, cast.reviewer.pk, Role.REVIEWER, "")
    ]
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner, cast.assigned_agent)
    )
    assert sms.outbox == [
        sms.SmsMessage(
            to=str(cast.assigned_agent.phone),
            body="PropFlow: new inspection at 12 Lane 5, Koregaon Park, Pune, due 14 Mar 2031.",
        )
    ]


# One moment of one day: a test that reads the date twice fails when it runs across midnight.
@pytest.mark.time_machine(datetime(2031, 3, 10, 12, 0, tzinfo=UTC), tick=True)
def test_assign_without_a_due_date_sets_the_default_number_of_days_from_today(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PROPERTY_DEFAULT_DUE_DAYS = 5
    property = property_in(Status.SUBMITTED, cast=cast)
    today = timezone.localdate()

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.admin,
        property_id=property.pk,
        action=Action.ASSIGN,
        agent_id=cast.assigned_agent.pk,
    )

    assert row(property)["due_date"] == today + timedelta(days=5)
    assert _audit(property) == [(Status.SUBMITTED, Status.ASSIGNED, cast.admin.pk, Role.ADMIN, "")]
    assert [message.to for message in sms.outbox] == [str(cast.assigned_agent.phone)]


def test_accept_starts_the_inspection(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.ASSIGNED, cast=cast)

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.assigned_agent,
        property_id=property.pk,
        action=Action.ACCEPT,
    )

    stored = row(property)
    assert stored["status"] == Status.INSPECTING
    assert stored["assigned_agent_id"] == cast.assigned_agent.pk
    assert _audit(property) == [
        (Status.ASSIGNED, Status.INSPECTING, cast.assigned_agent.pk, Role.AGENT, "")
    ]
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner, cast.assigned_agent)
    )
    assert sms.outbox == []


def test_decline_returns_the_property_to_submitted_without_an_agent_and_keeps_the_reason(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.ASSIGNED, cast=cast)

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.assigned_agent,
        property_id=property.pk,
        action=Action.DECLINE,
        reason="  Out of my area.  ",
    )

    stored = row(property)
    assert stored["status"] == Status.SUBMITTED
    assert stored["assigned_agent_id"] is None
    assert stored["assigned_at"] is None
    assert _audit(property) == [
        (Status.ASSIGNED, Status.SUBMITTED, cast.assigned_agent.pk, Role.AGENT, "Out of my area.")
    ]
    # The agent has given the property up: they no longer hear about it.
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner)
    )
    assert sms.outbox == []


def test_complete_sends_an_inspection_with_every_required_photo_to_review(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.INSPECTING, cast=cast)
    add_required_photos(property, uploaded_by=cast.assigned_agent)

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.assigned_agent,
        property_id=property.pk,
        action=Action.COMPLETE,
    )

    assert row(property)["status"] == Status.IN_REVIEW
    assert _audit(property) == [
        (Status.INSPECTING, Status.IN_REVIEW, cast.assigned_agent.pk, Role.AGENT, "")
    ]
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner, cast.assigned_agent)
    )
    assert sms.outbox == []


def test_request_revision_counts_the_revision_and_texts_the_agent_the_reason(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast, revision_count=2, **ADDRESS)

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.reviewer,
        property_id=property.pk,
        action=Action.REQUEST_REVISION,
        reason=" Kitchen photo is blurred. ",
    )

    stored = row(property)
    assert stored["status"] == Status.INSPECTING
    assert stored["revision_count"] == 3
    assert stored["assigned_agent_id"] == cast.assigned_agent.pk
    assert _audit(property) == [
        (
            Status.IN_REVIEW,
            Status.INSPECTING,
            cast.reviewer.pk,
            Role.REVIEWER,
            "Kitchen photo is blurred.",
        )
    ]
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner, cast.assigned_agent)
    )
    assert sms.outbox == [
        sms.SmsMessage(
            to=str(cast.assigned_agent.phone),
            body="PropFlow: revision requested for 12 Lane 5, Koregaon Park, Pune: "
            "Kitchen photo is blurred.",
        )
    ]


def test_approve_records_the_valuation_and_its_notes(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.reviewer,
        property_id=property.pk,
        action=Action.APPROVE,
        valuation_amount=Decimal("9250000.50"),
        valuation_notes="  In line with recent sales.  ",
    )

    stored = row(property)
    assert stored["status"] == Status.VALUED
    assert stored["valuation_amount"] == Decimal("9250000.50")
    assert stored["valuation_notes"] == "In line with recent sales."
    assert _audit(property) == [(Status.IN_REVIEW, Status.VALUED, cast.reviewer.pk, "reviewer", "")]
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner, cast.assigned_agent)
    )
    assert sms.outbox == []


def test_reject_closes_the_property_with_the_reason(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)

    _transition_then_commit(
        django_capture_on_commit_callbacks,
        listener,
        actor=cast.admin,
        property_id=property.pk,
        action=Action.REJECT,
        reason="Not the property on the title deed.",
    )

    stored = row(property)
    assert stored["status"] == Status.REJECTED
    assert stored["valuation_amount"] is None
    assert _audit(property) == [
        (
            Status.IN_REVIEW,
            Status.REJECTED,
            cast.admin.pk,
            Role.ADMIN,
            "Not the property on the title deed.",
        )
    ]
    assert listener.received() == _expected_events(
        listener, property, heard_by=_staff_and(cast.owner, cast.assigned_agent)
    )
    assert sms.outbox == []


def test_a_property_travels_the_whole_workflow_with_one_audit_row_per_step(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    steps: list[tuple[Any, Action, dict[str, Any]]] = [
        (cast.owner, Action.SUBMIT, {}),
        (cast.reviewer, Action.ASSIGN, {"agent_id": cast.assigned_agent.pk}),
        (cast.assigned_agent, Action.ACCEPT, {}),
        (cast.assigned_agent, Action.COMPLETE, {}),
        (cast.reviewer, Action.REQUEST_REVISION, {"reason": "Retake the front."}),
        (cast.assigned_agent, Action.COMPLETE, {}),
        (cast.reviewer, Action.APPROVE, {"valuation_amount": Decimal("100.00")}),
    ]
    add_required_photos(property, uploaded_by=cast.assigned_agent)

    with django_capture_on_commit_callbacks(execute=True):
        for actor, action, details in steps:
            property_transition(actor=actor, property_id=property.pk, action=action, **details)

    assert [(change[0], change[1]) for change in _audit(property)] == [
        (Status.DRAFT, Status.SUBMITTED),
        (Status.SUBMITTED, Status.ASSIGNED),
        (Status.ASSIGNED, Status.INSPECTING),
        (Status.INSPECTING, Status.IN_REVIEW),
        (Status.IN_REVIEW, Status.INSPECTING),
        (Status.INSPECTING, Status.IN_REVIEW),
        (Status.IN_REVIEW, Status.VALUED),
    ]
    assert row(property)["revision_count"] == 1
    assert [message.to for message in sms.outbox] == [str(cast.assigned_agent.phone)] * 2


# --- Preconditions: refused, nothing changed -----------------------------------------------


def _assert_refused(
    refusal: type[DomainError],
    attempt: Callable[[], object],
    *,
    property: Property,
    listener: EventListener,
    capture: Any,
) -> DomainError:
    before = Snapshot.of(property)

    with capture(execute=True) as callbacks, pytest.raises(refusal) as raised:
        attempt()

    assert callbacks == []
    assert Snapshot.of(property) == before
    assert not listener.received_anything()
    assert sms.outbox == []
    return raised.value


@pytest.mark.parametrize(
    "coordinates",
    [
        {"latitude": None, "longitude": None},
        {"latitude": None},
        {"longitude": None},
    ],
    ids=["neither", "no-latitude", "no-longitude"],
)
def test_submit_without_coordinates_is_a_conflict(
    coordinates: dict[str, None],
    cast: Cast,
    listener: EventListener,
    django_capture_on_commit_callbacks: Any,
) -> None:
    property = property_in(Status.DRAFT, cast=cast, **coordinates)

    error = _assert_refused(
        ConflictError,
        lambda: property_transition(
            actor=cast.owner, property_id=property.pk, action=Action.SUBMIT
        ),
        property=property,
        listener=listener,
        capture=django_capture_on_commit_callbacks,
    )

    assert error.status_code == 409
    assert error.extra["current_status"] == Status.DRAFT
    assert error.extra["allowed_actions"] == ["submit", "cancel"]


@pytest.mark.parametrize(
    "agent_kind", ["none", "client", "reviewer", "inactive agent", "unknown id"]
)
def test_assign_needs_an_active_field_agent(
    agent_kind: str,
    cast: Cast,
    listener: EventListener,
    django_capture_on_commit_callbacks: Any,
) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)
    agent_ids = {
        "none": None,
        "client": cast.other_client.pk,
        "reviewer": cast.reviewer.pk,
        "inactive agent": UserFactory.create(role=Role.AGENT, is_active=False).pk,
        "unknown id": uuid4(),
    }

    error = _assert_refused(
        InvalidInputError,
        lambda: property_transition(
            actor=cast.reviewer,
            property_id=property.pk,
            action=Action.ASSIGN,
            agent_id=agent_ids[agent_kind],
        ),
        property=property,
        listener=listener,
        capture=django_capture_on_commit_callbacks,
    )

    assert error.status_code == 400
    assert error.field == "agent"


@pytest.mark.parametrize("amount", [None, Decimal("0"), Decimal("0.00"), Decimal("-1.00")])
def test_approve_needs_a_positive_valuation(
    amount: Decimal | None,
    cast: Cast,
    listener: EventListener,
    django_capture_on_commit_callbacks: Any,
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)

    error = _assert_refused(
        InvalidInputError,
        lambda: property_transition(
            actor=cast.reviewer,
            property_id=property.pk,
            action=Action.APPROVE,
            valuation_amount=amount,
        ),
        property=property,
        listener=listener,
        capture=django_capture_on_commit_callbacks,
    )

    assert error.status_code == 400
    assert error.field == "valuation_amount"


REASONED = [
    (Action.DECLINE, Status.ASSIGNED, "assigned_agent"),
    (Action.REQUEST_REVISION, Status.IN_REVIEW, "reviewer"),
    (Action.REJECT, Status.IN_REVIEW, "reviewer"),
]


@pytest.mark.parametrize(("action", "source", "actor"), REASONED)
@pytest.mark.parametrize("reason", ["", "   ", "\n\t "], ids=["empty", "spaces", "whitespace"])
def test_a_reason_is_required_to_decline_request_a_revision_or_reject(
    action: Action,
    source: Status,
    actor: str,
    reason: str,
    cast: Cast,
    listener: EventListener,
    django_capture_on_commit_callbacks: Any,
) -> None:
    property = property_in(source, cast=cast)

    error = _assert_refused(
        InvalidInputError,
        lambda: property_transition(
            actor=cast.everyone()[actor], property_id=property.pk, action=action, reason=reason
        ),
        property=property,
        listener=listener,
        capture=django_capture_on_commit_callbacks,
    )

    assert error.status_code == 400
    assert error.field == "reason"


def test_complete_without_a_photo_in_each_required_category_is_a_conflict_naming_them(
    cast: Cast, listener: EventListener, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.INSPECTING, cast=cast)
    PhotoFactory.create(property=property, category=Category.LIVING, uploaded_by=cast.owner)
    PhotoFactory.create(property=property, category=Category.BEDROOM, uploaded_by=cast.owner)

    error = _assert_refused(
        ConflictError,
        lambda: property_transition(
            actor=cast.assigned_agent, property_id=property.pk, action=Action.COMPLETE
        ),
        property=property,
        listener=listener,
        capture=django_capture_on_commit_callbacks,
    )

    assert error.status_code == 409
    assert error.extra["missing_categories"] == ["FRONT", "KITCHEN"]
    assert error.extra["current_status"] == Status.INSPECTING


@pytest.mark.parametrize("review_status", [ReviewStatus.REJECTED, ReviewStatus.RESHOOT])
def test_a_photo_a_reviewer_turned_down_does_not_count_towards_completion(
    review_status: ReviewStatus,
    cast: Cast,
    listener: EventListener,
    django_capture_on_commit_callbacks: Any,
) -> None:
    property = property_in(Status.INSPECTING, cast=cast)
    add_required_photos(property, uploaded_by=cast.assigned_agent)
    property.photos.filter(category=Category.KITCHEN).update(review_status=review_status)

    error = _assert_refused(
        ConflictError,
        lambda: property_transition(
            actor=cast.assigned_agent, property_id=property.pk, action=Action.COMPLETE
        ),
        property=property,
        listener=listener,
        capture=django_capture_on_commit_callbacks,
    )

    assert error.extra["missing_categories"] == ["KITCHEN"]


def test_the_required_categories_are_a_setting(
    cast: Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.PHOTO_REQUIRED_CATEGORIES = ["FRONT"]
    property = property_in(Status.INSPECTING, cast=cast)
    PhotoFactory.create(property=property, category=Category.FRONT, uploaded_by=cast.owner)

    with django_capture_on_commit_callbacks(execute=True):
        property_transition(
            actor=cast.assigned_agent, property_id=property.pk, action=Action.COMPLETE
        )

    assert row(property)["status"] == Status.IN_REVIEW


# --- Drafts: create, update, delete --------------------------------------------------------

DRAFT_FIELDS: dict[str, Any] = {
    "property_type": PropertyType.VILLA,
    "address": "7 Palm Grove",
    "city": "Goa",
    "postal_code": "403001",
    "area_sqft": Decimal("2400.00"),
    "latitude": 15.4909,
    "longitude": 73.8278,
}


def test_a_client_creates_a_draft_they_own(cast: Cast) -> None:
    property = property_create(owner=cast.owner, fields=DRAFT_FIELDS)

    stored = row(property)
    assert {name: stored[name] for name in DRAFT_FIELDS} == DRAFT_FIELDS
    assert stored["owner_id"] == cast.owner.pk
    assert stored["status"] == Status.DRAFT
    assert stored["assigned_agent_id"] is None
    assert stored["valuation_amount"] is None
    assert stored["revision_count"] == 0
    assert StatusChange.objects.count() == 0


@pytest.mark.parametrize("role", ["assigned_agent", "reviewer", "admin"])
def test_only_clients_create_properties(role: str, cast: Cast) -> None:
    with pytest.raises(ForbiddenError):
        property_create(owner=cast.everyone()[role], fields=DRAFT_FIELDS)

    assert Property.objects.count() == 0


@pytest.mark.parametrize(
    "extra",
    [{"status": Status.VALUED}, {"owner_id": uuid4()}, {"valuation_amount": Decimal("1")}],
    ids=["status", "owner", "valuation"],
)
def test_creating_refuses_fields_that_are_not_editable(extra: dict[str, Any], cast: Cast) -> None:
    with pytest.raises(InvalidInputError):
        property_create(owner=cast.owner, fields={**DRAFT_FIELDS, **extra})

    assert Property.objects.count() == 0


def test_the_owner_edits_a_draft(cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    before = row(property)

    property_update(
        actor=cast.owner, property_id=property.pk, fields={"city": "Mumbai", "latitude": 19.07}
    )

    after = row(property)
    assert after["city"] == "Mumbai"
    assert after["latitude"] == 19.07
    unchanged = set(before) - {"city", "latitude", "updated_at"}
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}


def test_editing_a_property_that_is_no_longer_a_draft_is_a_conflict(cast: Cast) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)
    before = row(property)

    with pytest.raises(ConflictError) as raised:
        property_update(actor=cast.owner, property_id=property.pk, fields={"city": "Mumbai"})

    assert raised.value.extra["current_status"] == Status.SUBMITTED
    assert row(property) == before


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_staff_may_not_edit_or_delete_a_clients_draft(role: str, cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    before = row(property)

    with pytest.raises(ForbiddenError):
        property_update(actor=cast.everyone()[role], property_id=property.pk, fields={"city": "X"})
    with pytest.raises(ForbiddenError):
        property_delete(actor=cast.everyone()[role], property_id=property.pk)

    assert row(property) == before


def test_the_owner_deletes_a_draft_with_its_photos_and_their_files(
    cast: Cast, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    photo = PhotoFactory.create(property=property, uploaded_by=cast.owner)
    assert (media_root / photo.file.name).is_file()

    with django_capture_on_commit_callbacks(execute=True):
        property_delete(actor=cast.owner, property_id=property.pk)

    assert not Property.objects.filter(pk=property.pk).exists()
    assert property.photos.count() == 0
    assert [path for path in media_root.rglob("*") if path.is_file()] == []


def test_deleting_a_submitted_property_is_a_conflict(cast: Cast) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)

    with pytest.raises(ConflictError):
        property_delete(actor=cast.owner, property_id=property.pk)

    assert Property.objects.filter(pk=property.pk).exists()


def test_the_due_date_is_kept_as_given(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)

    with django_capture_on_commit_callbacks(execute=True):
        property_transition(
            actor=cast.reviewer,
            property_id=property.pk,
            action=Action.ASSIGN,
            agent_id=cast.unrelated_agent.pk,
            due_date=date(2030, 1, 2),
        )

    stored = row(property)
    assert (stored["assigned_agent_id"], stored["due_date"]) == (
        cast.unrelated_agent.pk,
        date(2030, 1, 2),
    )
