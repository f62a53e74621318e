"""The photo events: the payloads of a QC result and of a reviewer's decision.

A photo's events go to its property's audience (``properties.events.property_audience``): the
services build the payload and hand it to ``propflow.realtime.broadcast``. A QC result is told
to staff and to the property's owner and agent apart: only staff may hear of another property.
"""

from typing import Any

from photos.models import Photo
from photos.qc import qc_checks_for
from properties.events import property_participants
from propflow.realtime.broadcast import STAFF_GROUP


def qc_completed_events(photo: Photo) -> list[tuple[list[str], dict[str, Any]]]:
    """The QC result for each audience (its groups, its payload): staff, then the owner and
    the agent."""
    return [
        ([STAFF_GROUP], _qc_completed(photo, staff=True)),
        (property_participants(photo.property), _qc_completed(photo, staff=False)),
    ]


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
