import asyncio
import io
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import Role, User
from photos.models import Photo
from properties.models import Property, Status
from propflow.realtime.broadcast import STAFF_GROUP
from tests.conftest import authenticated_client
from tests.factories import PropertyFactory, UserFactory
from tests.photos.images import make_jpeg

ROLES = (
    "anonymous",
    "other_client",
    "owner",
    "unrelated_agent",
    "assigned_agent",
    "reviewer",
    "admin",
)
IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture(autouse=True)
def _in_memory_events(settings) -> None:
    """Events go to an in-memory layer, where these tests listen for them."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def stored_files(media: Path) -> list[str]:
    """Every file in storage, as paths relative to its root."""
    if not media.exists():
        return []
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


@dataclass
class Cast:
    owner: User
    other_client: User
    unrelated_agent: User
    assigned_agent: User
    reviewer: User
    admin: User
    draft: Property
    inspecting: Property

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)

    def client(self, role: str) -> APIClient:
        user = self.user(role)
        return APIClient() if user is None else authenticated_client(user)


@pytest.fixture
def cast(db) -> Cast:
    """A client's draft, and the same client's property that an agent is inspecting, with
    everyone else who may ask about them."""
    owner = UserFactory.create(role=Role.CLIENT)
    assigned_agent = UserFactory.create(role=Role.AGENT)
    return Cast(
        owner=owner,
        other_client=UserFactory.create(role=Role.CLIENT),
        unrelated_agent=UserFactory.create(role=Role.AGENT),
        assigned_agent=assigned_agent,
        reviewer=UserFactory.create(role=Role.REVIEWER),
        admin=UserFactory.create(role=Role.ADMIN),
        draft=PropertyFactory.create(owner=owner),
        inspecting=PropertyFactory.create(
            owner=owner,
            status=Status.INSPECTING,
            assigned_agent=assigned_agent,
            assigned_at=timezone.now() - timedelta(hours=2),
        ),
    )


def camera_time(moment: datetime) -> str:
    """A moment as a phone in India writes its capture time."""
    return moment.astimezone(IST).strftime("%Y-%m-%dT%H:%M:%S")


def upload(
    client: APIClient,
    property: Property,
    data: bytes,
    *,
    category: str = "FRONT",
    name: str = "IMG_0001.jpg",
    key: str | None = None,
):
    """Posts a photo as a phone app does."""
    headers: dict[str, Any] = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(
        f"/api/v1/properties/{property.pk}/photos/",
        {"file": SimpleUploadedFile(name, data, content_type="image/jpeg"), "category": category},
        format="multipart",
        **headers,
    )


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, image_format)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A valid PNG of a few dozen bytes whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG whose frame header claims width x height pixels."""
    frame = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    scan = b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + b"\xff\xc0"
        + struct.pack(">H", len(frame) + 2)
        + frame
        + b"\xff\xda"
        + struct.pack(">H", len(scan) + 2)
        + scan
        + b"\x00" * 64
        + b"\xff\xd9"
    )


def photo_count() -> int:
    return Photo.objects.count()


class EventListener:
    """A listener in one group (the staff group unless told) of the real (in-memory) channel
    layer."""

    def __init__(self, group: str = STAFF_GROUP) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(group, self.channel)

    def events(self) -> list[dict[str, Any]]:
        """The events received since the last call, oldest first."""
        received = []
        # Receive only what is waiting: waiting on an empty queue would bind it to this call's
        # short-lived event loop (and block).
        while not self.layer.channels.get(self.channel, asyncio.Queue()).empty():
            received.append(async_to_sync(self.layer.receive)(self.channel)["event"])
        return received


@pytest.fixture
def staff_events(media_root) -> EventListener:
    return EventListener()


def uploaded(
    cast: Cast,
    data: bytes,
    *,
    by: str = "assigned_agent",
    property: Property | None = None,
    category: str = "FRONT",
) -> Photo:
    """A photo stored through the upload service (its QC not run yet)."""
    from photos.services import photo_upload

    actor = getattr(cast, by)
    target = property or (cast.inspecting if by == "assigned_agent" else cast.draft)
    return photo_upload(
        actor=actor,
        property_id=target.pk,
        file=SimpleUploadedFile("IMG_0001.jpg", data),
        category=category,
    )


def phone_jpeg(
    property: Property,
    *,
    taken: datetime | None = None,
    north_km: float | None = 0.1,
    offset: str | None = "+05:30",
    seed: int = 0,
    **options,
) -> bytes:
    """A 1600x1200 phone photo taken `north_km` north of the property (no position if None)
    an hour ago, by a phone set to India's time."""
    assert property.latitude is not None
    assert property.longitude is not None
    moment = taken or timezone.now() - timedelta(hours=1)
    position = (
        None if north_km is None else (property.latitude + north_km / 111.195, property.longitude)
    )
    return make_jpeg(
        1600,
        1200,
        seed=seed,
        gps=position,
        taken_at=camera_time(moment),
        offset=offset,
        make="Google",
        model="Pixel 8",
        **options,
    )


def results(photo: Photo) -> dict[str, str]:
    """Each check's result, by name, in the order QC ran them."""
    return {check["name"]: check["result"] for check in photo.qc_checks}


ALL_PASS = {
    "gps_present": "pass",
    "gps_distance": "pass",
    "capture_time": "pass",
    "resolution": "pass",
    "duplicate": "pass",
    "sharpness": "pass",
}
