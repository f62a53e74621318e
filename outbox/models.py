"""The event log: one row per event, with the audience it was computed for when written."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

EVENT_ID_PREFIX = "evt_"
EVENT_ID_DIGITS = 16


class Event(models.Model):
    """An event as it was told: its payload for the property's owner and agent, and for staff
    (the same unless staff hear more), and who heard it. ``seq`` follows commit order
    (``outbox.services.event_record``); its public id is ``event_public_id(seq)``."""

    seq = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=64)
    # No foreign key constraints in the database (Django still deletes the events of a deleted
    # property or user): checking one locks the row it points to, and a writer holding the log's
    # lock must wait for no row, or a change that locked its property and then waits for the
    # log's lock would deadlock with it.
    property = models.ForeignKey(
        "properties.Property", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # The agent assigned when the event was written: it hears this event, whatever comes later.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_constraint=False,
    )
    payload = models.JSONField()
    # What staff hear, when it is more than the payload (a QC result's duplicate details).
    staff_payload = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by the webhook fan-out (its deliveries made): until then the retry sweep fans the
    # event out itself, should the task queued after commit have been lost (a broker down or
    # restarted).
    # A database default too: a process of the release before writes events without it.
    fanned_out = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "seq"], name="event_owner_seq"),
            models.Index(fields=["agent", "seq"], name="event_agent_seq"),
            models.Index(fields=["created_at"], name="event_created_at"),
            models.Index(
                fields=["seq"], condition=models.Q(fanned_out=False), name="event_not_fanned_out"
            ),
        ]

    def __str__(self) -> str:
        return f"{event_public_id(self.seq)} {self.type}"


def event_public_id(seq: int) -> str:
    """A string that sorts as the sequence does: fixed width, zero-padded."""
    return f"{EVENT_ID_PREFIX}{seq:0{EVENT_ID_DIGITS}d}"


def event_seq(public_id: str) -> int | None:
    """The sequence number of a public id, or None when it is not one."""
    digits = public_id.removeprefix(EVENT_ID_PREFIX)
    if (
        digits == public_id
        or len(digits) != EVENT_ID_DIGITS
        or not digits.isascii()
        or not digits.isdigit()
    ):
        return None
    return int(digits)


# The event types the log carries: what a webhook endpoint may filter on.
EVENT_TYPES = ("property.status_changed", "photo.qc_completed", "photo.reviewed")


class WebhookEndpoint(models.Model):
    """A URL that the events its owner may hear are pushed to (a client: its properties'; staff:
    every one), optionally only some types (``event_types``, empty for all)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    # Why it was switched off by delivery (the receiver answered 410 Gone), if it was.
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "created_at"], name="webhook_owner_created")]

    def __str__(self) -> str:
        return self.url


class WebhookSecret(models.Model):
    """One signing secret of an endpoint, encrypted at rest (``outbox.secrets``). The newest
    signs alone until a rotation; a rotated one keeps signing until ``expires_at``."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="secrets")
    encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"secret of {self.endpoint_id} from {self.created_at:%Y-%m-%d %H:%M}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One event to one endpoint: at most one per pair, however often its task runs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # When the next attempt is due; while one is being made, when its claim lapses.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While a task for its attempt waits in the queue: until when, after which the retry sweep
    # counts that task lost and queues another (not before: one task per attempt, not one per
    # sweep while a backlog drains). Cleared when an attempt claims the delivery.
    queued_until = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_once_per_event")
        ]
        indexes = [
            models.Index(fields=["endpoint", "created_at"], name="delivery_endpoint_created"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{event_public_id(self.event_id)} to {self.endpoint_id}"
