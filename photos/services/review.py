"""A reviewer's decision on a photo, and the SMS asking for a re-shoot."""

import logging
from enum import StrEnum
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from outbox.services import event_record
from photos.events import reviewed_payload
from photos.models import Photo, ReviewStatus
from photos.selectors import photo_get_for
from photos.tasks import notify_reshoot
from properties.models import Status
from properties.selectors import property_get_for
from properties.stats import stats_invalidate
from propflow.celery import queue_on_commit
from propflow.errors import ConflictError, ErrorCode, ForbiddenError, InvalidInputError
from propflow.sms import send_sms

logger = logging.getLogger(__name__)

# A closed case's evidence is frozen.
REVIEWABLE_STATUSES = frozenset(Status) - {Status.VALUED, Status.REJECTED, Status.CANCELLED}


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RESHOOT = "reshoot"


REVIEW_STATUS = {
    ReviewDecision.APPROVE: ReviewStatus.APPROVED,
    ReviewDecision.REJECT: ReviewStatus.REJECTED,
    ReviewDecision.RESHOOT: ReviewStatus.RESHOOT,
}


@transaction.atomic
def photo_review(
    *, actor: User, photo_id: UUID | str, decision: ReviewDecision, reason: str = ""
) -> Photo:
    """A reviewer's decision on a photo: approve, reject (reason) or ask for a re-shoot (reason).

    Staff only (404 for whoever cannot see the photo, 403 for the others who can); 409 once the
    property is closed. The latest decision is kept on the photo with who made it and when; a
    new decision replaces it.

    Side effects: updates the row; after commit broadcasts ``photo.reviewed`` and, for a
    re-shoot, queues ``photos.notify_reshoot`` (with the photo's id).
    """
    photo = photo_get_for(user=actor, photo_id=photo_id)
    # The property's lock orders this with its transitions: "complete" counts unrejected photos.
    property = property_get_for(user=actor, property_id=photo.property_id, for_update=True)
    photo = photo_get_for(user=actor, photo_id=photo_id, for_update=True)
    if not actor.is_staff:
        raise ForbiddenError(
            "Only reviewers and admins may review photos.", code=ErrorCode.STAFF_ONLY
        )
    if property.status not in REVIEWABLE_STATUSES:
        raise ConflictError(
            f"The property is {property.status}: its photos can no longer be reviewed.",
            code=ErrorCode.PROPERTY_CLOSED,
            current_status=property.status,
        )
    reason = reason.strip()
    if decision != ReviewDecision.APPROVE and not reason:
        raise InvalidInputError(
            f"A reason is required to {decision} a photo.",
            code=ErrorCode.REASON_REQUIRED,
            field="reason",
        )

    previous = photo.review_status
    photo.review_status = REVIEW_STATUS[decision]
    photo.review_reason = reason
    photo.reviewed_by = actor
    photo.reviewed_at = timezone.now()
    photo.save(
        update_fields=["review_status", "review_reason", "reviewed_by", "reviewed_at", "updated_at"]
    )
    stats_invalidate()
    event_record(subject=photo.property, payload=reviewed_payload(photo))
    if decision == ReviewDecision.RESHOOT:
        queue_on_commit(notify_reshoot, photo_id=str(photo.pk))
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


def photo_notify_reshoot(*, photo_id: UUID | str) -> None:
    """Texts the assigned agent (or the uploader when no agent is assigned) to re-take the photo,
    with the reviewer's reason; the worker builds the text, so that the task carries an id only.
    Side effects: one SMS, none when the photo's latest decision is no re-shoot any more; raises
    SmsDeliveryError when the provider refuses it."""
    photo = (
        Photo.objects.select_related("property__assigned_agent", "uploaded_by")
        .filter(pk=photo_id, review_status=ReviewStatus.RESHOOT)
        .first()
    )
    if photo is None:
        return
    property = photo.property
    recipient = property.assigned_agent or photo.uploaded_by
    body = (
        f"PropFlow: please re-take the {photo.get_category_display().lower()} photo at "
        f"{property.address}, {property.city}: {photo.review_reason}"
    )
    send_sms(to=str(recipient.phone), body=body)
    logger.info("uploader asked for a re-shoot", extra={"photo_id": str(photo.pk)})
