"""Reading the event log: what a user may hear, as the messages the socket sends."""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet

from outbox.models import Event, event_public_id, event_seq
from propflow.realtime.replay import EventsGone, MalformedEventId


def events_visible_to(user: AbstractBaseUser) -> QuerySet[Event]:
    """Staff hear every event; anyone else the events written for them: a client its own
    properties', an agent those of the properties assigned to it when each was written."""
    if getattr(user, "is_staff", False):
        return Event.objects.all()
    return Event.objects.filter(Q(owner_id=user.pk) | Q(agent_id=user.pk))


def event_message(event: Event, *, staff: bool) -> dict[str, Any]:
    """The event as a listener receives it: its id, then the payload for its audience."""
    payload = event.staff_payload if staff and event.staff_payload is not None else event.payload
    return {"id": event_public_id(event.seq), **payload}


def events_after(user: AbstractBaseUser, *, after: str | None, limit: int) -> list[Event]:
    """The user's events after the event ``after`` (from the oldest kept without one), oldest
    first, at most ``limit``. Raises MalformedEventId and EventsGone (an event no longer kept:
    older than the retention)."""
    events = events_visible_to(user)
    if after is not None:
        seq = event_seq(after)
        if seq is None:
            raise MalformedEventId(after)
        if not Event.objects.filter(seq=seq).exists():
            raise EventsGone(after)
        events = events.filter(seq__gt=seq)
    return list(events.order_by("seq")[:limit])


class OutboxLog:
    """The log the events socket replays from (``propflow.realtime.replay``)."""

    def messages_after(
        self, user: AbstractBaseUser, after: str, limit: int
    ) -> list[dict[str, Any]]:
        staff = bool(getattr(user, "is_staff", False))
        return [
            event_message(event, staff=staff)
            for event in events_after(user, after=after, limit=limit)
        ]


LOG = OutboxLog()
