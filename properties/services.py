"""Property writes: create, edit and delete drafts, and the one way to change a status."""

import logging
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from outbox.services import event_record
from photos.selectors import photo_categories_missing
from properties.events import status_changed_payload
from properties.models import Property, Status, StatusChange
from properties.selectors import actions_allowed, actors_for, property_get_for
from properties.stats import stats_invalidate
from properties.tasks import make_report, notify_agent
from properties.workflow import ACTION_OF_CHANGE, TRANSITIONS, Action, Actor
from propflow.celery import queue_on_commit
from propflow.errors import ConflictError, ErrorCode, ForbiddenError, InvalidInputError
from propflow.sms import send_sms

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = frozenset(
    {"property_type", "address", "city", "postal_code", "area_sqft", "latitude", "longitude"}
)
# The changes the assigned agent is texted about.
AGENT_TEXTED_ON = frozenset({Action.ASSIGN, Action.REQUEST_REVISION})


@transaction.atomic
def property_create(*, owner: User, fields: dict[str, Any]) -> Property:
    """Registers a draft property for a client. Side effects: one row."""
    if owner.role != Role.CLIENT:
        raise ForbiddenError("Only clients register properties.", code=ErrorCode.CLIENT_ONLY)
    property = Property(owner=owner, **_editable(fields))
    property.full_clean()
    property.save()
    stats_invalidate()
    logger.info("property created", extra={"property_id": str(property.pk)})
    return property


@transaction.atomic
def property_update(*, actor: User, property_id: UUID | str, fields: dict[str, Any]) -> Property:
    """Edits a draft's details, by its owner. Side effects: updates the row."""
    property = _draft_of_owner(actor=actor, property_id=property_id, verb="edit")
    for name, value in _editable(fields).items():
        setattr(property, name, value)
    property.full_clean()
    property.save()
    stats_invalidate()
    return property


@transaction.atomic
def property_delete(*, actor: User, property_id: UUID | str) -> None:
    """Deletes a draft, by its owner. Side effects: deletes the row, its photos' rows and,
    after commit, their files in storage."""
    property = _draft_of_owner(actor=actor, property_id=property_id, verb="delete")
    names = [
        name
        for original, preview in property.photos.values_list("file", "preview")
        for name in (original, preview)
        if name
    ]
    property.delete()
    stats_invalidate()
    transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _draft_of_owner(*, actor: User, property_id: UUID | str, verb: str) -> Property:
    property = property_get_for(user=actor, property_id=property_id, for_update=True)
    if Actor.OWNER not in actors_for(user=actor, property=property):
        raise ForbiddenError(f"Only the owner may {verb} a property.", code=ErrorCode.OWNER_ONLY)
    if property.status != Status.DRAFT:
        raise ConflictError(
            f"Only a draft may be changed; this property is {property.status}.",
            code=ErrorCode.NOT_DRAFT,
            current_status=property.status,
            allowed_actions=[
                str(action) for action in actions_allowed(user=actor, property=property)
            ],
        )
    return property


