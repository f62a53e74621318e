"""Property events and who hears them."""

from typing import Any

from properties.models import Property, StatusChange
from propflow.events import STAFF_GROUP, broadcast_on_commit, user_group


def property_groups(property: Property) -> list[str]:
    """The owner, the agent assigned now, and staff."""
    groups = [STAFF_GROUP, user_group(property.owner_id)]
    if property.assigned_agent_id is not None:
        groups.append(user_group(property.assigned_agent_id))
    return groups


def status_changed_payload(change: StatusChange) -> dict[str, Any]:
    return {
        "type": "property.status_changed",
        "property_id": str(change.property_id),
        "from": change.from_status,
        "to": change.to_status,
        "actor_role": change.actor_role,
        "reason": change.reason,
        "at": change.created_at.isoformat(),
    }


def status_changed_broadcast(*, property: Property, change: StatusChange) -> None:
    broadcast_on_commit(property_groups(property), status_changed_payload(change))
