from celery import shared_task
from django.core.management import call_command

from propflow.sms import SmsDeliveryError, send_sms


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens() -> None:
    """Deletes expired refresh tokens from the blacklist tables (run daily by beat)."""
    call_command("flushexpiredtokens")


@shared_task(
    name="accounts.send_sms",
    autoretry_for=(SmsDeliveryError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def send_sms_task(*, to: str, body: str) -> None:
    """Sends one notification SMS; retries with backoff while the provider refuses it."""
    send_sms(to=to, body=body)
