"""The photos tests' two properties of the cast's owner (tests/cast.py), photos as a phone makes and
uploads them, and a listener in the staff group."""

import io
import struct
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from photos.models import Photo
from photos.provenance import TrustSettings
from properties.models import Property, Status
from propflow import sms
from tests.cast import Cast
from tests.events import EventListener, listen_to_staff
from tests.factories import PropertyFactory
from tests.support.images import C2PA_CORPUS_DIR, make_jpeg, png_chunk

IST = ZoneInfo("Asia/Kolkata")


def stored_files(media: Path) -> list[str]:
    """Every file in storage, as paths relative to its root."""
    if not media.exists():
        return []
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


@pytest.fixture
def draft(cast: Cast) -> Property:
    """The owner's draft."""
    return PropertyFactory.create(owner=cast.owner)


@pytest.fixture
def inspecting(cast: Cast) -> Property:
    """The same owner's property that the assigned agent is inspecting."""
    return PropertyFactory.create(
        owner=cast.owner,
        status=Status.INSPECTING,
        assigned_agent=cast.assigned_agent,
        assigned_at=timezone.now() - timedelta(hours=2),
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
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")


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


def assert_nothing_stored(media_root, callbacks) -> None:
    assert photo_count() == 0
    assert stored_files(media_root) == []
    assert callbacks == []  # no QC task, no event, no SMS queued
    assert sms.outbox == []


@pytest.fixture
def staff_events(media_root) -> EventListener:
    return listen_to_staff()


def uploaded(property: Property, data: bytes, *, category: str = "FRONT") -> Photo:
    """A photo stored through the upload service (its QC not run yet), uploaded by the agent
    inspecting the property, or by its owner when no agent is."""
    from photos.services import photo_upload

    return photo_upload(
        actor=property.assigned_agent or property.owner,
        property_id=property.pk,
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
    "provenance": "pass",
}


@pytest.fixture
def c2pa_trust() -> TrustSettings:
    """The C2PA corpus' test trust anchors and EKU list; skips where the corpus is absent."""
    anchors, config = _c2pa_trust_files()
    return TrustSettings(trust_anchors=anchors.read_text(), trust_config=config.read_text())


@pytest.fixture
def c2pa_trusted(settings) -> None:
    """QC verifies against the C2PA corpus' test trust anchors, as CI's settings would."""
    anchors, config = _c2pa_trust_files()
    settings.C2PA_TRUST_ANCHORS = str(anchors)
    settings.C2PA_TRUST_CONFIG = str(config)


def _c2pa_trust_files() -> tuple[Path, Path]:
    anchors = C2PA_CORPUS_DIR / "test_root_bundle.pem"
    if not anchors.is_file():
        pytest.skip(f"the C2PA corpus is not at {C2PA_CORPUS_DIR}")
    return anchors, C2PA_CORPUS_DIR / "trust_config.cfg"
