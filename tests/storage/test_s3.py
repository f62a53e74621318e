"""Photos on a real S3 server (SeaweedFS in CI) through the project's S3 storage settings: the
original is stored byte for byte, QC writes the preview beside it, and the API hands out
signed URLs that work, expire and cannot be altered."""

import copy
import hashlib
import io
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from PIL import Image

from photos.models import Photo
from tests.cast import authenticated_client
from tests.storage.conftest import NEEDS_S3, Uploaded, stored_object

pytestmark = NEEDS_S3
# Short enough to wait for, long enough to use the URL once before it expires.
SHORT_EXPIRY_SECONDS = 3


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
