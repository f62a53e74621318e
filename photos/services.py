"""Photo writes: the upload, the QC run, the sweep of stuck runs, and a reviewer's decision."""

import hashlib
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from tempfile import SpooledTemporaryFile
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from uuid import UUID

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from rest_framework import status

from accounts.models import User
from accounts.tasks import send_sms_task
from photos.events import qc_completed_payload, reviewed_payload
from photos.exif import GpsFix, ImageTooLargeError, UnreadableImageError
from photos.imaging import (
    ACCEPTED_CONTENT_TYPES,
    analyse,
    dhash_from_hex,
    dhash_to_hex,
    open_image,
    sniff,
)
from photos.models import Category, Photo, QcStatus, ReviewStatus, preview_path
from photos.qc import DuplicateCandidate, Thresholds, haversine_km, overall_status, run_checks
from photos.selectors import photo_get_for
from properties.events import property_audience
from properties.models import Property, Status
from properties.selectors import actors_for, property_get_for
from properties.workflow import Actor
from propflow.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    ServiceUnavailable,
)
from propflow.realtime.broadcast import broadcast_on_commit

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

ACCEPTED_TYPES_TEXT = "JPEG, HEIC/HEIF, AVIF, WebP or PNG"
# Who may add photos to a property, and in which status.
UPLOAD_STATUS = {Actor.OWNER: Status.DRAFT, Actor.ASSIGNED_AGENT: Status.INSPECTING}
# A closed case's evidence is frozen.
REVIEWABLE_STATUSES = frozenset(Status) - {Status.VALUED, Status.REJECTED, Status.CANCELLED}
# Connection trouble talking to storage; ClientError answers are sorted by _is_transient.
TRANSIENT_STORAGE_ERRORS = (OSError, BotocoreConnectionError, HTTPClientError)
# Originals are copied out of storage for decoding; up to this much of one stays in memory.
LOCAL_COPY_MEMORY_BYTES = 4 * 1024 * 1024
HASH_CHUNK_BYTES = 1024 * 1024
SWEEP_BATCH = 1000


class PayloadTooLargeError(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class UnsupportedImageError(DomainError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE


class TransientStorageError(Exception):
    """Storage could not be read or written just now: the QC task retries on this alone."""


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RESHOOT = "reshoot"


REVIEW_STATUS = {
    ReviewDecision.APPROVE: ReviewStatus.APPROVED,
    ReviewDecision.REJECT: ReviewStatus.REJECTED,
    ReviewDecision.RESHOOT: ReviewStatus.RESHOOT,
}


def upload_too_large_message() -> str:
    megabytes = settings.PHOTO_MAX_UPLOAD_BYTES / (1024 * 1024)
    return f"The file is larger than the {megabytes:g} MB limit."


# --- Upload ---------------------------------------------------------------------------------


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
    file must be an accepted image by its content (415) within the size and pixel limits (413).
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
                    current_status=property.status,
                )
            if category not in Category.values:
                raise InvalidInputError(f"{category!r} is not a photo category.", field="category")
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
            try:
                with _storage_access("writing the original"):
                    photo.file.save("original", original, save=False)
            except TransientStorageError as error:
                logger.warning("photo storage unavailable: %s", error)
                raise ServiceUnavailable(
                    "Photo storage is unavailable; try again shortly."
                ) from error
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
            transaction.on_commit(partial(_queue_qc, photo_id=str(photo.pk)), robust=True)
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
        current_status=property.status,
    )


def _first_upload(*, actor: User, idempotency_key: str) -> Photo | None:
    if not idempotency_key:
        return None
    return Photo.objects.filter(uploaded_by=actor, idempotency_key=idempotency_key).first()


def _replayed(photo: Photo, *, property: Property, category: str) -> Photo:
    if photo.property_id != property.pk or photo.category != category:
        raise ConflictError(
            "This Idempotency-Key was already used for another upload; send a new key."
        )
    return photo


