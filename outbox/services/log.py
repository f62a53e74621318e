"""Writing the event log: one row per event, in the transaction of the change that causes it,
then the broadcast after commit; and pruning it."""

from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from outbox.models import Event
from outbox.selectors import event_message
from outbox.tasks import fan_out_webhooks
from propflow.celery import queue_on_commit
from propflow.realtime.broadcast import STAFF_GROUP, broadcast_on_commit, user_group

# The key of the PostgreSQL advisory lock that orders the writers of the log ("outbox").
WRITERS_LOCK = 0x6F7574626F78


class EventSubject(Protocol):
    """What an event is about: a property, its owner and the agent assigned now."""

    @property
    def pk(self) -> Any: ...
    @property
    def owner_id(self) -> UUID: ...
    @property
    def assigned_agent_id(self) -> UUID | None: ...


def event_record(
    *,
    subject: EventSubject,
    payload: dict[str, Any],
    staff_payload: dict[str, Any] | None = None,
) -> Event:
    """Writes the event (``payload["type"]``) about the property in the current transaction,
    for staff (``staff_payload`` when they hear more), the owner and the agent assigned now.

    Side effects: on PostgreSQL, takes the log's advisory lock until the transaction ends, so
    that events get their ids in the order their transactions commit (SQLite has one writer at
    a time already) and a listener reading after an id never misses one committed later with a
    smaller one. After commit, broadcasts the messages to the audience's groups and queues the
    event's webhook deliveries (``outbox.fan_out_webhooks``)."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITERS_LOCK])
        event = Event.objects.create(
            type=payload["type"],
            property_id=subject.pk,
            owner_id=subject.owner_id,
            agent_id=subject.assigned_agent_id,
            payload=payload,
            staff_payload=staff_payload,
        )
    participants = [user_group(subject.owner_id)]
    if subject.assigned_agent_id is not None:
        participants.append(user_group(subject.assigned_agent_id))
    message = event_message(event, staff=False)
    if staff_payload is None:
        broadcast_on_commit([STAFF_GROUP, *participants], message)
    else:
        broadcast_on_commit([STAFF_GROUP], event_message(event, staff=True))
        broadcast_on_commit(participants, message)
    queue_on_commit(fan_out_webhooks, event_id=message["id"])
    return event


def events_prune(*, now: datetime | None = None) -> int:
    """Deletes the events older than EVENT_RETENTION_DAYS; returns how many. A listener asking
    for events after one of them is told they are gone."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENT_RETENTION_DAYS)
    _, deleted = Event.objects.filter(created_at__lt=cutoff).delete()
    return deleted.get(Event._meta.label, 0)
