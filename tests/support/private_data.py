"""What logs and task messages may hold: ids, never phone numbers, message bodies or codes.

``use_twilio`` sends SMS through the production backend with only its HTTP call replaced (the
development backends print messages by design); ``log_lines`` renders every captured record as
production writes it, the ``extra=`` fields included.
"""

import io
import urllib.request
from typing import Any
from urllib.parse import parse_qs

import pytest

from propflow.logs import JsonFormatter


class _TwilioAnswer(io.BytesIO):
    status = 201


def use_twilio(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """Sends SMS through the Twilio backend; returns the list its messages are posted to."""
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC123"
    settings.TWILIO_AUTH_TOKEN = "secret"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    posted: list[dict[str, str]] = []

    def urlopen(request: urllib.request.Request, timeout: float) -> _TwilioAnswer:
        form = parse_qs(request.data.decode())  # type: ignore[union-attr]
        posted.append({name: values[0] for name, values in form.items()})
        return _TwilioAnswer(b"{}")

    # The paid third party is the one thing replaced: its HTTP call.
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return posted


def log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record caplog took, as one JSON line each."""
    formatter = JsonFormatter()
    return [formatter.format(record) for record in caplog.records]


def task_runs(caplog: pytest.LogCaptureFixture) -> list[tuple[str, dict[str, Any]]]:
    """The name and keyword arguments of each task run, from the task log (propflow.celery)."""
    return [
        (getattr(record, "task"), getattr(record, "task_kwargs"))  # noqa: B009 - extra= fields
        for record in caplog.records
        if record.name == "propflow.task"
    ]
