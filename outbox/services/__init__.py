"""Writes of the event log (an event, pruning) and of webhooks (endpoints, secrets, deliveries)."""

from outbox.services.log import event_record, events_prune
from outbox.services.webhooks import (
    webhook_attempt,
    webhook_create,
    webhook_delete,
    webhook_redeliver,
    webhook_rotate_secret,
    webhook_update,
    webhooks_fan_out,
    webhooks_retry_due,
)

__all__ = (
    "event_record",
    "events_prune",
    "webhook_attempt",
    "webhook_create",
    "webhook_delete",
    "webhook_redeliver",
    "webhook_rotate_secret",
    "webhook_update",
    "webhooks_fan_out",
    "webhooks_retry_due",
)
