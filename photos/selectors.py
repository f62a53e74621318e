"""Photo reads, and the one guard every fetch of a photo goes through."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import FileSystemStorage
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404, HttpRequest
from django.urls import reverse

from accounts.models import Role, User
from photos.imaging import DHASH_BAND_BITS, band_neighbours, dhash_bands, dhash_from_hex, signed64
from photos.models import Photo, QcStatus, ReviewStatus
from photos.provenance import TrustSettings, TrustSettingsError, verification_context
from photos.qc import (
    ALL_CHECK_NAMES,
    ContentLabel,
    DuplicateCandidate,
    Thresholds,
    describe_labels,
)
from properties.models import Property
from properties.selectors import properties_visible_to, property_get_for

QC_SUMMARY_KEYS = ("pass", "warn", "fail", "error", "pending")
_SUMMARY_KEY = {
    QcStatus.PASS: "pass",
    QcStatus.WARN: "warn",
    QcStatus.FAIL: "fail",
    QcStatus.ERROR: "error",
    QcStatus.PENDING: "pending",
    QcStatus.RUNNING: "pending",
}


FileVariant = Literal["file", "preview"]


def qc_thresholds() -> Thresholds:
    """The QC limits in force: photos.qc's measured defaults, but for those set in settings."""
    from_settings = {
        "max_distance_km": settings.PHOTO_QC_MAX_DISTANCE_KM,
        "max_age_hours": settings.PHOTO_QC_MAX_AGE_HOURS,
        "min_width": settings.PHOTO_QC_MIN_WIDTH,
        "min_height": settings.PHOTO_QC_MIN_HEIGHT,
        "dhash_near_distance": settings.PHOTO_QC_DHASH_NEAR_DISTANCE,
        "sharpness_min_variance": settings.PHOTO_QC_SHARPNESS_MIN_VARIANCE,
        "clock_skew_minutes": settings.PHOTO_QC_CLOCK_SKEW_MINUTES,
        "thumbnail_mismatch_distance": settings.PHOTO_QC_THUMBNAIL_MISMATCH_DISTANCE,
    }
    overrides = {name: value for name, value in from_settings.items() if value is not None}
    return replace(Thresholds(), **overrides)


def provenance_trust() -> TrustSettings:
    """What Content Credentials are verified against: the C2PA_TRUST_ANCHORS and
    C2PA_TRUST_CONFIG files, read once per process and path. ImproperlyConfigured when c2pa
    refuses them: no photo is judged on a broken trust list."""
    return _trust_from_files(settings.C2PA_TRUST_ANCHORS, settings.C2PA_TRUST_CONFIG)


@lru_cache(maxsize=4)
def _trust_from_files(anchors_path: str, config_path: str) -> TrustSettings:
    trust = TrustSettings(
        trust_anchors=Path(anchors_path).read_text() if anchors_path else "",
        trust_config=Path(config_path).read_text() if config_path else "",
    )
    try:
        verification_context(trust)
    except TrustSettingsError as error:
        raise ImproperlyConfigured(f"C2PA_TRUST_ANCHORS or C2PA_TRUST_CONFIG: {error}") from error
    return trust


def photos_visible_to(user: User) -> QuerySet[Photo]:
    """The photos of the properties the user may see, and no others."""
    return Photo.objects.filter(property__in=properties_visible_to(user).values("pk"))


def photo_get_for(*, user: User, photo_id: UUID | str, for_update: bool = False) -> Photo:
    """The photo (with its property) if the user may see it; 404 otherwise, whether it exists
    or not."""
    photos = photos_visible_to(user).select_related("property", "property__assigned_agent")
    if for_update:
        photos = photos.select_for_update(of=("self",))
    try:
        return photos.get(pk=photo_id)
    except (Photo.DoesNotExist, ValueError, ValidationError) as error:
        raise Http404("No such photo.") from error


def property_photos(*, user: User, property_id: UUID | str) -> QuerySet[Photo]:
    """The photos of one property the user may see; 404 when the property is not theirs."""
    property = property_get_for(user=user, property_id=property_id)
    return photos_visible_to(user).filter(property=property)


