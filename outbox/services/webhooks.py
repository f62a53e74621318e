"""Webhooks: endpoints and their secrets, and the delivery of each event to each endpoint that
may hear it, with the Standard Webhooks headers, retries on WEBHOOK_RETRY_SCHEDULE, and the SSRF
rules of ``outbox.addresses`` checked at registration and again at every attempt."""

import email.utils
import json
import logging
import random
import time
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from outbox import http, secrets
from outbox.addresses import AddressRefused, resolve_target
from outbox.models import (
    EVENT_TYPES,
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
    event_public_id,
    event_seq,
)
from outbox.selectors import (
    endpoints_hearing,
    event_message,
    webhook_delivery_get_for,
    webhook_get_for,
)
from outbox.signing import new_secret, signature_header
from outbox.tasks import deliver_webhook
from propflow.celery import queue_on_commit
from propflow.errors import ErrorCode, ForbiddenError, InvalidInputError

logger = logging.getLogger(__name__)

ROTATION_OVERLAP = timedelta(hours=24)
# An attempt's claim lapses after this (then the retry sweep may try again): the timeout, plus
# room for the connection and the bookkeeping.
CLAIM_MARGIN_SECONDS = 30
# A queued attempt's task that has not claimed its delivery after this is counted lost.
QUEUE_LEASE = timedelta(minutes=5)
# An event's fan-out task runs right after its commit; one not run this long after was lost.
FAN_OUT_GRACE = timedelta(seconds=30)
FAN_OUT_BATCH = 100
MAX_RETRY_AFTER = timedelta(hours=24)
JITTER = 0.1  # up to a tenth of each delay, added, so that retries of many do not bunch


def _may_register(user: AbstractBaseUser) -> None:
    if not (getattr(user, "is_staff", False) or getattr(user, "role", None) == "client"):
        raise ForbiddenError(
            "Only clients and staff may register webhooks.", code=ErrorCode.WEBHOOKS_FORBIDDEN
        )


def _checked_url(url: str) -> str:
    try:
        resolve_target(url)
    except AddressRefused as error:
        raise InvalidInputError(
            str(error), code=ErrorCode.WEBHOOK_URL_REFUSED, field="url"
        ) from error
    return url


def _checked_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInputError(
            f"Unknown event types: {', '.join(unknown)}; the types are {', '.join(EVENT_TYPES)}.",
            code=ErrorCode.UNKNOWN_EVENT_TYPE,
            field="event_types",
        )
    return sorted(set(event_types))


def webhook_create(
    *, owner: AbstractBaseUser, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Registers an endpoint of a client's or staff's; returns it and its secret (the one time
    it is shown: it is kept encrypted). Side effects: resolves the URL's host."""
    _may_register(owner)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            owner_id=owner.pk,
            url=_checked_url(url),
            event_types=_checked_types(event_types),
            description=description.strip(),
        )
        secret = new_secret()
        WebhookSecret.objects.create(endpoint=endpoint, encrypted=secrets.encrypt(secret))
    logger.info("webhook registered", extra={"webhook_id": str(endpoint.pk)})
    return endpoint, secret


def webhook_update(
    *,
    actor: AbstractBaseUser,
    endpoint_id: UUID | str,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Changes what was given; switching an endpoint on again clears why it was switched off."""
    with transaction.atomic():
        endpoint = webhook_get_for(actor, endpoint_id, for_update=True)
        if url is not None:
            endpoint.url = _checked_url(url)
        if event_types is not None:
            endpoint.event_types = _checked_types(event_types)
        if description is not None:
            endpoint.description = description.strip()
        if is_active is not None:
            endpoint.is_active = is_active
            if is_active:
                endpoint.disabled_reason = ""
        endpoint.save()
    return endpoint


def webhook_delete(*, actor: AbstractBaseUser, endpoint_id: UUID | str) -> None:
    """Deletes the endpoint, its secrets and its deliveries."""
    with transaction.atomic():
        webhook_get_for(actor, endpoint_id, for_update=True).delete()


def webhook_rotate_secret(*, actor: AbstractBaseUser, endpoint_id: UUID | str) -> str:
    """A new secret, returned once; the ones in force keep signing beside it for 24 hours."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = webhook_get_for(actor, endpoint_id, for_update=True)
        endpoint.secrets.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now + ROTATION_OVERLAP)
        ).update(expires_at=now + ROTATION_OVERLAP)
        secret = new_secret()
        WebhookSecret.objects.create(endpoint=endpoint, encrypted=secrets.encrypt(secret))
    logger.info("webhook secret rotated", extra={"webhook_id": str(endpoint.pk)})
    return secret


