"""Photo quality control: each check is a pure function of plain values and thresholds.

The checks and their pass / warn / fail rules are those of the specification's QC table; the
thresholds' defaults are `Thresholds`' own, and settings may override each one. Details are
written for the reviewer and the client, who both read them, except that a client or an agent
never learns of another property (`qc_checks_for`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from photos.exif import GpsFix, PhotoMetadata
from photos.imaging import hamming
from photos.provenance import ContentCredentials, editor_named

CheckOutcome = Literal["pass", "warn", "fail"]
CHECK_RESULTS: tuple[CheckOutcome, ...] = get_args(CheckOutcome)
# The checks run_checks gives, in its order.
CHECK_NAMES = (
    "gps_present",
    "gps_distance",
    "capture_time",
    "resolution",
    "duplicate",
    "sharpness",
    "provenance",
)
# Every check a photo's qc_checks may hold: run_checks' own, then `content`, which asks a content
# backend (photos.content) after them, and only when one is configured.
ALL_CHECK_NAMES = (*CHECK_NAMES, "content")

EARTH_MEAN_RADIUS_KM = 6371.0088
DEFAULT_TIME_ZONE = "Asia/Kolkata"
# What a client or an agent is told of a photo that matches another property's: the verdict,
# but nothing that tells them another client's property exists (staff see which one).
DUPLICATE_ELSEWHERE_DETAIL = "matches a photo already on file; a reviewer will check it"


class QcVerdict(StrEnum):
    """What the checks make of a photo; `photos.models.QcStatus` stores it among the run's other
    states."""

    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    WARN = "WARN"
    FAIL = "FAIL"


_SEVERITY: dict[CheckOutcome, int] = {"pass": 0, "warn": 1, "fail": 2}
_VERDICT: dict[CheckOutcome, QcVerdict] = {
    "pass": QcVerdict.PASS,
    "warn": QcVerdict.WARN,
    "fail": QcVerdict.FAIL,
}


@dataclass(frozen=True)
class Thresholds:
    """QC limits.

    dhash_near_distance: at most this many of 64 dHash bits apart counts as near-identical.
    Measured on the corpus and generated scenes: re-encoding at quality 40, halving the size or
    changing brightness or contrast moves a hash by at most 7 bits (a 3% crop or a 2 degree turn
    by up to 14, so those are caught only sometimes), while the closest two unrelated photos of
    325 pairs were 21 bits apart (median 32). Across properties a match fails the photo, so the
    threshold stays well clear of unrelated pictures.

    sharpness_min_variance: below this Laplacian variance of the 1024 px preview a photo is
    blurry. Sharp corpus photos measure 193-2508 and sharp generated scenes 206-2021; the same
    previews blurred by a Gaussian of 1 px (about 6 px on a 24 MP original) measure 21-108, and
    of 1.5 px at most 23. The value depends on the preview size.

    clock_skew_minutes: how far after the upload a capture time may be before it counts as in the
    future, since phone clocks drift.

    thumbnail_mismatch_distance: an embedded EXIF thumbnail whose dHash differs from the
    picture's by more than this many of 64 bits no longer shows the picture. Measured: the real
    corpus photos whose thumbnail is their own give 0-6 bits (the shared corpus' Sony control 0),
    generated photos 0-3, re-encoded at quality 20 and halved 0-5, brightened by 30% 0-7, and
    16:9 pictures letterboxed into a 4:3 thumbnail 0-3 (the bars are cut off first); pictures
    turned 180 degrees or mirrored give 15-45, cropped by a quarter 19-40, another picture
    20-43 (the shared corpus' rotated Sony 34). A local edit (a quarter of the picture pasted
    over) gives 5-18 and is caught only sometimes.
    """

    max_distance_km: float = 0.5
    max_age_hours: float = 72.0
    min_width: int = 1280
    min_height: int = 960
    dhash_near_distance: int = 8
    sharpness_min_variance: float = 60.0
    clock_skew_minutes: float = 5.0
    thumbnail_mismatch_distance: int = 12


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one QC check, with a human-readable reason; a duplicate of another
    property's photo names that property (for staff only)."""

    name: str
    result: CheckOutcome
    detail: str
    related_property_id: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The check as stored in `qc_checks` and shown to staff (`qc_checks_for`)."""
        stored = {"name": self.name, "result": self.result, "detail": self.detail}
        if self.related_property_id is not None:
            stored["related_property_id"] = self.related_property_id
        return stored


def qc_checks_for(checks: Sequence[Mapping[str, str]], *, staff: bool) -> list[dict[str, str]]:
    """Stored checks as their audience may read them: staff as stored; anyone else without
    another property's id, and a failed duplicate check (only a match with another property
    fails it) with the neutral detail, whenever it was stored."""
    if staff:
        return [dict(check) for check in checks]
    return [
        {
            "name": check["name"],
            "result": check["result"],
            "detail": (
                DUPLICATE_ELSEWHERE_DETAIL
                if check["name"] == "duplicate" and check["result"] == "fail"
                else check["detail"]
            ),
        }
        for check in checks
    ]


@dataclass(frozen=True)
class DuplicateCandidate:
    """Another photo to compare with: its SHA-256, its dHash (None if it was never analysed) and
    its property."""

    sha256: str
    dhash: int | None
    property_id: str
    same_property: bool


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def check_gps_present(metadata: PhotoMetadata) -> CheckResult:
    """pass with a usable EXIF position; fail without one or with an unusable one."""
    gps = metadata.gps
    if gps is not None:
        accuracy = f" (accuracy {gps.accuracy_m:.0f} m)" if gps.accuracy_m is not None else ""
        return CheckResult(
            "gps_present", "pass", f"position {gps.lat:.6f}, {gps.lon:.6f}{accuracy}"
        )
    if metadata.gps_problem is not None:
        return CheckResult("gps_present", "fail", f"unusable GPS: {metadata.gps_problem}")
    return CheckResult("gps_present", "fail", "no GPS position in the photo")


def check_gps_distance(
    gps: GpsFix | None,
    property_lat: float | None,
    property_lon: float | None,
    thresholds: Thresholds,
) -> CheckResult:
    """pass within the limit, warn within the limit plus the photo's accuracy, fail farther.

    A photo without a position fails: nothing shows it was taken at the property. A property
    without a position warns: the photo cannot be blamed for it.
    """
    if gps is None:
        return CheckResult("gps_distance", "fail", "no GPS position to compare with the property")
    if property_lat is None or property_lon is None:
        return CheckResult("gps_distance", "warn", "the property has no position to compare with")
    distance = haversine_km(gps.lat, gps.lon, property_lat, property_lon)
    limit = thresholds.max_distance_km
    accuracy_km = (gps.accuracy_m or 0.0) / 1000
    if distance <= limit:
        return CheckResult(
            "gps_distance", "pass", f"{distance:.2f} km from the property (limit {limit:.2f} km)"
        )
    if distance <= limit + accuracy_km:
        return CheckResult(
            "gps_distance",
            "warn",
            f"{distance:.2f} km from the property: beyond the {limit:.2f} km limit but within "
            f"the photo's reported accuracy of {gps.accuracy_m:.0f} m",
        )
    allowance = f" + {gps.accuracy_m:.0f} m reported accuracy" if accuracy_km else ""
    return CheckResult(
        "gps_distance",
        "fail",
        f"{distance:.2f} km from the property (limit {limit:.2f} km{allowance})",
    )


def capture_instant(taken_at: str, offset: str | None, time_zone: str) -> datetime:
    """The instant a photo was taken: its local time read with its own offset when it has one,
    else in the property's time zone."""
    local = datetime.fromisoformat(taken_at)
    if offset is not None:
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = offset[1:].split(":")
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return local.replace(tzinfo=timezone(sign * delta))
    return local.replace(tzinfo=ZoneInfo(time_zone))