def _check_upload(file: UploadedFile) -> _CheckedUpload:
    """The upload's type from its content, and its SHA-256 streamed from the spooled file."""
    size = file.size or 0
    if size > settings.PHOTO_MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(upload_too_large_message(), field="file")
    if file.file is None:
        raise InvalidInputError("No file was sent.", field="file")
    # Django types an upload's file as IO[Any]; it is opened in binary mode.
    stream = cast(BinaryIO, file.file)
    stream.seek(0)
    content_type = sniff(stream)
    if content_type is None:
        raise UnsupportedImageError(
            f"The file is not an image; send {ACCEPTED_TYPES_TEXT}.", field="file"
        )
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise UnsupportedImageError(
            f"{content_type} is not accepted; send {ACCEPTED_TYPES_TEXT}.", field="file"
        )
    try:
        # Parses the header alone. Not closed: Image.close() would close the upload's file.
        open_image(stream, settings.PHOTO_MAX_PIXELS)
    except ImageTooLargeError as error:
        raise PayloadTooLargeError(
            f"The image has too many pixels (at most {settings.PHOTO_MAX_PIXELS:,}): {error}.",
            field="file",
        ) from error
    except UnreadableImageError as error:
        raise UnsupportedImageError(
            f"The file is not a readable image ({error}); send {ACCEPTED_TYPES_TEXT}.",
            field="file",
        ) from error
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(HASH_CHUNK_BYTES):
        digest.update(chunk)
    stream.seek(0)
    return _CheckedUpload(content_type=content_type, size=size, sha256=digest.hexdigest())


# --- Quality control ------------------------------------------------------------------------


def _run_qc_task() -> "Task[Any, None]":
    # Imported when used, because photos.tasks imports this module.
    from photos.tasks import run_qc

    return run_qc


def _queue_qc(*, photo_id: str) -> None:
    """Queues the photo's QC. Runs after the upload has committed: when the broker is down, the
    photo is stored all the same and stays PENDING, and the sweep queues it once it is back."""
    try:
        _run_qc_task().delay(photo_id=photo_id)
    except KombuOperationalError as error:
        logger.warning(
            "QC not queued (the broker is unavailable); the sweep will queue it: %s",
            error,
            extra={"photo_id": photo_id},
        )


def qc_thresholds() -> Thresholds:
    """The QC limits in force, from settings."""
    return Thresholds(
        max_distance_km=settings.PHOTO_QC_MAX_DISTANCE_KM,
        max_age_hours=settings.PHOTO_QC_MAX_AGE_HOURS,
        min_width=settings.PHOTO_QC_MIN_WIDTH,
        min_height=settings.PHOTO_QC_MIN_HEIGHT,
        dhash_near_distance=settings.PHOTO_QC_DHASH_NEAR_DISTANCE,
        sharpness_min_variance=settings.PHOTO_QC_SHARPNESS_MIN_VARIANCE,
        clock_skew_minutes=settings.PHOTO_QC_CLOCK_SKEW_MINUTES,
    )


@dataclass(frozen=True)
class _Outcome:
    fields: dict[str, Any]
    preview_jpeg: bytes | None = None


def photo_run_qc(*, photo_id: UUID | str) -> Photo | None:
    """Runs QC on a photo once: returns it checked, or None when there was nothing to do.

    Claims the photo (PENDING, or RUNNING abandoned for PHOTO_QC_STUCK_SECONDS) with a
    conditional update, so that repeated or concurrent runs do the work once. Copies the original
    out of storage, analyses it on a draft-scaled preview (never decoding full resolution where
    the format allows), runs the checks and records the header's facts, the checks and the
    verdict; ERROR with the reason when the file cannot be read. When storage fails, releases
    the claim and raises TransientStorageError.

    Side effects: the preview (without EXIF) is written beside the original; the row is updated;
    after commit, ``photo.qc_completed`` is broadcast.
    """
    claimed_at = _claim(photo_id)
    if claimed_at is None:
        return None
    photo = Photo.objects.select_related("property").filter(pk=photo_id).first()
    if photo is None:  # its draft was deleted since
        return None
    try:
        with _local_copy(photo.file.name or "") as local:
            outcome = _analysed(photo, local)
        preview_name = _store_preview(photo, outcome.preview_jpeg)
    except TransientStorageError:
        _release(photo_id, claimed_at)
        raise
    return _record(photo_id, claimed_at, outcome, preview_name)


def _claim(photo_id: UUID | str) -> datetime | None:
    now = timezone.now()
    abandoned = now - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS)
    claimed = (
        Photo.objects.filter(pk=photo_id)
        .filter(
            Q(qc_status=QcStatus.PENDING)
            | Q(qc_status=QcStatus.RUNNING, qc_started_at__lt=abandoned)
        )
        .update(qc_status=QcStatus.RUNNING, qc_started_at=now, updated_at=now)
    )
    return now if claimed else None


def _release(photo_id: UUID | str, claimed_at: datetime) -> None:
    Photo.objects.filter(pk=photo_id, qc_status=QcStatus.RUNNING, qc_started_at=claimed_at).update(
        qc_status=QcStatus.PENDING, qc_started_at=None, updated_at=timezone.now()
    )


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
def _storage_access(action: str) -> Iterator[None]:
    """Storage failures worth a retry, as TransientStorageError."""
    try:
        yield
    except Exception as error:
        if _is_transient(error):
            raise TransientStorageError(f"{action}: {error}") from error
        raise


