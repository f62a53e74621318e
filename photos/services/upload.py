"""The photo upload: checked by content, stored unchanged, its QC queued after commit."""

import hashlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO, cast
from uuid import UUID

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from accounts.models import User
from photos.exif import ImageTooLargeError, UnreadableImageError
from photos.imaging import ACCEPTED_CONTENT_TYPES, DecodeTooLargeError, open_image, sniff
from photos.models import Category, Photo
from photos.storage import storage_access, storage_or_unavailable
from photos.tasks import run_qc
from properties.models import Property, Status
from properties.selectors import actors_for, property_get_for
from properties.stats import stats_invalidate
from properties.workflow import Actor
from propflow.celery import queue
from propflow.errors import (
    ConflictError,
    ErrorCode,
    ForbiddenError,
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedImageError,
)

logger = logging.getLogger(__name__)

ACCEPTED_TYPES_TEXT = "JPEG, HEIC/HEIF, AVIF, WebP or PNG"
# Who may add photos to a property, and in which status.
UPLOAD_STATUS = {Actor.OWNER: Status.DRAFT, Actor.ASSIGNED_AGENT: Status.INSPECTING}
HASH_CHUNK_BYTES = 1024 * 1024


def upload_too_large_message() -> str:
    megabytes = settings.PHOTO_MAX_UPLOAD_BYTES / (1024 * 1024)
    return f"The file is larger than the {megabytes:g} MB limit."


@dataclass(frozen=True)
class _CheckedUpload:
    content_type: str
    size: int
    sha256: str


def photo_upload(
    *,
    actor: User,
    property_id: UUID | str,
    file: UploadedFile,
    category: str,
    idempotency_key: str = "",
) -> Photo:
    """Stores a photo of a property and queues its QC, or refuses with nothing stored.

    For the owner while the property is a draft and the assigned agent while inspecting: 404
    for whoever cannot see the property, 403 for the others who can, 409 in another status. The
    file must be an accepted image by its content (415) within the size, pixel and decode memory
    limits (413).
    A retry with an ``idempotency_key`` the actor already used returns the first photo (409 if
    that key went with another property or category).

    Side effects: the original is written unchanged to storage and one row is created; after
    commit, the ``photos.run_qc`` task is queued.
    """
    stored_name = ""
    try:
        with transaction.atomic():
            property = property_get_for(user=actor, property_id=property_id, for_update=True)
            allowed_status = _upload_status_for(actor=actor, property=property)
            first = _first_upload(actor=actor, idempotency_key=idempotency_key)
            if first is not None:
                return _replayed(first, property=property, category=category)
            if property.status != allowed_status:
                raise ConflictError(
                    f"Photos can be added while the property is {allowed_status}; "
                    f"it is {property.status}.",
                    code=ErrorCode.UPLOADS_CLOSED,
                    current_status=property.status,
                )
            if category not in Category.values:
                raise InvalidInputError(
                    f"{category!r} is not a photo category.",
                    code=ErrorCode.INVALID_CATEGORY,
                    field="category",
                )
            checked = _check_upload(file)
            photo = Photo(
                property=property,
                category=category,
                uploaded_by=actor,
                idempotency_key=idempotency_key,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
            )
            # Neither the client's file name nor its declared type is kept (S3 would store it).
            original = UploadedFile(
                file=file.file,
                name="original",
                content_type=checked.content_type,
                size=checked.size,
            )
            with storage_or_unavailable("Photo"), storage_access("writing the original"):
                photo.file.save("original", original, save=False)
            stored_name = photo.file.name or ""
            try:
                # A savepoint: when a concurrent retry with the same key wins, only this fails.
                with transaction.atomic():
                    photo.save(force_insert=True)
            except IntegrityError:
                twin = _first_upload(actor=actor, idempotency_key=idempotency_key)
                if twin is None:
                    raise
                default_storage.delete(stored_name)
                stored_name = ""
                return _replayed(twin, property=property, category=category)
            # Robust: once the row has committed, nothing may fail the upload (or, through the
            # handler below, delete its original); a photo left PENDING is the sweep's.
            stats_invalidate()
            # When the broker is down, the photo stays PENDING and the sweep queues it.
            transaction.on_commit(partial(queue, run_qc, photo_id=str(photo.pk)), robust=True)
    except BaseException:
        # Rolling the transaction back does not remove the file written inside it.
        if stored_name:
            default_storage.delete(stored_name)
        raise
    logger.info(
        "photo uploaded",
        extra={"photo_id": str(photo.pk), "property_id": str(property.pk), "size": photo.size},
    )
    return photo


