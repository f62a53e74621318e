"""Photos on a real S3 server (SeaweedFS in CI) through the project's S3 storage settings: the
original is stored byte for byte, QC writes the preview beside it, and the API hands out
signed URLs that work, expire and cannot be altered."""

import copy
import hashlib
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import boto3
import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

import propflow.settings as project_settings
from accounts.models import Role, User
from photos.models import Photo
from properties.models import Property
from tests.cast import authenticated_client
from tests.factories import PropertyFactory, UserFactory
from tests.support.images import make_jpeg

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        not (os.environ.get("S3_BUCKET") and os.environ.get("S3_ENDPOINT_URL")),
        reason="needs S3_BUCKET and S3_ENDPOINT_URL (with AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY): a real S3 server, as .ci/run's services run starts",
    ),
]

PUNE = (18.5362, 73.8940)
IST = ZoneInfo("Asia/Kolkata")
# Short enough to wait for, long enough to use the URL once before it expires.
SHORT_EXPIRY_SECONDS = 3


@pytest.fixture
def s3_storage(settings: Any, media_root: Any) -> dict[str, Any]:
    """The default storage as settings.py configures it from the environment (S3), in place of
    the local folder that the autouse media_root fixture sets."""
    s3_config = copy.deepcopy(project_settings.STORAGES["default"])
    assert s3_config["BACKEND"] == "propflow.storage.SharedClientS3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": s3_config}
    return s3_config


def bucket() -> Any:
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
        region_name=os.environ.get("S3_REGION", "us-east-1"),
    )


def stored_object(key: str) -> tuple[bytes, dict[str, Any]]:
    """The object's bytes and its headers (HEAD's answer), from the bucket itself."""
    answer = bucket().get_object(Bucket=os.environ["S3_BUCKET"], Key=key)
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
        client = bucket()
        listing = client.list_objects_v2(
            Bucket=os.environ["S3_BUCKET"], Prefix=f"photos/{property.pk}/"
        )
        for item in listing.get("Contents", []):
            client.delete_object(Bucket=os.environ["S3_BUCKET"], Key=item["Key"])


def photo_urls(uploaded: Uploaded) -> tuple[str, str]:
    """The file_url and preview_url that the API gives the owner now."""
    body = authenticated_client(uploaded.owner).get(f"/api/v1/photos/{uploaded.photo.pk}/").json()
    return body["file_url"], body["preview_url"]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def other_signature(signature: str) -> str:
    """The signature with its last hex digit changed."""
    return signature[:-1] + ("0" if signature[-1] != "0" else "1")


def test_the_original_is_stored_in_the_bucket_byte_for_byte(uploaded: Uploaded) -> None:
    photo = uploaded.photo

    stored, headers = stored_object(f"photos/{uploaded.property.pk}/{photo.pk}/original")

    assert photo.file.name == f"photos/{uploaded.property.pk}/{photo.pk}/original"
    assert stored == uploaded.original
    digest = hashlib.sha256(stored).hexdigest()
    assert digest == hashlib.sha256(uploaded.original).hexdigest()
    assert (uploaded.response["sha256"], photo.sha256) == (digest, digest)
    assert (headers["ContentType"], headers["Metadata"]) == ("image/jpeg", {})
    assert "ContentDisposition" not in headers


def test_qc_reads_the_original_from_the_bucket_and_writes_the_preview_there(
    uploaded: Uploaded,
) -> None:
    photo = Photo.objects.get(pk=uploaded.photo.pk)

    stored, headers = stored_object(f"photos/{uploaded.property.pk}/{photo.pk}/preview.jpg")

    assert (photo.qc_status, photo.qc_error) == ("PASS", "")
    assert photo.preview.name == f"photos/{uploaded.property.pk}/{photo.pk}/preview.jpg"
    assert headers["ContentType"] == "image/jpeg"
    with Image.open(io.BytesIO(stored)) as preview:
        assert (preview.format, preview.size) == ("JPEG", (1024, 768))
        assert dict(preview.getexif()) == {}


def test_the_signed_urls_serve_the_stored_files(uploaded: Uploaded) -> None:
    file_url, preview_url = photo_urls(uploaded)
    preview, _ = stored_object(f"photos/{uploaded.property.pk}/{uploaded.photo.pk}/preview.jpg")

    original_answer = httpx.get(file_url, timeout=30)
    preview_answer = httpx.get(preview_url, timeout=30)
    unsigned_answer = httpx.get(urlunsplit(urlsplit(file_url)._replace(query="")), timeout=30)

    assert file_url.startswith(os.environ["S3_ENDPOINT_URL"])
    assert "X-Amz-Signature=" in file_url
    assert (original_answer.status_code, original_answer.content) == (200, uploaded.original)
    assert (preview_answer.status_code, preview_answer.content) == (200, preview)
    assert unsigned_answer.status_code == 403  # the bucket is not public


def test_a_signed_url_is_refused_once_it_has_expired(
    uploaded: Uploaded, settings: Any, s3_storage: dict[str, Any]
) -> None:
    short_lived = copy.deepcopy(s3_storage)
    short_lived["OPTIONS"]["querystring_expire"] = SHORT_EXPIRY_SECONDS
    settings.STORAGES = {**settings.STORAGES, "default": short_lived}
    file_url, _ = photo_urls(uploaded)
    query = dict(parse_qsl(urlsplit(file_url).query))
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    expires_at = signed_at + timedelta(seconds=int(query["X-Amz-Expires"]))

    fresh = httpx.get(file_url, timeout=30)
    # The signing time has whole seconds: one more, and the URL has expired for certain.
    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 1)
    expired = httpx.get(file_url, timeout=30)

    assert query["X-Amz-Expires"] == str(SHORT_EXPIRY_SECONDS)
    assert fresh.status_code == 200
    assert expired.status_code == 403
    assert expired.content != uploaded.original


@pytest.mark.parametrize("tampering", ["signature", "key", "expiry"])
def test_an_altered_signed_url_is_refused(uploaded: Uploaded, tampering: str) -> None:
    file_url, preview_url = photo_urls(uploaded)
    signature = dict(parse_qsl(urlsplit(file_url).query))["X-Amz-Signature"]
    if tampering == "signature":
        altered = with_query(file_url, **{"X-Amz-Signature": other_signature(signature)})
    elif tampering == "key":
        # The preview's address with the original's signature.
        altered = with_query(preview_url, **{"X-Amz-Signature": signature})
    else:
        altered = with_query(file_url, **{"X-Amz-Expires": "604800"})

    genuine = httpx.get(file_url, timeout=30)
    answer = httpx.get(altered, timeout=30)

    assert genuine.status_code == 200
    assert altered != file_url
    assert answer.status_code == 403