def _editable(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInputError(
            f"Not editable: {', '.join(sorted(unknown))}.", code=ErrorCode.FIELD_NOT_EDITABLE
        )
    return fields


@transaction.atomic
def property_transition(
    *,
    actor: User,
    property_id: UUID | str,
    action: Action,
    reason: str = "",
    agent_id: UUID | None = None,
    due_date: date | None = None,
    valuation_amount: Decimal | None = None,
    valuation_notes: str = "",
) -> Property:
    """Moves the property along the workflow table, or refuses with nothing changed.

    Locks the row, checks that the actor may take the action (403) from the current status
    (409) and its preconditions, writes the audit row, and after commit broadcasts
    ``property.status_changed``, queues ``properties.notify_agent`` (with the audit row's id)
    on an assignment or a revision request, and ``properties.make_report`` on an approval.
    """
    transition = TRANSITIONS[action]
    property = property_get_for(user=actor, property_id=property_id, for_update=True)
    allowed = [
        str(allowed_action) for allowed_action in actions_allowed(user=actor, property=property)
    ]
    if transition.actor not in actors_for(user=actor, property=property):
        raise ForbiddenError(
            f"Only {transition.actor} may {action} a property.",
            code=ErrorCode.ACTION_FORBIDDEN,
            current_status=property.status,
            allowed_actions=allowed,
        )
    if property.status not in transition.sources:
        raise ConflictError(
            f"Cannot {action} a property that is {property.status}; "
            f"allowed now: {', '.join(allowed) or 'nothing'}.",
            code=ErrorCode.INVALID_TRANSITION,
            current_status=property.status,
            allowed_actions=allowed,
        )
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise InvalidInputError(
            f"A reason is required to {action}.", code=ErrorCode.REASON_REQUIRED, field="reason"
        )

    if action == Action.SUBMIT and (property.latitude is None or property.longitude is None):
        raise ConflictError(
            "Set latitude and longitude before submitting: photos are checked against them.",
            code=ErrorCode.LOCATION_REQUIRED,
            current_status=property.status,
            allowed_actions=allowed,
        )
    if action == Action.ASSIGN:
        property.assigned_agent = _agent(agent_id)
        property.assigned_at = timezone.now()
        property.due_date = due_date or timezone.localdate() + timedelta(
            days=settings.PROPERTY_DEFAULT_DUE_DAYS
        )
    elif action == Action.DECLINE:
        property.assigned_agent = None
        property.assigned_at = None
    elif action == Action.COMPLETE:
        missing = photo_categories_missing(property.pk)
        if missing:
            raise ConflictError(
                f"Upload a photo for each required category first; missing: {', '.join(missing)}.",
                code=ErrorCode.PHOTOS_MISSING,
                current_status=property.status,
                allowed_actions=allowed,
                missing_categories=missing,
            )
    elif action == Action.REQUEST_REVISION:
        property.revision_count += 1
    elif action == Action.APPROVE:
        if valuation_amount is None or valuation_amount <= 0:
            raise InvalidInputError(
                "A positive valuation amount is required to approve.",
                code=ErrorCode.VALUATION_REQUIRED,
                field="valuation_amount",
            )
        property.valuation_amount = valuation_amount
        property.valuation_notes = valuation_notes.strip()

    from_status = property.status
    property.status = transition.target
    property.save()
    change = StatusChange.objects.create(
        property=property,
        from_status=from_status,
        to_status=property.status,
        actor=actor,
        actor_role=actor.role,
        reason=reason,
    )
    stats_invalidate()
    event_record(subject=property, payload=status_changed_payload(change))
    if action in AGENT_TEXTED_ON:
        queue_on_commit(notify_agent, status_change_id=change.pk)
    if action == Action.APPROVE:
        queue_on_commit(make_report, property_id=str(property.pk))
    logger.info(
        "property %s", action, extra={"property_id": str(property.pk), "to_status": property.status}
    )
    return property


def _agent(agent_id: UUID | None) -> User:
    if agent_id is None:
        raise InvalidInputError(
            "Choose an agent to assign.", code=ErrorCode.AGENT_REQUIRED, field="agent"
        )
    agent = User.objects.filter(pk=agent_id, role=Role.AGENT, is_active=True).first()
    if agent is None:
        raise InvalidInputError(
            "No active field agent has this id.", code=ErrorCode.UNKNOWN_AGENT, field="agent"
        )
    return agent


def property_notify_agent(*, status_change_id: int) -> None:
    """Texts the property's assigned agent about the status change, when it is an assignment
    or a revision request (with its reason); the worker builds the text, so that the task
    carries an id only. Side effects: one SMS, none when the property has no agent any more;
    raises SmsDeliveryError when the provider refuses it."""
    change = StatusChange.objects.select_related("property__assigned_agent").get(
        pk=status_change_id
    )
    property = change.property
    agent = property.assigned_agent
    action = ACTION_OF_CHANGE[change.from_status, change.to_status]
    if agent is None or action not in AGENT_TEXTED_ON:
        return
    if action == Action.ASSIGN:
        body = (
            f"PropFlow: new inspection at {property.address}, {property.city}, "
            f"due {property.due_date:%d %b %Y}."
        )
    else:
        body = (
            f"PropFlow: revision requested for {property.address}, {property.city}: {change.reason}"
        )
    send_sms(to=str(agent.phone), body=body)
    logger.info(
        "agent texted",
        extra={"property_id": str(property.pk), "status_change_id": change.pk},
    )
