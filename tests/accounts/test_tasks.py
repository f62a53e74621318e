import inspect
import logging
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.services import user_tokens
from accounts.tasks import flush_expired_tokens
from propflow.celery import app
from tests.factories import UserFactory
from tests.support.private_data import log_lines, task_runs, use_twilio

pytestmark = pytest.mark.django_db


def test_it_flushes_expired_refresh_tokens_and_keeps_live_ones():
    user = UserFactory.create()
    user_tokens(user=user)
    user_tokens(user=user)
    expired = OutstandingToken.objects.first()
    assert expired is not None
    OutstandingToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )

    flush_expired_tokens()

    assert OutstandingToken.objects.count() == 1
    assert not OutstandingToken.objects.filter(pk=expired.pk).exists()


def test_beat_schedules_the_flush_daily():
    entry = app.conf.beat_schedule["flush-expired-tokens"]

    assert entry["task"] == flush_expired_tokens.name == "accounts.flush_expired_tokens"


def test_every_task_takes_ids_only():
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"accounts.flush_expired_tokens", "photos.run_qc", "photos.requeue_stuck"} <= set(ours)

    parameters = {
        name: [(p.name, p.kind) for p in inspect.signature(task.run).parameters.values()]
        for name, task in ours.items()
    }

    assert {
        name: taken
        for name, taken in parameters.items()
        if any(not n.endswith("_id") or k != inspect.Parameter.KEYWORD_ONLY for n, k in taken)
    } == {}


def test_a_sign_in_code_is_texted_at_once_without_a_task_and_never_logged(
    api_client, settings, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    posted = use_twilio(settings, monkeypatch)
    phone = "+919876543210"

    response = api_client.post("/api/v1/auth/otp/request/", {"phone": phone}, format="json")

    assert response.status_code == 202
    (message,) = posted
    match = re.search(r"\b\d{6}\b", message["Body"])
    assert match is not None
    secrets = (phone, phone.removeprefix("+"), match.group(), message["Body"])
    assert [line for line in log_lines(caplog) if any(s in line for s in secrets)] == []
    assert task_runs(caplog) == []
