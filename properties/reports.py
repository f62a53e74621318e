"""The valuation report: who may read it when, what goes into it, and the one kept per valued
property (made by a task on approval, or on the first request that finds none)."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from photos.models import Photo
from photos.qc import qc_checks_for
from photos.selectors import (
    photo_provenance_summary,
    photo_taken_at,
    property_photos_in_order,
    qc_thresholds,
)
from photos.storage import (
    TransientStorageError,
    read_preview,
    read_stored,
    storage_access,
    storage_or_unavailable,
)
from properties.models import Property, Status, ValuationReport, report_path
from properties.report import (
    ReportCheck,
    ReportDocument,
    ReportHistoryRow,
    ReportPhoto,
    indian_rupees,
    render_pdf,
)
from properties.selectors import actors_for, property_get_for, property_history
from properties.workflow import Actor
from propflow.errors import ConflictError, ErrorCode, ForbiddenError

logger = logging.getLogger(__name__)

# Who may read the report from which status: the owner the valued report; staff from review on,
# where all but the valued one are drafts.
REPORT_STATUSES = {
    Actor.OWNER: (Status.VALUED,),
    Actor.STAFF: (Status.IN_REVIEW, Status.VALUED, Status.REJECTED),
}


@dataclass(frozen=True)
class ReportFile:
    """A report to send: the PDF, its file name, and whether it is a draft."""

    content: bytes
    filename: str
    draft: bool


def property_report_get_for(*, user: User, property_id: UUID | str) -> Property:
    """The property whose report the user asks for, or the refusal: 404 when the user may not
    see the property, 403 when they see it but not its report (its agent), 409 before the
    report exists for them."""
    property = property_get_for(user=user, property_id=property_id)
    actors = actors_for(user=user, property=property)
    role = next((actor for actor in (Actor.STAFF, Actor.OWNER) if actor in actors), None)
    if role is None:
        raise ForbiddenError(
            "Only the owner and staff may read the valuation report.",
            code=ErrorCode.REPORT_FORBIDDEN,
        )
    statuses = REPORT_STATUSES[role]
    if property.status not in statuses:
        raise ConflictError(
            f"The report is available once the property is {' or '.join(statuses)}; "
            f"this property is {property.status}.",
            code=ErrorCode.REPORT_NOT_READY,
            current_status=property.status,
        )
    return property


def property_report(*, user: User, property_id: UUID | str) -> ReportFile:
    """The report the user may read: a valued property's kept report (made now if it has none,
    or if storage lost it), else a draft made for this request and not kept. Side effects: see
    property_report_make; 503 while storage is unavailable."""
    property = property_report_get_for(user=user, property_id=property_id)
    with storage_or_unavailable("Report"):
        if property.status != Status.VALUED:
            pdf = render_pdf(report_document(property, report_id=uuid.uuid4(), draft=True))
            return ReportFile(pdf, f"report-{property.pk}-draft.pdf", draft=True)
        report = property_report_make(property_id=property.pk)
        assert report is not None  # the property is valued
        return ReportFile(_stored_or_remade(report), f"report-{property.pk}.pdf", draft=False)


def _stored_or_remade(report: ValuationReport) -> bytes:
    pdf = read_stored(report.file.name)
    if pdf is not None:
        return pdf
    logger.warning("report missing from storage, made again", extra={"report": str(report.pk)})
    ValuationReport.objects.filter(pk=report.pk).delete()
    remade = property_report_make(property_id=report.property_id)
    assert remade is not None  # the property is still valued
    pdf = read_stored(remade.file.name)
    if pdf is None:
        raise TransientStorageError(f"{remade.file.name} vanished as it was written")
    return pdf


def property_report_make(*, property_id: UUID | str) -> ValuationReport | None:
    """The valued property's report, made and kept if it has none yet; None for a property not
    valued. Side effects: one PDF in storage beside the photos and one row. Two makers at once
    keep one report: the second's file is deleted."""
    property = Property.objects.select_related("owner", "assigned_agent").get(pk=property_id)
    if property.status != Status.VALUED:
        return None
    existing = ValuationReport.objects.filter(property=property).first()
    if existing is not None:
        return existing
    report = ValuationReport(property=property, created_at=timezone.now())
    pdf = render_pdf(
        report_document(property, report_id=report.id, draft=False, generated_at=report.created_at)
    )
    with storage_access(f"writing the report of {property.pk}"):
        name = default_storage.save(report_path(report, "report.pdf"), ContentFile(pdf))
    report.file.name = name
    report.size = len(pdf)
    try:
        with transaction.atomic():
            report.save(force_insert=True)
    except IntegrityError:
        default_storage.delete(name)
        return ValuationReport.objects.get(property=property)
    logger.info("report made", extra={"property_id": str(property.pk), "report": str(report.pk)})
    return report


