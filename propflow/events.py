"""Real-time events: group names, payloads, and broadcasting after the change commits.

A listener joins its own user group, and staff also the staff group. An event goes to the
groups of the people who may see it at the moment it is sent: staff, the property's owner and
its assigned agent (an agent who lost the assignment no longer hears about it).
"""

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

if TYPE_CHECKING:
    from photos.models import Photo
    from properties.models import Property, StatusChange

logger = logging.getLogger(__name__)

STAFF_GROUP = "staff"


def user_group(user_id: UUID | str) -> str:
    return f"user.{user_id}"


def property_audience(property: "Property") -> list[str]:
    """Staff, the owner, and the agent assigned now."""
    groups = [STAFF_GROUP, user_group(property.owner_id)]
    if property.assigned_agent_id is not None:
        groups.append(user_group(property.assigned_agent_id))
    return groups


def status_changed_payload(change: "StatusChange") -> dict[str, Any]:
    return {
        "type": "property.status_changed",
        "property_id": str(change.property_id),
        "from": change.from_status,
        "to": change.to_status,
        "actor_role": change.actor_role,
        "reason": change.reason,
        "at": change.created_at.isoformat(),
    }


def qc_completed_payload(photo: "Photo") -> dict[str, Any]:
    return {
        "type": "photo.qc_completed",
        "photo_id": str(photo.pk),
        "property_id": str(photo.property_id),
        "qc_status": photo.qc_status,
        "checks": photo.qc_checks,
        "at": photo.processed_at.isoformat() if photo.processed_at else None,
    }


def reviewed_payload(photo: "Photo") -> dict[str, Any]:
    return {
        "type": "photo.reviewed",
        "photo_id": str(photo.pk),
        "property_id": str(photo.property_id),
        "decision": photo.review_status,
        "reason": photo.review_reason,
        "at": photo.reviewed_at.isoformat() if photo.reviewed_at else None,
    }


def broadcast_status_changed(*, property: "Property", change: "StatusChange") -> None:
    broadcast_on_commit(property_audience(property), status_changed_payload(change))


def broadcast_qc_completed(*, photo: "Photo") -> None:
    broadcast_on_commit(property_audience(photo.property), qc_completed_payload(photo))


def broadcast_reviewed(*, photo: "Photo") -> None:
    broadcast_on_commit(property_audience(photo.property), reviewed_payload(photo))


def broadcast_on_commit(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Sends the event to the groups once the current transaction commits (at once outside
    one). A failing channel layer is logged, never raised: the change itself has committed."""
    targets = sorted(set(groups))
    transaction.on_commit(lambda: _broadcast(targets, event))


def _broadcast(groups: list[str], event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        # One trip into the event loop for all groups: from a sync caller without a loop (a
        # Celery worker), each async_to_sync call starts a loop and a Redis connection of its own.
        async_to_sync(_send_to_groups)(layer, groups, {"type": "event.message", "event": event})
    except Exception:
        logger.exception("broadcast of %s failed", event.get("type"))


async def _send_to_groups(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    for group in groups:
        await layer.group_send(group, message)