def property_photos_in_order(property: Property) -> QuerySet[Photo]:
    """Every photo of the property, in upload order, with who uploaded it (no access check:
    for callers that made theirs, such as the valuation report)."""
    return Photo.objects.filter(property=property).select_related("uploaded_by")


def photos_with_check(photos: QuerySet[Photo], *, name: str, result: str) -> QuerySet[Photo]:
    """Photos whose QC gave this result for this check.

    Written as index lookups into the list rather than JSON containment, which SQLite lacks.
    """
    condition = Q()
    for index in range(len(ALL_CHECK_NAMES)):
        condition |= Q(**{f"qc_checks__{index}__name": name, f"qc_checks__{index}__result": result})
    return photos.filter(condition)


def photos_with_unrecognised_category(photos: QuerySet[Photo]) -> QuerySet[Photo]:
    """Photos in which the content backend saw nothing of their category: those it labelled
    whose content check warned (one it could not check has no labels)."""
    return photos_with_check(photos, name="content", result="warn").filter(
        content_labels__isnull=False
    )


def properties_with_unrecognised_photo(properties: QuerySet[Property]) -> QuerySet[Property]:
    """The properties with a photo whose category the content backend did not recognise."""
    return properties.filter(
        Exists(photos_with_unrecognised_category(Photo.objects.filter(property=OuterRef("pk"))))
    )


def photo_content_labels(photo: Photo, limit: int | None = None) -> str:
    """What the content backend saw in the photo, as text (the most confident first, at most
    `limit`): "Kitchen 0.97, Countertop 0.91"; "nothing recognised" when it saw nothing; ""
    when it was not asked or gave no answer."""
    if photo.content_labels is None:
        return ""
    labels = [ContentLabel(**label) for label in photo.content_labels]
    return describe_labels(labels, limit) or "nothing recognised"


# Photos whose Content Credentials do not validate, or declare the picture made with AI.
FLAGGED_CREDENTIALS = Q(content_credentials__validation="invalid") | Q(
    content_credentials__ai_generated=True
)


def properties_with_flagged_credentials(properties: QuerySet[Property]) -> QuerySet[Property]:
    """The properties with a photo whose Content Credentials are invalid or declare AI."""
    return properties.filter(
        Exists(Photo.objects.filter(FLAGGED_CREDENTIALS, property=OuterRef("pk")))
    )


class ProvenanceBadge(StrEnum):
    """What the back office's badge says of a photo's provenance."""

    TRUSTED = "trusted"
    VALID = "valid"
    INVALID = "invalid"
    AI = "ai"
    REMOTE = "remote"
    EDITED = "edited"
    NONE = "none"


PROVENANCE_BADGE_LABELS = {
    ProvenanceBadge.TRUSTED: "Trusted credentials",
    ProvenanceBadge.VALID: "Credentials, signer not trusted",
    ProvenanceBadge.INVALID: "Invalid credentials",
    ProvenanceBadge.AI: "AI-generated",
    ProvenanceBadge.REMOTE: "Remote credentials, not verified",
    ProvenanceBadge.EDITED: "Edited",
    ProvenanceBadge.NONE: "No credentials",
}


@dataclass(frozen=True)
class ProvenanceSummary:
    """A photo's provenance as the back office shows it: a badge, then the credentials' facts
    (text from the file: shown escaped, never as HTML)."""

    badge: ProvenanceBadge
    signer: str | None
    generator: str | None
    signed_at: str | None
    actions: list[str]
    failures: list[str]

    @property
    def label(self) -> str:
        return PROVENANCE_BADGE_LABELS[self.badge]


def photo_provenance_summary(photo: Photo) -> ProvenanceSummary | None:
    """The badge and facts of the photo's provenance; None before its provenance was checked."""
    credentials: dict[str, Any] | None = photo.content_credentials
    if credentials is None:
        check = next((c for c in photo.qc_checks if c.get("name") == "provenance"), None)
        if check is None:
            return None
        badge = ProvenanceBadge.EDITED if check.get("result") == "warn" else ProvenanceBadge.NONE
        return ProvenanceSummary(badge, None, None, None, [], [])
    return ProvenanceSummary(
        badge=_credentials_badge(credentials),
        signer=credentials.get("signer"),
        generator=credentials.get("generator"),
        signed_at=credentials.get("signed_at"),
        actions=list(credentials.get("actions") or []),
        failures=list(credentials.get("failures") or []),
    )