def check_capture_time(
    taken_at: str | None,
    offset: str | None,
    *,
    time_zone: str,
    window_start: datetime,
    uploaded_at: datetime,
    thresholds: Thresholds,
) -> CheckResult:
    """pass when taken after window_start and within the age limit before the upload; warn
    without a capture time; fail in the future (beyond the clock skew), or too old.

    window_start is when the current assignment began (for an owner's photo: when the property
    was created); both datetimes must be timezone-aware.
    """
    if window_start.tzinfo is None or uploaded_at.tzinfo is None:
        raise ValueError("window_start and uploaded_at must be timezone-aware")
    if taken_at is None:
        return CheckResult("capture_time", "warn", "no capture time in the photo")
    taken = capture_instant(taken_at, offset, time_zone)
    shown = f"taken {taken:%Y-%m-%d %H:%M %z}"
    age = uploaded_at - taken
    max_age = timedelta(hours=thresholds.max_age_hours)
    if age < -timedelta(minutes=thresholds.clock_skew_minutes):
        return CheckResult(
            "capture_time", "fail", f"{shown}, {_duration(-age)} after the upload: in the future"
        )
    if age > max_age:
        return CheckResult(
            "capture_time",
            "fail",
            f"{shown}, {_duration(age)} before the upload (limit {thresholds.max_age_hours:g} h)",
        )
    # Capture times have whole seconds: a photo taken in the second the window opened is in it.
    if taken < window_start.replace(microsecond=0):
        return CheckResult(
            "capture_time",
            "fail",
            f"{shown}, before the inspection window opened "
            f"({window_start.astimezone(taken.tzinfo):%Y-%m-%d %H:%M %z})",
        )
    return CheckResult(
        "capture_time", "pass", f"{shown}, {_duration(max(age, timedelta()))} before the upload"
    )