def webhook_redeliver(
    *, actor: AbstractBaseUser, endpoint_id: UUID | str, delivery_id: UUID | str
) -> WebhookDelivery:
    """Queues the delivery again from its first attempt (a new retry schedule), whatever its
    status; its attempts keep counting."""
    with transaction.atomic():
        delivery = webhook_delivery_get_for(actor, endpoint_id, delivery_id, for_update=True)
        now = timezone.now()
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now
        delivery.queued_until = now + QUEUE_LEASE
        delivery.first_attempt_at = None
        delivery.save(
            update_fields=["status", "next_attempt_at", "queued_until", "first_attempt_at"]
        )
        _queue(delivery.pk)
    return delivery


def _queue(delivery_id: UUID) -> None:
    queue_on_commit(deliver_webhook, delivery_id=str(delivery_id))


def webhooks_fan_out(*, event_id: str) -> int:
    """Makes the event's delivery to every active endpoint that may hear it and wants its type
    (at most one per endpoint: a repeated fan-out makes none), and queues those not tried yet;
    returns how many it queued."""
    seq = event_seq(event_id)
    event = None if seq is None else Event.objects.filter(seq=seq).first()
    if event is None:
        return 0  # pruned, or no event id
    endpoints = [endpoint.pk for endpoint in endpoints_hearing(event)]
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    endpoint_id=pk, event=event, next_attempt_at=now, queued_until=now + QUEUE_LEASE
                )
                for pk in endpoints
            ],
            ignore_conflicts=True,
        )
        # Queued again if still untried: the attempt's claim lets one run through.
        untried = list(
            WebhookDelivery.objects.filter(event=event, attempts=0).values_list("pk", flat=True)
        )
        for delivery_id in untried:
            _queue(delivery_id)
        Event.objects.filter(seq=event.seq, fanned_out=False).update(fanned_out=True)
    return len(untried)


def _fan_out_missed(now: datetime) -> int:
    """Fans out the events of more than FAN_OUT_GRACE ago whose fan-out task never ran (the
    broker was down when they committed, or lost it); how many deliveries it queued."""
    missed = Event.objects.filter(fanned_out=False, created_at__lte=now - FAN_OUT_GRACE)
    seqs = list(missed.order_by("seq").values_list("seq", flat=True)[:FAN_OUT_BATCH])
    for seq in seqs:
        logger.warning("fanning out a missed event", extra={"event_id": event_public_id(seq)})
    return sum(webhooks_fan_out(event_id=event_public_id(seq)) for seq in seqs)


def webhooks_retry_due(*, now: datetime | None = None) -> int:
    """Queues every delivery whose next attempt is due and that no queued task waits for (beat,
    every few seconds: the retries, and the attempts whose task was lost, QUEUE_LEASE after it
    was queued), after fanning out the events whose fan-out was lost; returns how many. A
    delivery it queues is not queued again by the next sweeps while its task waits behind
    others."""
    now = now or timezone.now()
    fanned_out = _fan_out_missed(now)
    due_and_unqueued = WebhookDelivery.objects.filter(
        Q(queued_until__isnull=True) | Q(queued_until__lte=now),
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING),
        next_attempt_at__lte=now,
    )
    due = list(due_and_unqueued.values_list("pk", flat=True)[:1000])
    WebhookDelivery.objects.filter(pk__in=due).update(queued_until=now + QUEUE_LEASE)
    for delivery_id in due:
        deliver_webhook.delay(delivery_id=str(delivery_id))
    return fanned_out + len(due)


