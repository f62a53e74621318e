"""The photo events: the payloads of a QC result and of a reviewer's decision.

A photo's events go to its property's audience (``properties.events.property_audience``): the
services build the payload and hand it to ``propflow.realtime.broadcast``.
"""

from typing import Any

from photos.models import Photo


def qc_completed_payload(photo: Photo) -> dict[str, Any]:
    return {
        "type": "photo.qc_completed",
        "photo_id": str(photo.pk),
        "property_id": str(photo.property_id),
        "qc_status": photo.qc_status,
        "checks": photo.qc_checks,
        "at": photo.processed_at.isoformat() if photo.processed_at else None,
    }


def reviewed_payload(photo: Photo) -> dict[str, Any]:
    return {
        "type": "photo.reviewed",
        "photo_id": str(photo.pk),
        "property_id": str(photo.property_id),
        "decision": photo.review_status,
        "reason": photo.review_reason,
        "at": photo.reviewed_at.isoformat() if photo.reviewed_at else None,
    }
