"""The photo storage adapter: transient, missing and fatal storage errors told apart, originals
copied out for decoding, and previews written beside them."""

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from tempfile import SpooledTemporaryFile
from typing import BinaryIO, cast

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from photos.models import Photo, preview_path
from propflow.errors import ErrorCode, ServiceUnavailableError

logger = logging.getLogger(__name__)

# Connection trouble talking to storage; ClientError answers are sorted by _is_transient.
TRANSIENT_STORAGE_ERRORS = (OSError, BotocoreConnectionError, HTTPClientError)
# Originals are copied out of storage for decoding; up to this much of one stays in memory.
LOCAL_COPY_MEMORY_BYTES = 4 * 1024 * 1024


class TransientStorageError(Exception):
    """Storage could not be read or written just now: the QC task retries on this alone."""


def _is_transient(error: Exception) -> bool:
    """Connection trouble, and server-side (5xx) or throttling answers: worth another try."""
    if isinstance(error, ClientError):
        http_status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = error.response.get("Error", {}).get("Code", "")
        return int(http_status) >= 500 or code in ("SlowDown", "Throttling", "RequestTimeout")
    return isinstance(error, TRANSIENT_STORAGE_ERRORS) and not isinstance(error, FileNotFoundError)


def _is_missing(error: Exception) -> bool:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "") in ("404", "NoSuchKey")
    return isinstance(error, FileNotFoundError)


@contextmanager
def storage_access(action: str) -> Iterator[None]:
    """Storage failures worth a retry, as TransientStorageError."""
    try:
        yield
    except Exception as error:
        if _is_transient(error):
            raise TransientStorageError(f"{action}: {error}") from error
        raise


@contextmanager
def storage_or_unavailable(what: str) -> Iterator[None]:
    """Storage failures worth a retry, as the API's 503 that asks the client to retry."""
    try:
        yield
    except TransientStorageError as error:
        logger.warning("%s storage unavailable: %s", what, error)
        raise ServiceUnavailableError(
            f"{what} storage is unavailable; try again shortly.",
            code=ErrorCode.STORAGE_UNAVAILABLE,
        ) from error


@contextmanager
def local_copy(name: str) -> Iterator[BinaryIO | None]:
    """The original copied out of storage (None when storage has lost it). Storage errors thus
    surface here, and never inside a decoder, where they would pass for a corrupt file."""
    with SpooledTemporaryFile(max_size=LOCAL_COPY_MEMORY_BYTES) as local:
        found = _copy_from_storage(name, local)
        local.seek(0)
        yield cast(BinaryIO, local) if found else None


def _copy_from_storage(name: str, destination: SpooledTemporaryFile[bytes]) -> bool:
    try:
        with storage_access(f"reading {name}"), default_storage.open(name, "rb") as source:
            shutil.copyfileobj(source, destination)
    except Exception as error:
        if _is_missing(error):
            return False
        raise
    return True


def store_preview(photo: Photo, jpeg: bytes | None) -> str:
    if jpeg is None:
        return ""
    name = preview_path(photo, "preview.jpg")
    with storage_access(f"writing {name}"):
        # A run that died after writing the preview left it behind: replace it, not add a copy.
        default_storage.delete(name)
        return default_storage.save(name, ContentFile(jpeg))


def read_stored(name: str) -> bytes | None:
    """A stored file's bytes; None when storage has lost it."""
    try:
        with storage_access(f"reading {name}"), default_storage.open(name, "rb") as stored:
            return cast(bytes, stored.read())
    except Exception as error:
        if _is_missing(error):
            return None
        raise


def read_preview(photo: Photo) -> bytes | None:
    """The preview's bytes; None when the photo has none, or storage has lost it."""
    return read_stored(photo.preview.name) if photo.preview.name else None