def _upload_status_for(*, actor: User, property: Property) -> Status:
    actors = actors_for(user=actor, property=property)
    for uploader, allowed_status in UPLOAD_STATUS.items():
        if uploader in actors:
            return allowed_status
    # Reviewers judge the evidence; gathering it is the owner's and the agent's part.
    raise ForbiddenError(
        "Only the owner (while a draft) or the assigned agent (while inspecting) may add photos.",
        code=ErrorCode.UPLOADER_ONLY,
        current_status=property.status,
    )


def _first_upload(*, actor: User, idempotency_key: str) -> Photo | None:
    if not idempotency_key:
        return None
    return Photo.objects.filter(uploaded_by=actor, idempotency_key=idempotency_key).first()


def _replayed(photo: Photo, *, property: Property, category: str) -> Photo:
    if photo.property_id != property.pk or photo.category != category:
        raise ConflictError(
            "This Idempotency-Key was already used for another upload; send a new key.",
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
    return photo


def _check_upload(file: UploadedFile) -> _CheckedUpload:
    """The upload's type from its content, and its SHA-256 streamed from the spooled file."""
    size = file.size or 0
    if size > settings.PHOTO_MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(
            upload_too_large_message(), code=ErrorCode.PHOTO_TOO_LARGE, field="file"
        )
    if file.file is None:
        raise InvalidInputError("No file was sent.", code=ErrorCode.FILE_REQUIRED, field="file")
    # Django types an upload's file as IO[Any]; it is opened in binary mode.
    stream = cast(BinaryIO, file.file)
    stream.seek(0)
    content_type = sniff(stream)
    if content_type is None:
        raise UnsupportedImageError(
            f"The file is not an image; send {ACCEPTED_TYPES_TEXT}.",
            code=ErrorCode.UNSUPPORTED_IMAGE,
            field="file",
        )
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise UnsupportedImageError(
            f"{content_type} is not accepted; send {ACCEPTED_TYPES_TEXT}.",
            code=ErrorCode.UNSUPPORTED_IMAGE,
            field="file",
        )
    try:
        # Parses the header alone. Not closed: Image.close() would close the upload's file.
        open_image(stream, settings.PHOTO_MAX_PIXELS, settings.PHOTO_MAX_DECODE_MB)
    except DecodeTooLargeError as error:
        raise PayloadTooLargeError(
            f"The image would take too much memory to decode (at most "
            f"{settings.PHOTO_MAX_DECODE_MB:,} MB): {error}.",
            code=ErrorCode.DECODE_TOO_LARGE,
            field="file",
        ) from error
    except ImageTooLargeError as error:
        raise PayloadTooLargeError(
            f"The image has too many pixels (at most {settings.PHOTO_MAX_PIXELS:,}): {error}.",
            code=ErrorCode.TOO_MANY_PIXELS,
            field="file",
        ) from error
    except UnreadableImageError as error:
        raise UnsupportedImageError(
            f"The file is not a readable image ({error}); send {ACCEPTED_TYPES_TEXT}.",
            code=ErrorCode.UNREADABLE_IMAGE,
            field="file",
        ) from error
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(HASH_CHUNK_BYTES):
        digest.update(chunk)
    stream.seek(0)
    return _CheckedUpload(content_type=content_type, size=size, sha256=digest.hexdigest())
