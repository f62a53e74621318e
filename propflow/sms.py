"""Pluggable SMS delivery, chosen by ``SMS_BACKEND`` the way Django chooses an email backend.

``console`` logs the message, ``file`` writes one JSON file per message into ``SMS_FILE_PATH``,
``locmem`` appends to :data:`outbox` (tests), ``twilio`` calls Twilio's REST API.
Only the console and file backends ever show a message's text: it may hold a sign-in code.
"""

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

from celery import Task, shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class SmsDeliveryError(Exception):
    """The provider did not accept the message."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


def sms_task(name: str) -> Callable[[Callable[_P, _R]], Task[_P, _R]]:
    """A task that sends an SMS: retried with backoff while the provider refuses it."""
    return shared_task(
        name=name,
        autoretry_for=(SmsDeliveryError,),
        retry_backoff=5,
        retry_backoff_max=300,
        max_retries=5,
    )


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> None: ...


outbox: list[SmsMessage] = []


class ConsoleBackend:
    def send(self, message: SmsMessage) -> None:
        logger.info("SMS to %s: %s", message.to, message.body)


class FileBackend:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: SmsMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent_at = datetime.now(tz=UTC)
        name = f"{sent_at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.json"
        payload = {"to": message.to, "body": message.body, "sent_at": sent_at.isoformat()}
        # Write then rename, so that a reader polling the folder never sees half a file.
        partial = self.directory / f".{name}.partial"
        partial.write_text(json.dumps(payload), encoding="utf-8")
        partial.rename(self.directory / name)


class LocmemBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class TwilioBackend:
    api_base = "https://api.twilio.com/2010-04-01"
    timeout_seconds = 10

    def __init__(self, account_sid: str, auth_token: str, from_number: str) -> None:
        if not (account_sid and auth_token and from_number):
            raise ImproperlyConfigured(
                "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "TWILIO_FROM_NUMBER."
            )
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number

    def send(self, message: SmsMessage) -> None:
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - a fixed https URL
            f"{self.api_base}/Accounts/{self.account_sid}/Messages.json",
            data=urllib.parse.urlencode(
                {"To": message.to, "From": self.from_number, "Body": message.body}
            ).encode(),
            headers={"Authorization": f"Basic {credentials}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                status = response.status
        except (urllib.error.URLError, TimeoutError) as error:
            raise SmsDeliveryError(f"Twilio request failed: {error}") from error
        if status >= 300:
            raise SmsDeliveryError(f"Twilio answered HTTP {status}")
        # Without the number: logs hold ids only (the caller logs what the message was about).
        logger.info("SMS sent through Twilio")


def get_backend() -> SmsBackend:
    name = settings.SMS_BACKEND
    if name == "console":
        return ConsoleBackend()
    if name == "file":
        return FileBackend(Path(settings.SMS_FILE_PATH))
    if name == "locmem":
        return LocmemBackend()
    if name == "twilio":
        return TwilioBackend(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER
        )
    raise ImproperlyConfigured(f"Unknown SMS_BACKEND {name!r}: console, file, locmem or twilio.")


def send_sms(*, to: str, body: str) -> None:
    """Sends one SMS through the configured backend; raises SmsDeliveryError on failure."""
    get_backend().send(SmsMessage(to=to, body=body))