def _credentials_badge(credentials: dict[str, Any]) -> ProvenanceBadge:
    validation = credentials.get("validation")
    if validation == "invalid":  # nothing a broken manifest says can be believed
        return ProvenanceBadge.INVALID
    if credentials.get("ai_generated"):
        return ProvenanceBadge.AI
    if validation == "remote":
        return ProvenanceBadge.REMOTE
    if any(action != "c2pa.created" for action in credentials.get("actions") or []):
        return ProvenanceBadge.EDITED
    return ProvenanceBadge.TRUSTED if validation == "trusted" else ProvenanceBadge.VALID


def photos_checked_without(check_name: str, *, property_id: UUID | None = None) -> list[UUID]:
    """The photos whose QC finished (PASS, WARN, FAIL) without this check, as it did before the
    check existed; oldest first. Read in chunks, the checks compared here rather than in SQL,
    where a list shorter than the index would read as NULL."""
    photos = Photo.objects.filter(qc_status__in=(QcStatus.PASS, QcStatus.WARN, QcStatus.FAIL))
    if property_id is not None:
        photos = photos.filter(property_id=property_id)
    rows = photos.order_by("created_at", "id").values_list("pk", "qc_checks")
    return [
        photo_id
        for photo_id, checks in rows.iterator(chunk_size=2000)
        if not any(check.get("name") == check_name for check in checks)
    ]


def photo_taken_at(photo: Photo) -> str | None:
    """The capture time as the camera wrote it, with its offset when it recorded one."""
    return photo.taken_at + photo.taken_at_offset if photo.taken_at else None


def photo_file_url(
    *, photo: Photo, variant: FileVariant, request: HttpRequest | None = None
) -> str | None:
    """Where the user may fetch the original or the preview; None when there is none yet.

    Never a public URL: on S3 a signed URL that expires, on local storage the API's file view,
    which checks access (and so needs the bearer token or the admin's session); absolute when
    a request is given.
    """
    field = photo.file if variant == "file" else photo.preview
    if not field.name:
        return None
    if not isinstance(field.storage, FileSystemStorage):
        return str(field.storage.url(field.name))
    path = reverse("photo-file", kwargs={"pk": photo.pk, "variant": variant})
    return request.build_absolute_uri(path) if request is not None else path


def qc_summaries(property_ids: Iterable[UUID]) -> dict[UUID, dict[str, int]]:
    """QC counts per property, for any number of properties, in one aggregate query."""
    ids = list(property_ids)
    summaries = {property_id: dict.fromkeys(QC_SUMMARY_KEYS, 0) for property_id in ids}
    if not ids:
        return summaries
    rows = (
        Photo.objects.filter(property_id__in=ids)
        .values_list("property_id", "qc_status")
        .annotate(count=Count("id"))
        .order_by()
    )
    for property_id, qc_status, count in rows:
        summaries[property_id][_SUMMARY_KEY[QcStatus(qc_status)]] += count
    return summaries


@dataclass(frozen=True)
class AgentQc:
    """One agent's photos since a moment, by QC verdict (the rest are pending or running)."""

    agent: UUID
    name: str
    photos: int
    passed: int
    warned: int
    failed: int
    unreadable: int

    @property
    def pending(self) -> int:
        return self.photos - self.passed - self.warned - self.failed - self.unreadable


def qc_verdicts_by_agent(*, since: datetime) -> list[AgentQc]:
    """The QC verdicts of the photos each agent uploaded since the moment, in one aggregate
    query; the agent with the most photos first."""
    rows = (
        Photo.objects.filter(created_at__gte=since, uploaded_by__role=Role.AGENT)
        .values("uploaded_by", "uploaded_by__name")
        .annotate(
            photos=Count("pk"),
            passed=Count("pk", filter=Q(qc_status=QcStatus.PASS)),
            warned=Count("pk", filter=Q(qc_status=QcStatus.WARN)),
            failed=Count("pk", filter=Q(qc_status=QcStatus.FAIL)),
            unreadable=Count("pk", filter=Q(qc_status=QcStatus.ERROR)),
        )
        .order_by("-photos", "uploaded_by__name", "uploaded_by")
    )
    return [
        AgentQc(
            agent=row["uploaded_by"],
            name=row["uploaded_by__name"],
            photos=row["photos"],
            passed=row["passed"],
            warned=row["warned"],
            failed=row["failed"],
            unreadable=row["unreadable"],
        )
        for row in rows
    ]