@contextmanager
def _local_copy(name: str) -> Iterator[BinaryIO | None]:
    """The original copied out of storage (None when storage has lost it). Storage errors thus
    surface here, and never inside a decoder, where they would pass for a corrupt file."""
    with SpooledTemporaryFile(max_size=LOCAL_COPY_MEMORY_BYTES) as local:
        found = _copy_from_storage(name, local)
        local.seek(0)
        yield cast(BinaryIO, local) if found else None


def _copy_from_storage(name: str, destination: SpooledTemporaryFile[bytes]) -> bool:
    try:
        with _storage_access(f"reading {name}"), default_storage.open(name, "rb") as source:
            shutil.copyfileobj(source, destination)
    except Exception as error:
        if _is_missing(error):
            return False
        raise
    return True


def _analysed(photo: Photo, local: BinaryIO | None) -> _Outcome:
    if local is None:
        return _error_outcome("the original file is missing from storage")
    try:
        analysis = analyse(local, max_pixels=settings.PHOTO_MAX_PIXELS)
    except UnreadableImageError as error:
        return _error_outcome(str(error))
    except Exception as error:
        # Decoders of untrusted files raise more than they document; such a file must end in
        # ERROR rather than fail the task and be re-queued by the sweep for ever.
        logger.exception("photo analysis failed", extra={"photo_id": str(photo.pk)})
        return _error_outcome(f"the image could not be processed ({type(error).__name__})")

    metadata = analysis.metadata
    property = photo.property
    checks = run_checks(
        metadata=metadata,
        property_lat=property.latitude,
        property_lon=property.longitude,
        window_start=_capture_window_start(photo),
        uploaded_at=photo.created_at,
        sha256=photo.sha256,
        dhash=analysis.dhash,
        candidates=_duplicate_candidates(photo),
        sharpness=analysis.sharpness,
        time_zone=settings.PROPERTY_TIME_ZONE,
        thresholds=qc_thresholds(),
    )
    gps = metadata.gps
    fields = {
        "width": metadata.width,
        "height": metadata.height,
        # The columns hold 100 characters; a hostile header may hold more.
        "make": metadata.make[:100],
        "model": metadata.model[:100],
        "taken_at": metadata.taken_at or "",
        "taken_at_offset": metadata.offset or "",
        "gps_lat": gps.lat if gps else None,
        "gps_lon": gps.lon if gps else None,
        "gps_alt": gps.alt if gps else None,
        "gps_accuracy_m": gps.accuracy_m if gps else None,
        "distance_km": _distance_km(gps, property),
        "dhash": dhash_to_hex(analysis.dhash),
        "qc_checks": [check.as_dict() for check in checks],
        "qc_status": QcStatus(overall_status(checks)),
        "qc_error": "",
    }
    return _Outcome(fields=fields, preview_jpeg=analysis.preview.jpeg)


def _error_outcome(reason: str) -> _Outcome:
    return _Outcome(fields={"qc_status": QcStatus.ERROR, "qc_error": reason, "qc_checks": []})


def _capture_window_start(photo: Photo) -> datetime:
    """When the visit began: the current assignment for an agent's photo, the property's
    creation for its owner's."""
    property = photo.property
    if photo.uploaded_by_id == property.owner_id or property.assigned_at is None:
        return property.created_at
    return property.assigned_at


def _duplicate_candidates(photo: Photo) -> list[DuplicateCandidate]:
    """Every other photo with the same bytes or with a picture hash to compare with."""
    rows = (
        Photo.objects.exclude(pk=photo.pk)
        .filter(Q(sha256=photo.sha256) | ~Q(dhash=""))
        .values_list("sha256", "dhash", "property_id")
    )
    return [
        DuplicateCandidate(
            sha256=sha256,
            dhash=dhash_from_hex(dhash) if dhash else None,
            same_property=property_id == photo.property_id,
        )
        for sha256, dhash, property_id in rows.iterator(chunk_size=2000)
    ]


def _distance_km(gps: GpsFix | None, property: Property) -> float | None:
    if gps is None or property.latitude is None or property.longitude is None:
        return None
    return haversine_km(gps.lat, gps.lon, property.latitude, property.longitude)


def _store_preview(photo: Photo, jpeg: bytes | None) -> str:
    if jpeg is None:
        return ""
    name = preview_path(photo, "preview.jpg")
    with _storage_access(f"writing {name}"):
        # A run that died after writing the preview left it behind: replace it, not add a copy.
        default_storage.delete(name)
        return default_storage.save(name, ContentFile(jpeg))


