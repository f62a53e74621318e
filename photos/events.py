"""The photo events: the payloads of a QC result and of a reviewer's decision.

A photo's events go to its property's audience (staff, the owner, the agent assigned now): the
services build the payload and record it in the event log (``outbox.services.event_record``).
A QC result has a payload of its own for staff: only staff may hear of another property.
"""

from typing import Any

from photos.models import Photo
from photos.qc import qc_checks_for


def qc_completed_payloads(photo: Photo) -> tuple[dict[str, Any], dict[str, Any]]:
    """The QC result for the owner and the agent, and for staff."""
    return _qc_completed(photo, staff=False), _qc_completed(photo, staff=True)


def _qc_completed(photo: Photo, *, staff: bool) -> dict[str, Any]:
    return {
        "type": "photo.qc_completed",
        "photo_id": str(photo.pk),
        "property_id": str(photo.property_id),
        "qc_status": photo.qc_status,
        "checks": qc_checks_for(photo.qc_checks, staff=staff),
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
