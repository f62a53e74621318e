"""The QC run of a photo, and the sweep that re-queues runs left stuck."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from outbox.services import event_record
from photos.content import content_check
from photos.decode_process import DecodeAbortedError, DecodeLimits, analyse_in_child
from photos.events import qc_completed_payloads
from photos.exif import GpsFix, UnreadableImageError
from photos.imaging import dhash_to_hex
from photos.models import Photo, QcStatus, dhash_columns
from photos.provenance import read_credentials, thumbnail_distance
from photos.qc import haversine_km, overall_status, run_checks
from photos.selectors import photo_reuse_candidates, provenance_trust, qc_thresholds
from photos.storage import TransientStorageError, local_copy, store_preview
from photos.tasks import run_qc
from properties.models import Property
from properties.stats import stats_invalidate

logger = logging.getLogger(__name__)

SWEEP_BATCH = 1000


@dataclass(frozen=True)
class _Outcome:
    fields: dict[str, Any]
    preview_jpeg: bytes | None = None
    content_ms: int | None = None  # how long the content backend took, when it was asked


def photo_run_qc(*, photo_id: UUID | str) -> Photo | None:
    """Runs QC on a photo once: returns it checked, or None when there was nothing to do.

    Claims the photo (PENDING, or RUNNING abandoned for PHOTO_QC_STUCK_SECONDS, and fewer than
    PHOTO_QC_MAX_ATTEMPTS runs started) with a conditional update, so that repeated or
    concurrent runs do the work once; each claim counts an attempt. Copies the original out of
    storage, analyses it on a draft-scaled preview (never decoding full resolution where the
    format allows) in a child process within PHOTO_MAX_DECODE_MB and PHOTO_MAX_DECODE_SECONDS,
    runs the checks and records the header's facts, the checks and the verdict; ERROR with the
    reason when the file cannot be read. When storage fails, releases the claim (the attempt
    not counted) and raises TransientStorageError; when the decode goes over its limits or its
    process dies, releases the claim and raises DecodeAbortedError, or at the last attempt
    records ERROR with the reason.

    Side effects: the preview (without EXIF) is written beside the original, and sent to the
    content backend when one is configured (PHOTO_CONTENT_BACKEND); the row is updated; after
    commit, ``photo.qc_completed`` is broadcast.
    """
    claimed_at = _claim(photo_id)
    if claimed_at is None:
        return None
    photo = Photo.objects.select_related("property").filter(pk=photo_id).first()
    if photo is None:  # its draft was deleted since
        return None
    try:
        with local_copy(photo.file.name or "") as local:
            outcome = _analysed(photo, local)
        preview_name = store_preview(photo, outcome.preview_jpeg)
    except TransientStorageError:
        _release(photo_id, claimed_at, attempt_counts=False)
        raise
    except DecodeAbortedError as error:
        if photo.qc_attempts < settings.PHOTO_QC_MAX_ATTEMPTS:
            logger.warning(
                "photo decode aborted, to be tried again: %s",
                error,
                extra={"photo_id": str(photo.pk), "qc_attempts": photo.qc_attempts},
            )
            _release(photo_id, claimed_at)
            raise
        reason = f"{error}; gave up after {photo.qc_attempts} attempts"
        return _record(photo_id, claimed_at, _error_outcome(reason), "")
    return _record(photo_id, claimed_at, outcome, preview_name)


def photo_qc_rerun(*, photo_id: UUID | str) -> Photo | None:
    """Runs QC again on a photo whose QC finished (PASS, WARN or FAIL), as when a check was
    added since: returns it checked, or None when it was not finished (pending, running, ERROR,
    gone) or another run took it meanwhile.

    Side effects: those of photo_run_qc. The photo is first put back to PENDING by a
    conditional update; when storage fails (TransientStorageError) it stays PENDING, for the
    sweep to run later.
    """
    finished = (QcStatus.PASS, QcStatus.WARN, QcStatus.FAIL)
    reset = Photo.objects.filter(pk=photo_id, qc_status__in=finished).update(
        qc_status=QcStatus.PENDING, qc_started_at=None, qc_attempts=0, updated_at=timezone.now()
    )
    if reset:
        stats_invalidate()
    return photo_run_qc(photo_id=photo_id) if reset else None


def _claim(photo_id: UUID | str) -> datetime | None:
    now = timezone.now()
    abandoned = now - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS)
    claimed = (
        Photo.objects.filter(pk=photo_id, qc_attempts__lt=settings.PHOTO_QC_MAX_ATTEMPTS)
        .filter(
            Q(qc_status=QcStatus.PENDING)
            | Q(qc_status=QcStatus.RUNNING, qc_started_at__lt=abandoned)
        )
        .update(
            qc_status=QcStatus.RUNNING,
            qc_started_at=now,
            qc_attempts=F("qc_attempts") + 1,
            updated_at=now,
        )
    )
    return now if claimed else None


def _release(photo_id: UUID | str, claimed_at: datetime, *, attempt_counts: bool = True) -> None:
    """Puts a claimed photo back to PENDING, its claim counted as an attempt or not."""
    Photo.objects.filter(pk=photo_id, qc_status=QcStatus.RUNNING, qc_started_at=claimed_at).update(
        qc_status=QcStatus.PENDING,
        qc_started_at=None,
        qc_attempts=F("qc_attempts") - (0 if attempt_counts else 1),
        updated_at=timezone.now(),
    )


def _analysed(photo: Photo, local: BinaryIO | None) -> _Outcome:
    if local is None:
        return _error_outcome("the original file is missing from storage")
    limits = DecodeLimits(
        max_pixels=settings.PHOTO_MAX_PIXELS,
        max_decode_mb=settings.PHOTO_MAX_DECODE_MB,
        max_seconds=settings.PHOTO_MAX_DECODE_SECONDS,
    )
    try:
        analysis, _ = analyse_in_child(local, limits)
    except UnreadableImageError as error:
        return _error_outcome(str(error))

    metadata = analysis.metadata
    # The same local copy: the credentials are read from the bytes already out of storage.
    credentials = read_credentials(local, metadata.content_type, provenance_trust())
    property = photo.property
    thresholds = qc_thresholds()
    checks = run_checks(
        metadata=metadata,
        property_lat=property.latitude,
        property_lon=property.longitude,
        window_start=_capture_window_start(photo),
        uploaded_at=photo.created_at,
        sha256=photo.sha256,
        dhash=analysis.dhash,
        candidates=photo_reuse_candidates(photo, analysis.dhash, thresholds.dhash_near_distance),
        sharpness=analysis.sharpness,
        credentials=credentials,
        # Edit traces are looked for only in files without credentials.
        thumbnail_distance=None if credentials else thumbnail_distance(analysis),
        time_zone=settings.PROPERTY_TIME_ZONE,
        thresholds=thresholds,
    )
    # After the local checks, with its own deadline; only the preview leaves the server.
    content = content_check(category=photo.category, image=analysis.preview.jpeg)
    if content is not None:
        checks.append(content.check)
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
        **dhash_columns(analysis.dhash),
        "qc_checks": [check.as_dict() for check in checks],
        "qc_status": QcStatus(overall_status(checks)),
        "qc_error": "",
        "content_labels": None if content is None else content.labels_as_json(),
        "content_credentials": credentials.as_dict() if credentials else None,
    }
    return _Outcome(
        fields=fields,
        preview_jpeg=analysis.preview.jpeg,
        content_ms=None if content is None else content.milliseconds,
    )


def _error_outcome(reason: str) -> _Outcome:
    return _Outcome(
        fields={
            "qc_status": QcStatus.ERROR,
            "qc_error": reason,
            "qc_checks": [],
            "content_credentials": None,
        }
    )


def _capture_window_start(photo: Photo) -> datetime:
    """When the visit began: the current assignment for an agent's photo, the property's
    creation for its owner's."""
    property = photo.property
    if photo.uploaded_by_id == property.owner_id or property.assigned_at is None:
        return property.created_at
    return property.assigned_at


