from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app
from django.core.cache import cache
from rest_framework.test import APIClient

from propflow import sms
from tests.cast import Cast, make_cast
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings) -> Iterator[None]:
    """Every test starts with an empty cache and SMS outbox, SMS kept in memory, and Celery
    tasks run in the test's process (tests of the real worker start their own)."""
    settings.SMS_BACKEND = "locmem"
    current_app.conf.task_always_eager = True
    cache.clear()
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _channel_layer(settings) -> None:
    """Each test gets its own in-memory channel layer (changing the setting drops the cached
    one), so that a Redis shared with other test runs cannot leak events into assertions.
    The tests of the transport itself override this (tests/realtime/conftest.py)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Files go to a local folder of the test's own, never data/ (tests of S3 storage set
    their own storage)."""
    media: Path = tmp_path / "media"
    settings.MEDIA_ROOT = media
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media},
        },
    }
    return media


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


@pytest.fixture
def client_user(db):
    return UserFactory.create(role="client")
