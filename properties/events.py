"""The property events: the payload of a status change.

An event about a property goes to the people who may see it at the moment it is written: staff,
the property's owner and its assigned agent (an agent who lost the assignment no longer hears
about it). The services build the payload and record it in the event log
(``outbox.services.event_record``), which fixes that audience.
"""

from typing import Any

from properties.models import StatusChange


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
