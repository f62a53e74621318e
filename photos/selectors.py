"""Photo reads."""

from collections.abc import Iterable
from uuid import UUID

from django.conf import settings
from django.db.models import Count

from photos.models import Photo, QcStatus, ReviewStatus

QC_SUMMARY_KEYS = ("pass", "warn", "fail", "error", "pending")
_SUMMARY_KEY = {
    QcStatus.PASS: "pass",
    QcStatus.WARN: "warn",
    QcStatus.FAIL: "fail",
    QcStatus.ERROR: "error",
    QcStatus.PENDING: "pending",
    QcStatus.RUNNING: "pending",
}


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


def photo_categories_missing(property_id: UUID) -> list[str]:
    """Required categories with no photo yet (a photo rejected by a reviewer does not count)."""
    present = set(
        Photo.objects.filter(property_id=property_id)
        .exclude(review_status__in=(ReviewStatus.REJECTED, ReviewStatus.RESHOOT))
        .values_list("category", flat=True)
    )
    return [category for category in settings.PHOTO_REQUIRED_CATEGORIES if category not in present]