def _distance_km(gps: GpsFix | None, property: Property) -> float | None:
    if gps is None or property.latitude is None or property.longitude is None:
        return None
    return haversine_km(gps.lat, gps.lon, property.latitude, property.longitude)


def _record(
    photo_id: UUID | str, claimed_at: datetime | None, outcome: _Outcome, preview_name: str
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
        stats_invalidate()
        payload, staff_payload = qc_completed_payloads(photo)
        event_record(subject=photo.property, payload=payload, staff_payload=staff_payload)
    logger.info(
        "photo checked",
        extra={
            "photo_id": str(photo.pk),
            "qc_status": photo.qc_status,
            "content_ms": outcome.content_ms,
        },
    )
    return photo


def photo_qc_requeue_stuck() -> list[UUID]:
    """Queues QC again for photos left PENDING or RUNNING for PHOTO_QC_STUCK_SECONDS (a lost
    message, a killed worker, storage down beyond the task's retries); returns their ids. A
    photo left RUNNING by its last attempt (PHOTO_QC_MAX_ATTEMPTS) ends ERROR instead.

    Side effects: those photos are recorded ERROR with the reason (and ``photo.qc_completed``
    broadcast after commit); touches each re-queued photo's ``updated_at`` (so that the next
    sweep waits as long again) and queues ``photos.run_qc`` for each, at most SWEEP_BATCH per run.
    """
    now = timezone.now()
    stuck_since = now - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS)
    stuck = Photo.objects.filter(
        qc_status__in=(QcStatus.PENDING, QcStatus.RUNNING), updated_at__lt=stuck_since
    )
    exhausted = stuck.filter(
        qc_status=QcStatus.RUNNING, qc_attempts__gte=settings.PHOTO_QC_MAX_ATTEMPTS
    ).values_list("pk", "qc_started_at", "qc_attempts")[:SWEEP_BATCH]
    for photo_id, started_at, attempts in exhausted:
        reason = (
            f"QC was started {attempts} times and never finished "
            "(its worker was killed or timed out)"
        )
        _record(photo_id, started_at, _error_outcome(reason), "")
    photo_ids = list(
        stuck.filter(qc_attempts__lt=settings.PHOTO_QC_MAX_ATTEMPTS)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if not photo_ids:
        return []
    Photo.objects.filter(pk__in=photo_ids).update(updated_at=now)
    logger.warning("re-queueing QC of %d stuck photos", len(photo_ids))
    for photo_id in photo_ids:
        run_qc.delay(photo_id=str(photo_id))
    return photo_ids
