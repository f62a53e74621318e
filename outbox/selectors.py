"""Reading the event log (what a user may hear, as the messages the socket sends) and the
webhooks (whose endpoints, which endpoints hear an event)."""

from typing import Any
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from outbox.models import (
    Event,
    WebhookDelivery,
    WebhookEndpoint,
    event_public_id,
    event_seq,
)
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
        self, user: AbstractBaseUser, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        staff = bool(getattr(user, "is_staff", False))
        return [
            event_message(event, staff=staff)
            for event in events_after(user, after=after, limit=limit)
        ]

    def newest_id(self) -> str | None:
        newest = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
        return None if newest is None else event_public_id(newest)


LOG = OutboxLog()


def webhooks_of(user: AbstractBaseUser) -> QuerySet[WebhookEndpoint]:
    """The user's own endpoints (staff too: the admin shows everyone's)."""
    return WebhookEndpoint.objects.filter(owner_id=user.pk)


def webhook_get_for(
    user: AbstractBaseUser, endpoint_id: UUID | str, *, for_update: bool = False
) -> WebhookEndpoint:
    """One of the user's endpoints; Http404 for anyone else's or none."""
    endpoints = webhooks_of(user)
    if for_update:
        endpoints = endpoints.select_for_update()
    try:
        return endpoints.get(pk=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, ValueError, ValidationError) as error:
        raise Http404("No such webhook.") from error


def webhook_delivery_get_for(
    user: AbstractBaseUser,
    endpoint_id: UUID | str,
    delivery_id: UUID | str,
    *,
    for_update: bool = False,
) -> WebhookDelivery:
    """One delivery of one of the user's endpoints; Http404 otherwise."""
    endpoint = webhook_get_for(user, endpoint_id)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    if for_update:
        deliveries = deliveries.select_for_update()
    try:
        return deliveries.get(pk=delivery_id)
    except (WebhookDelivery.DoesNotExist, ValueError, ValidationError) as error:
        raise Http404("No such delivery.") from error


def endpoints_hearing(event: Event) -> list[WebhookEndpoint]:
    """The active endpoints the event goes to: staff's (while their owner is staff), and its
    owner's (the audience fixed in the log; agents have none), registered by the time of the
    event and wanting its type. Judged here rather than in SQL: the staff roles are the user
    model's, and the endpoints are few."""
    candidates = WebhookEndpoint.objects.filter(
        is_active=True, owner__is_active=True, created_at__lte=event.created_at
    )
    return [
        endpoint
        for endpoint in candidates.select_related("owner")
        if (getattr(endpoint.owner, "is_staff", False) or endpoint.owner_id == event.owner_id)
        and (not endpoint.event_types or event.type in endpoint.event_types)
    ]