def webhook_attempt(
    *, delivery_id: UUID | str, now: datetime | None = None
) -> WebhookDelivery | None:
    """Makes one attempt of a due delivery, or nothing (None) when it is not due: another run
    holds it, it was delivered, or its next attempt is later. A repeated task therefore never
    sends twice.

    Side effects: claims the delivery with a conditional update (its next attempt moved past the
    timeout); checks the endpoint's address again; POSTs the event's message, signed with every
    secret in force; records the outcome: delivered on a 2xx, the endpoint switched off on a
    410, else the next attempt on WEBHOOK_RETRY_SCHEDULE (counted from the first attempt, plus
    jitter, no sooner than a Retry-After) or failed after the last."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + CLAIM_MARGIN_SECONDS)
    # The delivery's own conditions stay in the UPDATE's WHERE, which PostgreSQL checks again
    # on the row a concurrent claim has just changed; behind a join (endpoint__is_active) they
    # went into a subquery read from the snapshot, and two tasks at once could both claim.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING),
        next_attempt_at__lte=now,
        endpoint_id__in=WebhookEndpoint.objects.filter(is_active=True).values("pk"),
    ).update(attempts=F("attempts") + 1, next_attempt_at=lease, queued_until=None)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint__owner", "event").get(
        pk=delivery_id
    )
    if delivery.first_attempt_at is None:
        delivery.first_attempt_at = now
    endpoint = delivery.endpoint
    body = json.dumps(
        event_message(delivery.event, staff=endpoint.owner.is_staff), separators=(",", ":")
    ).encode()
    answer: http.Answer | None = None
    error = ""
    try:
        target = resolve_target(endpoint.url)
        answer = http.post(
            target,
            body=body,
            headers=_headers(endpoint, event_public_id(delivery.event_id), body),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            max_bytes=settings.WEBHOOK_MAX_RESPONSE_BYTES,
            ca_file=settings.WEBHOOK_CA_FILE,
        )
    except AddressRefused as refused:
        error = f"refused: {refused}"
    except http.TransportError as failure:
        error = str(failure)
    _record_outcome(delivery, answer, error, timezone.now())
    return delivery


def _headers(endpoint: WebhookEndpoint, message_id: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    now = timezone.now()
    in_force = [
        secrets.decrypt(secret.encrypted)
        for secret in endpoint.secrets.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        ).order_by("-created_at")
    ]
    return {
        "Content-Type": "application/json",
        "User-Agent": "PropFlow-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            in_force, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def _record_outcome(
    delivery: WebhookDelivery, answer: http.Answer | None, error: str, now: datetime
) -> None:
    delivery.response_status = answer.status if answer else None
    delivery.last_error = error[:500]
    fields = ["first_attempt_at", "response_status", "last_error", "status", "next_attempt_at"]
    if answer is not None and 200 <= answer.status < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
        fields.append("delivered_at")
    elif answer is not None and answer.status == 410:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = "410 Gone: the endpoint was switched off"
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
            is_active=False, disabled_reason="The receiver answered 410 Gone."
        )
    else:
        if answer is not None:
            delivery.last_error = f"HTTP {answer.status}"
        delivery.next_attempt_at = _next_attempt(delivery, answer, now)
        delivery.status = (
            DeliveryStatus.FAILED if delivery.next_attempt_at is None else DeliveryStatus.RETRYING
        )
    delivery.save(update_fields=fields)
    logger.info(
        "webhook attempt",
        extra={
            "delivery_id": str(delivery.pk),
            "status": delivery.status,
            "attempts": delivery.attempts,
        },
    )


def _next_attempt(
    delivery: WebhookDelivery, answer: http.Answer | None, now: datetime
) -> datetime | None:
    """The schedule's next time after the first attempt, with jitter, or a later Retry-After;
    None once the schedule is spent."""
    schedule: list[int] = settings.WEBHOOK_RETRY_SCHEDULE
    retry = delivery.attempts - 1  # the retries so far
    if retry >= len(schedule):
        return None
    assert delivery.first_attempt_at is not None
    delay = schedule[retry]
    at = delivery.first_attempt_at + timedelta(seconds=delay * (1 + random.uniform(0, JITTER)))  # noqa: S311
    wait = _retry_after(answer.retry_after if answer else None, now)
    if wait is not None:
        at = max(at, now + min(wait, MAX_RETRY_AFTER))
    return max(at, now)


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After's seconds or HTTP date, as a wait; None without a readable one."""
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))
