from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens() -> None:
    """Deletes expired refresh tokens from the blacklist tables (run daily by beat)."""
    call_command("flushexpiredtokens")