def _duration(duration: timedelta) -> str:
    minutes = round(duration.total_seconds() / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def check_resolution(width: int, height: int, thresholds: Thresholds) -> CheckResult:
    """pass when at least the minimum size in either orientation, else fail."""
    long_minimum = max(thresholds.min_width, thresholds.min_height)
    short_minimum = min(thresholds.min_width, thresholds.min_height)
    detail = f"{width}x{height} (minimum {thresholds.min_width}x{thresholds.min_height})"
    enough = max(width, height) >= long_minimum and min(width, height) >= short_minimum
    return CheckResult("resolution", "pass" if enough else "fail", detail)


def check_duplicate(
    sha256: str,
    dhash: int,
    candidates: Sequence[DuplicateCandidate],
    thresholds: Thresholds,
) -> CheckResult:
    """fail when the same bytes or a near-identical picture belong to another property (named,
    for staff); warn when they belong to this one; pass otherwise. Candidates are the *other*
    photos: every one, or those photos.selectors.photo_reuse_candidates picks, to the same
    verdict."""
    same_bytes: dict[bool, str] = {}  # same_property -> the first such photo's property
    nearest: dict[bool, tuple[int, str]] = {}  # same_property -> the nearest: distance, property
    for candidate in candidates:
        if candidate.sha256 == sha256:
            same_bytes.setdefault(candidate.same_property, candidate.property_id)
            continue
        if candidate.dhash is None:
            continue
        distance = hamming(dhash, candidate.dhash)
        best = nearest.get(candidate.same_property)
        if distance <= thresholds.dhash_near_distance and (best is None or distance < best[0]):
            nearest[candidate.same_property] = (distance, candidate.property_id)

    if False in same_bytes:
        other = same_bytes[False]
        return CheckResult(
            "duplicate", "fail", f"the same file as a photo of property {other}", other
        )
    if False in nearest:
        distance, other = nearest[False]
        return CheckResult(
            "duplicate",
            "fail",
            f"near-identical to a photo of property {other} ({_bits(distance)})",
            other,
        )
    if True in same_bytes:
        return CheckResult("duplicate", "warn", "the same file as another photo of this property")
    if True in nearest:
        return CheckResult(
            "duplicate",
            "warn",
            f"near-identical to another photo of this property ({_bits(nearest[True][0])})",
        )
    return CheckResult(
        "duplicate",
        "pass",
        "no photo on file has the same bytes or a picture within "
        f"{thresholds.dhash_near_distance} of 64 hash bits",
    )


def _bits(distance: int) -> str:
    return f"{distance} of 64 hash bits differ"


def check_sharpness(variance: float, thresholds: Thresholds) -> CheckResult:
    """pass when the preview's Laplacian variance reaches the minimum, else warn (blurry)."""
    minimum = thresholds.sharpness_min_variance
    if variance >= minimum:
        return CheckResult(
            "sharpness", "pass", f"sharp (variance {variance:.0f}, minimum {minimum:.0f})"
        )
    return CheckResult(
        "sharpness", "warn", f"blurry (variance {variance:.0f}, minimum {minimum:.0f})"
    )


def check_provenance(
    credentials: ContentCredentials | None,
    *,
    software: str,
    thumbnail_distance: int | None,
    thresholds: Thresholds,
) -> CheckResult:
    """Content Credentials decide when the file has them (their signature covers the EXIF too):
    fail when they do not validate or declare AI; pass when a trusted signer recorded a camera
    capture and nothing after it; warn otherwise, and when stored remotely (not fetched).
    Without credentials, warn on edit traces (an editor in EXIF Software, an EXIF thumbnail
    that no longer matches the picture), else pass: most photos carry none.
    """
    if credentials is None:
        return _edit_traces(software, thumbnail_distance, thresholds)
    signed = _signed_by(credentials)
    if credentials.validation == "remote":
        return CheckResult(
            "provenance",
            "warn",
            "Content Credentials stored remotely: not fetched, so not verified",
        )
    if credentials.validation == "invalid":
        return CheckResult("provenance", "fail", _invalid_detail(credentials))
    if credentials.ai_generated:
        return CheckResult(
            "provenance", "fail", f"Declared AI-generated or composited with AI ({signed})"
        )
    doubts = []
    if credentials.validation != "trusted":
        doubts.append("the signer is not trusted")
    if not credentials.camera_capture:
        doubts.append("no camera capture recorded")
    if credentials.edits:
        doubts.append(f"edited after capture: {', '.join(credentials.edits)}")
    if doubts:
        return CheckResult("provenance", "warn", f"Signed by {signed}, but {'; '.join(doubts)}")
    return CheckResult("provenance", "pass", f"Signed at capture by {signed}")


def _signed_by(credentials: ContentCredentials) -> str:
    """ "Google LLC (Pixel Camera), 2026-11-30 10:02 +05:30": signer, generator, time."""
    text = credentials.signer or "an unnamed signer"
    if credentials.generator:
        text += f" ({credentials.generator})"
    if credentials.signed_at:
        signed_at = datetime.fromisoformat(credentials.signed_at)
        offset = f"{signed_at:%z}"  # "+0530", shown as "+05:30"
        text += f", {signed_at:%Y-%m-%d %H:%M}"
        text += f" {offset[:3]}:{offset[3:]}" if offset else ""
    return text


def _invalid_detail(credentials: ContentCredentials) -> str:
    failures = ", ".join(credentials.failures) or "no reason given"
    if any(
        code.startswith("assertion.") and "Hash.mismatch" in code for code in credentials.failures
    ):
        return f"The file was changed after it was signed ({failures})"
    return f"The Content Credentials do not validate ({failures})"


def _edit_traces(
    software: str, thumbnail_distance: int | None, thresholds: Thresholds
) -> CheckResult:
    traces = []
    editor = editor_named(software)
    if editor is not None:
        traces.append(f"Edited in {editor}")
    limit = thresholds.thumbnail_mismatch_distance
    if thumbnail_distance is not None and thumbnail_distance > limit:
        traces.append(
            f"the embedded EXIF thumbnail no longer matches the picture "
            f"({_bits(thumbnail_distance)}, limit {limit})"
        )
    if traces:
        detail = "; ".join(traces)
        return CheckResult("provenance", "warn", detail[0].upper() + detail[1:])
    return CheckResult("provenance", "pass", "No Content Credentials; no edit traces")


def overall_status(results: Sequence[CheckResult]) -> QcVerdict:
    """The worst of the results: FAIL over WARN over PASS."""
    worst: CheckOutcome = max(
        (result.result for result in results), key=_SEVERITY.__getitem__, default="pass"
    )
    return _VERDICT[worst]


def run_checks(
    *,
    metadata: PhotoMetadata,
    property_lat: float | None,
    property_lon: float | None,
    window_start: datetime,
    uploaded_at: datetime,
    sha256: str,
    dhash: int,
    candidates: Sequence[DuplicateCandidate],
    sharpness: float,
    credentials: ContentCredentials | None,
    thumbnail_distance: int | None,
    time_zone: str = DEFAULT_TIME_ZONE,
    thresholds: Thresholds = Thresholds(),
) -> list[CheckResult]:
    """All checks in the specification's order: gps_present, gps_distance, capture_time,
    resolution, duplicate, sharpness, provenance."""
    return [
        check_gps_present(metadata),
        check_gps_distance(metadata.gps, property_lat, property_lon, thresholds),
        check_capture_time(
            metadata.taken_at,
            metadata.offset,
            time_zone=time_zone,
            window_start=window_start,
            uploaded_at=uploaded_at,
            thresholds=thresholds,
        ),
        check_resolution(metadata.width, metadata.height, thresholds),
        check_duplicate(sha256, dhash, candidates, thresholds),
        check_sharpness(sharpness, thresholds),
        check_provenance(
            credentials,
            software=metadata.software,
            thumbnail_distance=thumbnail_distance,
            thresholds=thresholds,
        ),
    ]


# The most labels a content check's detail names (the photo keeps them all).
CONTENT_LABELS_SHOWN = 5


@dataclass(frozen=True)
class ContentLabel:
    """Something a content backend sees in a picture ("Kitchen"), with its confidence (0 to 1)."""

    description: str
    score: float


def describe_labels(labels: Sequence[ContentLabel], limit: int | None = None) -> str:
    """The labels as a reader sees them, the most confident first (at most `limit` of them):
    "Kitchen 0.97, Countertop 0.91"."""
    ordered = sorted(labels, key=lambda label: label.score, reverse=True)[:limit]
    return ", ".join(f"{label.description} {label.score:.2f}" for label in ordered)


def check_content(
    category: str, labels: Sequence[ContentLabel], expected: Collection[str], min_score: float
) -> CheckResult:
    """pass when a label the category expects scores at least min_score, or when the category
    expects none; warn when none does. A label matches whole, ignoring case.

    category is the category's name as shown ("Living room"). A backend's opinion never fails a
    photo: the reviewer looks at those it does not recognise.
    """
    wanted = {label.strip().casefold() for label in expected} - {""}
    if not wanted:
        return CheckResult("content", "pass", f"no labels are expected of {category} photos")
    matching = [
        label
        for label in labels
        if label.score >= min_score and label.description.strip().casefold() in wanted
    ]
    if matching:
        return CheckResult(
            "content", "pass", f"recognised as {category}: {describe_labels(matching)}"
        )
    seen = describe_labels(labels, CONTENT_LABELS_SHOWN) or "no labels"
    return CheckResult(
        "content",
        "warn",
        f"not recognised as {category} (none of its labels scores {min_score:.2f} or more); "
        f"seen: {seen}",
    )