def _record(
    photo_id: UUID | str, claimed_at: datetime, outcome: _Outcome, preview_name: str
) -> Photo | None:
    with transaction.atomic():
        photo = (
            Photo.objects.select_for_update(of=("self",))
            .select_related("property")
            .filter(pk=photo_id, qc_status=QcStatus.RUNNING, qc_started_at=claimed_at)
            .first()
        )
        if photo is None:
            # This run was taken for abandoned and another one has the claim now.
            return None
        for name, value in outcome.fields.items():
            setattr(photo, name, value)
        photo.preview.name = preview_name
        photo.processed_at = timezone.now()
        photo.save(
            update_fields=[*outcome.fields, "preview", "processed_at", "updated_at"],
        )
        broadcast_on_commit(property_audience(photo.property), qc_completed_payload(photo))
    logger.info("photo checked", extra={"photo_id": str(photo.pk), "qc_status": photo.qc_status})
    return photo


def photo_qc_requeue_stuck() -> list[UUID]:
    """Queues QC again for photos left PENDING or RUNNING for PHOTO_QC_STUCK_SECONDS (a lost
    message, a killed worker, storage down beyond the task's retries); returns their ids.

    Side effects: touches each photo's ``updated_at`` (so that the next sweep waits as long
    again) and queues ``photos.run_qc`` for each, at most SWEEP_BATCH per run.
    """
    now = timezone.now()
    stuck_since = now - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS)
    photo_ids = list(
        Photo.objects.filter(
            qc_status__in=(QcStatus.PENDING, QcStatus.RUNNING), updated_at__lt=stuck_since
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if not photo_ids:
        return []
    Photo.objects.filter(pk__in=photo_ids).update(updated_at=now)
    logger.warning("re-queueing QC of %d stuck photos", len(photo_ids))
    for photo_id in photo_ids:
        _run_qc_task().delay(photo_id=str(photo_id))
    return photo_ids


# --- Review ---------------------------------------------------------------------------------


@transaction.atomic
def photo_review(
    *, actor: User, photo_id: UUID | str, decision: ReviewDecision, reason: str = ""
) -> Photo:
    """A reviewer's decision on a photo: approve, reject (reason) or ask for a re-shoot (reason).

    Staff only (404 for whoever cannot see the photo, 403 for the others who can); 409 once the
    property is closed. The latest decision is kept on the photo with who made it and when; a
    new decision replaces it.

    Side effects: updates the row; after commit broadcasts ``photo.reviewed`` and, for a
    re-shoot, texts the assigned agent (or the uploader when no agent is assigned).
    """
    photo = photo_get_for(user=actor, photo_id=photo_id)
    # The property's lock orders this with its transitions: "complete" counts unrejected photos.
    property = property_get_for(user=actor, property_id=photo.property_id, for_update=True)
    photo = photo_get_for(user=actor, photo_id=photo_id, for_update=True)
    if not actor.is_staff:
        raise ForbiddenError("Only reviewers and admins may review photos.")
    if property.status not in REVIEWABLE_STATUSES:
        raise ConflictError(
            f"The property is {property.status}: its photos can no longer be reviewed.",
            current_status=property.status,
        )
    reason = reason.strip()
    if decision != ReviewDecision.APPROVE and not reason:
        raise InvalidInputError(f"A reason is required to {decision} a photo.", field="reason")

    previous = photo.review_status
    photo.review_status = REVIEW_STATUS[decision]
    photo.review_reason = reason
    photo.reviewed_by = actor
    photo.reviewed_at = timezone.now()
    photo.save(
        update_fields=["review_status", "review_reason", "reviewed_by", "reviewed_at", "updated_at"]
    )
    broadcast_on_commit(property_audience(photo.property), reviewed_payload(photo))
    if decision == ReviewDecision.RESHOOT:
        _ask_for_reshoot(photo=photo, property=property, reason=reason)
    logger.info(
        "photo reviewed",
        extra={
            "photo_id": str(photo.pk),
            "decision": str(decision),
            "previous_review_status": previous,
            "actor_id": str(actor.pk),
        },
    )
    return photo


def _ask_for_reshoot(*, photo: Photo, property: Property, reason: str) -> None:
    recipient = property.assigned_agent or photo.uploaded_by
    body = (
        f"PropFlow: please re-take the {photo.get_category_display().lower()} photo at "
        f"{property.address}, {property.city}: {reason}"
    )
    # celery-types predates delay_on_commit (Celery 5.4).
    send_sms_task.delay_on_commit(to=str(recipient.phone), body=body)  # type: ignore[attr-defined]