def _local(moment: datetime) -> str:
    return timezone.localtime(moment, ZoneInfo(settings.PROPERTY_TIME_ZONE)).strftime(
        "%d %b %Y, %H:%M %Z"
    )


def _person(user: User | None) -> str:
    """A name for the report, never a phone number: the name, else the role."""
    if user is None:
        return "—"
    role = Role(user.role).label
    return f"{user.name} ({role})" if user.name else role


def report_document(
    property: Property, *, report_id: UUID, draft: bool, generated_at: datetime | None = None
) -> ReportDocument:
    history = list(property_history(property=property))
    approvals = [change for change in history if change.to_status == Status.VALUED]
    approval = approvals[-1] if approvals else None
    valued = property.status == Status.VALUED and property.valuation_amount is not None
    position = (
        "—"
        if property.latitude is None or property.longitude is None
        else f"{property.latitude:.6f}, {property.longitude:.6f}"
    )
    return ReportDocument(
        report_id=str(report_id),
        generated_at=_local(generated_at or timezone.now()),
        draft=draft,
        title=f"{property.address}, {property.city}",
        property_facts=[
            ("Address", property.address),
            ("City", property.city),
            ("Postal code", property.postal_code or "—"),
            ("Type", property.get_property_type_display()),
            ("Area", f"{property.area_sqft:,} sq ft"),
            ("Position", position),
            ("Owner", _person(property.owner)),
            ("Field agent", _person(property.assigned_agent)),
            ("Status", property.get_status_display()),
            ("Revisions", str(property.revision_count)),
            ("Registered", _local(property.created_at)),
        ],
        valuation=indian_rupees(property.valuation_amount)  # type: ignore[arg-type]
        if valued
        else "Not valued yet",
        valuation_notes=property.valuation_notes if valued else "",
        approval=(
            f"By {_person(approval.actor)} on {_local(approval.created_at)}"
            if approval is not None
            else "Not approved yet"
        ),
        latitude=property.latitude,
        longitude=property.longitude,
        radius_m=qc_thresholds().max_distance_km * 1000,
        photos=[
            _report_photo(number, photo)
            for number, photo in enumerate(property_photos_in_order(property), start=1)
        ],
        history=[
            ReportHistoryRow(
                at=_local(change.created_at),
                change=f"{change.get_from_status_display()} → {change.get_to_status_display()}",
                actor=_person(change.actor),
                reason=change.reason,
            )
            for change in history
        ],
    )


def _report_photo(number: int, photo: Photo) -> ReportPhoto:
    gps = "none"
    if photo.gps_lat is not None and photo.gps_lon is not None:
        gps = f"{photo.gps_lat:.6f}, {photo.gps_lon:.6f}"
        if photo.gps_alt is not None:
            gps += f" · altitude {photo.gps_alt:.0f} m"
        if photo.gps_accuracy_m is not None:
            gps += f" · accuracy ±{photo.gps_accuracy_m:.0f} m"
    review = photo.get_review_status_display()
    if photo.review_reason:
        review += f": {photo.review_reason}"
    facts = [
        ("Capture time", photo_taken_at(photo) or "not recorded"),
        ("GPS", gps),
        (
            "Distance",
            "—" if photo.distance_km is None else f"{photo.distance_km:.2f} km from the property",
        ),
        ("Camera", photo.camera_name() or "not recorded"),
        (
            "Picture",
            f"{photo.width} x {photo.height} px, {photo.content_type}"
            if photo.width and photo.height
            else photo.content_type,
        ),
        ("Uploaded", f"{_local(photo.created_at)} by {_person(photo.uploaded_by)}"),
        ("QC", photo.get_qc_status_display() + (f": {photo.qc_error}" if photo.qc_error else "")),
        ("Review", review),
    ]
    # The report goes to the client: the checks as a client reads them (no other property named).
    checks = [
        ReportCheck(check["name"], check["result"], check["detail"])
        for check in qc_checks_for(photo.qc_checks, staff=False)
    ]
    return ReportPhoto(
        number=number,
        category=photo.get_category_display(),
        qc_status=photo.qc_status,
        lat=photo.gps_lat,
        lon=photo.gps_lon,
        sha256=photo.sha256,
        facts=facts,
        checks=checks,
        credentials=_credentials(photo),
        preview=read_preview(photo),
    )


def _credentials(photo: Photo) -> list[tuple[str, str]]:
    summary = photo_provenance_summary(photo)
    if summary is None:
        return [("Summary", "Not checked")]
    rows = [("Summary", summary.label)]
    for label, value in (
        ("Signer", summary.signer),
        ("Generator", summary.generator),
        ("Signed at", summary.signed_at),
        ("Actions", ", ".join(summary.actions)),
        ("Failures", ", ".join(summary.failures)),
    ):
        if value:
            rows.append((label, value))
    return rows
