from celery import shared_task


@shared_task(name="outbox.prune_events")
def prune_events() -> int:
    """Deletes the events older than EVENT_RETENTION_DAYS (beat, daily)."""
    from outbox.services import events_prune

    return events_prune()
