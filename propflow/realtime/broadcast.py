"""The broadcast transport: group names, and sending an event to groups after the change commits.

A listener joins its own user group, and staff also the staff group. Which groups hear an event
(its audience) and what it carries (its payload) are decided by the app that emits it
(``properties.events``, ``photos.events``); this module knows no model.
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
        # One trip into the event loop for all groups: from a sync caller without a loop (a
        # Celery worker), each async_to_sync call starts a loop and a Redis connection of its own.
        async_to_sync(_send_to_groups)(layer, groups, {"type": "event.message", "event": event})
    except Exception:
        logger.exception("broadcast of %s failed", event.get("type"))


async def _send_to_groups(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    for group in groups:
        await layer.group_send(group, message)
