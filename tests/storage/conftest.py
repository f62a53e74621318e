"""A real S3 server (SeaweedFS in CI) as the default storage, and a client's photo uploaded to
it: what the S3 tests share. They are skipped without one."""

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import propflow.settings as project_settings
from accounts.models import Role, User
from photos.models import Photo
from properties.models import Property
from tests.cast import authenticated_client
from tests.factories import PropertyFactory, UserFactory
from tests.support.images import make_jpeg
from tests.support.s3 import s3_client

NEEDS_S3 = [
    pytest.mark.services,
    pytest.mark.skipif(
        not (os.environ.get("S3_BUCKET") and os.environ.get("S3_ENDPOINT_URL")),
        reason="needs S3_BUCKET and S3_ENDPOINT_URL (with AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY): a real S3 server, as .ci/run's services run starts",
    ),
]

PUNE = (18.5362, 73.8940)
IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def s3_storage(settings: Any, media_root: Any) -> dict[str, Any]:
    """The default storage as settings.py configures it from the environment (S3), in place of
    the local folder that the autouse media_root fixture sets."""
    s3_config = copy.deepcopy(project_settings.STORAGES["default"])
    assert s3_config["BACKEND"] == "propflow.storage.SharedClientS3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": s3_config}
    return s3_config


def stored_object(key: str) -> tuple[bytes, dict[str, Any]]:
    """The object's bytes and its headers (HEAD's answer), from the bucket itself."""
    answer = s3_client().get_object(Bucket=os.environ["S3_BUCKET"], Key=key)
    return answer["Body"].read(), answer


@dataclass(frozen=True)
class Uploaded:
    owner: User
    property: Property
    photo: Photo
    original: bytes
    response: dict[str, Any]


@pytest.fixture
def uploaded(s3_storage, db, django_capture_on_commit_callbacks) -> Iterator[Uploaded]:
    """A client's phone photo of their draft, uploaded through the API (QC run in-process after
    commit, as the embedded default does); its objects are removed from the bucket after."""
    owner = UserFactory.create(role=Role.CLIENT)
    property = PropertyFactory.create(owner=owner, latitude=PUNE[0], longitude=PUNE[1])
    Property.objects.filter(pk=property.pk).update(created_at=timezone.now() - timedelta(hours=1))
    taken_at = datetime.now(IST) - timedelta(minutes=5)
    original = make_jpeg(
        gps=PUNE, taken_at=taken_at.strftime("%Y-%m-%dT%H:%M:%S"), offset="+05:30", seed=31
    )
    # A declared type and a name that storage must not keep: the content decides.
    file = SimpleUploadedFile("IMG_0001.jpg", original, content_type="application/octet-stream")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = authenticated_client(owner).post(
                f"/api/v1/properties/{property.pk}/photos/",
                {"file": file, "category": "FRONT"},
                format="multipart",
            )
        assert response.status_code == 202, response.content
        photo = Photo.objects.get(pk=response.json()["id"])
        yield Uploaded(owner, property, photo, original, response.json())
    finally:
        client = s3_client()
        listing = client.list_objects_v2(
            Bucket=os.environ["S3_BUCKET"], Prefix=f"photos/{property.pk}/"
        )
        for item in listing.get("Contents", []):
            client.delete_object(Bucket=os.environ["S3_BUCKET"], Key=item["Key"])
