from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.services import user_tokens
from accounts.tasks import flush_expired_tokens
from propflow.celery import app
from tests.factories import UserFactory

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