def photos_per_day(*, since: datetime, time_zone: tzinfo) -> dict[date, int]:
    """How many photos were uploaded on each day (in the time zone) since the moment, in one
    aggregate query; days without photos are left out."""
    rows = (
        Photo.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=time_zone))
        .values_list("day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return dict(rows)


def photo_categories_missing(property_id: UUID) -> list[str]:
    """Required categories with no photo yet (a photo rejected by a reviewer does not count)."""
    present = set(
        Photo.objects.filter(property_id=property_id)
        .exclude(review_status__in=(ReviewStatus.REJECTED, ReviewStatus.RESHOOT))
        .values_list("category", flat=True)
    )
    return [category for category in settings.PHOTO_REQUIRED_CATEGORIES if category not in present]


def _photos_of_each_property(**conditions: Any) -> Exists:
    """Whether the property of the outer query's row has photos that meet the conditions."""
    return Exists(Photo.objects.filter(property=OuterRef("pk"), **conditions))


def properties_with_photo_in(properties: QuerySet[Property], qc_status: str) -> QuerySet[Property]:
    """The properties with at least one photo in this QC state."""
    return properties.filter(_photos_of_each_property(qc_status=qc_status))


class PropertyQcVerdict(StrEnum):
    """What a property's photos' QC found, taken together: a failure needs a look first."""

    FAIL = "fail"  # some photo failed
    WARN = "warn"  # some photo warned
    PASS = "pass"  # noqa: S105  (a verdict, not a password): every photo checked and passed
    NONE = "none"  # no photos yet


def properties_with_qc_verdict(
    properties: QuerySet[Property], verdict: PropertyQcVerdict
) -> QuerySet[Property]:
    if verdict == PropertyQcVerdict.FAIL:
        return properties_with_photo_in(properties, QcStatus.FAIL)
    if verdict == PropertyQcVerdict.WARN:
        return properties_with_photo_in(properties, QcStatus.WARN)
    if verdict == PropertyQcVerdict.PASS:
        # Every photo checked and passed: a pending one is not a pass yet.
        return properties.filter(_photos_of_each_property()).exclude(
            _photos_of_each_property(qc_status__in=[s for s in QcStatus if s != QcStatus.PASS])
        )
    return properties.exclude(_photos_of_each_property())


def photo_map_data(property: Property) -> dict[str, Any]:
    """What the property page's map draws: the property, the QC distance limit around it, and
    every photo with a GPS position (one query). Labels are text: the page sets them as such."""
    photos = (
        Photo.objects.filter(property=property, gps_lat__isnull=False, gps_lon__isnull=False)
        .order_by("created_at")
        .only("category", "qc_status", "gps_lat", "gps_lon", "distance_km", "make", "model")
    )
    return {
        "property": (
            None
            if property.latitude is None or property.longitude is None
            else {"lat": property.latitude, "lon": property.longitude, "label": str(property)}
        ),
        "radius_m": qc_thresholds().max_distance_km * 1000,
        "tile_url": settings.LEAFLET_TILE_URL,
        "attribution": settings.LEAFLET_TILE_ATTRIBUTION,
        "photos": [
            {
                "id": str(photo.pk),
                "label": _photo_label(photo),
                "qc_status": photo.qc_status,
                "lat": photo.gps_lat,
                "lon": photo.gps_lon,
            }
            for photo in photos
        ],
    }


def _photo_label(photo: Photo) -> str:
    """A map dot's tooltip, as text (the camera's name comes from the file): "Kitchen photo,
    Google Pixel 8, 0.12 km away"."""
    distance = None if photo.distance_km is None else f"{photo.distance_km:.2f} km away"
    parts = (f"{photo.category.title()} photo", photo.camera_name(), distance)
    return ", ".join(part for part in parts if part)


# SQLite has no popcount; PhotosConfig.ready registers this one on its connections.
SQLITE_HAMMING_FUNCTION = "propflow_hamming64"


def sqlite_hamming64(first: int | None, second: int | None) -> int | None:
    """The number of bits in which two signed 64-bit integers differ (None if either is)."""
    if first is None or second is None:
        return None
    return ((first ^ second) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


class HammingDistance(Func):
    """The bits in which two bigint dHashes differ: PostgreSQL's bit_count of their XOR
    (PostgreSQL 14 and later), SQLITE_HAMMING_FUNCTION on SQLite."""

    arity = 2
    function = SQLITE_HAMMING_FUNCTION
    output_field = IntegerField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        return self.as_sql(
            compiler,
            connection,
            template="bit_count((%(expressions)s)::bit(64))",
            arg_joiner=" # ",
            **extra_context,
        )


class _InValues(Expression):
    """``column IN (values)``; on PostgreSQL ``column = ANY(values)``, one array parameter, which
    keeps the query's text (and its compilation) the same for hundreds of values."""

    output_field = BooleanField()

    def __init__(self, column: str, values: list[int]) -> None:
        super().__init__()
        self.column: Any = F(column)
        self.values = values

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        column, params = compiler.compile(self.column)
        return f"{column} IN ({', '.join(['%s'] * len(self.values))})", (*params, *self.values)

    def as_postgresql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        column, params = compiler.compile(self.column)
        return f"{column} = ANY(%s::integer[])", (*params, self.values)


def dhash_band_lookup(dhash: int, near_distance: int) -> Q:
    """The photos whose dHash may be within ``near_distance`` bits of ``dhash``: those with a
    band within near_distance // DHASH_BANDS bits of its band (multi-index hashing: a hash that
    near agrees that well on at least one band). A superset, to re-check on the exact distance."""
    radius = near_distance // len(DHASH_BAND_BITS)
    lookup = Q()
    for band, (value, width) in enumerate(zip(dhash_bands(dhash), DHASH_BAND_BITS, strict=True)):
        lookup |= Q(_InValues(f"dhash_band_{band}", band_neighbours(value, width, radius)))
    return lookup


def photo_reuse_candidates(
    photo: Photo, dhash: int, near_distance: int
) -> list[DuplicateCandidate]:
    """The other photos the duplicate check (photos.qc.check_duplicate) needs to judge ``photo``
    with picture hash ``dhash`` as it would comparing it with every photo on file: of the photos
    with the same bytes, the first of this property and the first of another; of the others
    within ``near_distance`` bits, the nearest (the first of equals) of each. Four at most.

    One query, through indexes: the SHA-256's, and the dHash bands' (dhash_band_lookup),
    re-checked on the exact distance.
    """
    near_bands = dhash_band_lookup(dhash, near_distance)
    same_bytes = Q(sha256=photo.sha256)
    distance = HammingDistance(F("dhash_bits"), Value(signed64(dhash), BigIntegerField()))
    rows = (
        Photo.objects.exclude(pk=photo.pk)
        .alias(distance=distance)
        .filter(same_bytes | (near_bands & Q(distance__lte=near_distance)))
        .annotate(
            same_property=Case(
                When(property_id=photo.property_id, then=Value(True)), default=Value(False)
            ),
            first=Window(
                RowNumber(),
                partition_by=[
                    Case(When(same_bytes, then=Value(True)), default=Value(False)),
                    F("same_property"),
                ],
                # The same bytes count whatever the picture (the first on file); a near one by
                # its distance, the first on file of equals, as the full comparison takes it.
                order_by=[
                    Case(When(same_bytes, then=Value(0)), default=F("distance")),
                    F("created_at"),
                    F("id"),
                ],
            ),
        )
        .filter(first=1)
        .values_list("sha256", "dhash", "property_id", "same_property")
    )
    return [
        DuplicateCandidate(
            sha256=sha256,
            dhash=dhash_from_hex(hex_dhash) if hex_dhash else None,
            property_id=str(property_id),
            same_property=same_property,
        )
        for sha256, hex_dhash, property_id, same_property in rows
    ]
