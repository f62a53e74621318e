"""Real-time events: group names and broadcasting after the database change commits.

Listeners join their own user group, and staff also the staff group; an event goes to the
groups of the people who may see it at the moment it is sent.
"""

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

STAFF_GROUP = "staff"


def user_group(user_id: UUID | str) -> str:
    return f"user.{user_id}"


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
        for group in groups:
            async_to_sync(layer.group_send)(group, {"type": "event.message", "event": event})
    except Exception:
        logger.exception("broadcast of %s failed", event.get("type"))
