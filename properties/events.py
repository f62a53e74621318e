"""The property events: who hears about a property, and the payload of a status change.

An event about a property goes to the people who may see it at the moment it is sent: staff,
the property's owner and its assigned agent (an agent who lost the assignment no longer hears
about it). The services build the payload and hand it to ``propflow.realtime.broadcast``.
"""

from typing import Any

from properties.models import Property, StatusChange
from propflow.realtime.broadcast import STAFF_GROUP, user_group


def property_audience(property: Property) -> list[str]:
    """Staff, the owner, and the agent assigned now."""
    return [STAFF_GROUP, *property_participants(property)]


def property_participants(property: Property) -> list[str]:
    """The owner, and the agent assigned now: the audience but staff."""
    groups = [user_group(property.owner_id)]
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
