"""From a real Celery worker to a real WebSocket: a photo uploaded over HTTP to the real ASGI
server is checked by the worker, whose broadcast reaches the owner's socket through Redis."""

import json
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.conf import settings
from django.utils import timezone
from websockets.sync.client import ClientConnection, connect

from accounts.models import Role
from properties.models import Property
from tests.factories import PropertyFactory, UserFactory
from tests.realtime.conftest import access_token
from tests.support.images import make_jpeg
from tests.support.processes import (
    asgi_server,
    celery_worker,
    database_url_of_this_test,
    needs_postgresql_and_redis,
    services_environment,
)

pytestmark = [pytest.mark.services, needs_postgresql_and_redis]

QC_SECONDS = 90


def next_event(socket: ClientConnection, event_type: str) -> dict[str, Any]:
    deadline = time.monotonic() + QC_SECONDS
    while (remaining := deadline - time.monotonic()) > 0:
        event: dict[str, Any] = json.loads(socket.recv(timeout=remaining))
        if event["type"] == event_type:
            return event
    raise AssertionError(f"no {event_type} within {QC_SECONDS} s")


@pytest.mark.django_db(transaction=True)
def test_a_workers_qc_result_reaches_the_owners_socket(tmp_path) -> None:
    owner = UserFactory.create(role=Role.CLIENT)
    latitude, longitude = 18.5362, 73.8940
    property = PropertyFactory.create(owner=owner, latitude=latitude, longitude=longitude)
    # An owner's photo must be taken after the property was registered (EXIF has whole seconds).
    registered_at = timezone.now() - timedelta(hours=1)
    Property.objects.filter(pk=property.pk).update(created_at=registered_at)
    token = access_token(owner)
    taken_at = datetime.now(ZoneInfo(settings.PROPERTY_TIME_ZONE)) - timedelta(minutes=5)
    jpeg = make_jpeg(
        gps=(latitude, longitude),
        taken_at=taken_at.strftime("%Y-%m-%dT%H:%M:%S"),
        offset="+05:30",
    )
    # The same signing key as this process, which issued the token.
    environment = services_environment(
        tmp_path, DATABASE_URL=database_url_of_this_test(), SECRET_KEY=settings.SECRET_KEY
    )
    authorization = {"Authorization": f"Bearer {token}"}

    with asgi_server(environment) as base_url, celery_worker(environment):
        ws_url = base_url.replace("http://", "ws://") + f"/ws/events/?token={token}"
        with connect(ws_url, open_timeout=30, proxy=None) as socket:
            socket.send('{"action": "ping"}')
            assert json.loads(socket.recv(timeout=30)) == {"type": "pong"}
            uploaded = httpx.post(
                f"{base_url}/api/v1/properties/{property.pk}/photos/",
                headers=authorization,
                files={"file": ("front.jpg", jpeg, "image/jpeg")},
                data={"category": "FRONT"},
                timeout=60,
            )
            assert uploaded.status_code == 202, uploaded.text
            photo_id = uploaded.json()["id"]
            event = next_event(socket, "photo.qc_completed")
        checked = httpx.get(f"{base_url}/api/v1/photos/{photo_id}/", headers=authorization)

    photo = checked.json()
    assert photo["qc_status"] == "PASS", photo["qc_checks"]
    assert event["at"] is not None
    assert datetime.fromisoformat(event.pop("at")) == datetime.fromisoformat(photo["processed_at"])
    assert event.pop("id").startswith("evt_")
    assert event == {
        "type": "photo.qc_completed",
        "photo_id": photo_id,
        "property_id": str(property.pk),
        "qc_status": "PASS",
        "checks": photo["qc_checks"],
    }
