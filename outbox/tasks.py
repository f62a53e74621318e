"""Event log tasks: thin, ids in, a service call each."""

from celery import shared_task


@shared_task(name="outbox.prune_events")
def prune_events() -> int:
    """Deletes the events older than EVENT_RETENTION_DAYS (beat, daily)."""
    from outbox.services import events_prune

    return events_prune()


@shared_task(name="outbox.fan_out_webhooks", acks_late=True, reject_on_worker_lost=True)
def fan_out_webhooks(*, event_id: str) -> int:
    """Makes and queues the event's webhook deliveries (outbox.services.webhooks_fan_out)."""
    from outbox.services import webhooks_fan_out

    return webhooks_fan_out(event_id=event_id)


@shared_task(name="outbox.deliver_webhook", acks_late=True, reject_on_worker_lost=True)
def deliver_webhook(*, delivery_id: str) -> None:
    """One attempt of a due delivery (outbox.services.webhook_attempt): safe to run twice, its
    claim lets one through; a failed attempt is retried by the sweep, not by Celery."""
    from outbox.services import webhook_attempt

    webhook_attempt(delivery_id=delivery_id)


@shared_task(name="outbox.retry_webhooks")
def retry_webhooks() -> int:
    """Queues the deliveries whose next attempt is due (beat, every WEBHOOK_SWEEP_SECONDS)."""
    from outbox.services import webhooks_retry_due

    return webhooks_retry_due()
