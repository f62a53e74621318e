"""Properties, the unit of work, and their audit trail of status changes."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class PropertyType(models.TextChoices):
    APARTMENT = "APARTMENT", "Apartment"
    HOUSE = "HOUSE", "House"
    VILLA = "VILLA", "Villa"
    PLOT = "PLOT", "Plot"
    COMMERCIAL = "COMMERCIAL", "Commercial"
    OTHER = "OTHER", "Other"


class Status(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    SUBMITTED = "SUBMITTED", "Submitted"
    ASSIGNED = "ASSIGNED", "Assigned"
    INSPECTING = "INSPECTING", "Inspecting"
    IN_REVIEW = "IN_REVIEW", "In review"
    VALUED = "VALUED", "Valued"
    REJECTED = "REJECTED", "Rejected"
    CANCELLED = "CANCELLED", "Cancelled"


# The review queue: IN_REVIEW first, then the oldest due date (none last), then newest.
_IN_REVIEW_FIRST = models.Case(
    models.When(status=Status.IN_REVIEW, then=models.Value(0)), default=models.Value(1)
).asc()
REVIEW_QUEUE_ORDERING = (
    _IN_REVIEW_FIRST,
    models.F("due_date").asc(nulls_last=True),
    models.F("id").desc(),
)
# The index that serves that sort. PostgreSQL's ASC already puts nulls last (SQLite's index
# syntax has no NULLS LAST), so the plain ascending due date matches the queue's order there.
REVIEW_QUEUE_INDEX = models.Index(
    _IN_REVIEW_FIRST,
    models.F("due_date").asc(),
    models.F("id").desc(),
    name="property_review_queue_idx",
)


class Property(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="properties"
    )
    property_type = models.CharField(max_length=16, choices=PropertyType.choices)
    address = models.CharField(max_length=300)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=12, blank=True)
    area_sqft = models.DecimalField(max_digits=10, decimal_places=2)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    # When the current assignment began: photos taken before it are not from this visit.
    assigned_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    valuation_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    valuation_notes = models.TextField(blank=True)
    revision_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "properties"
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(condition=Q(area_sqft__gt=0), name="property_area_positive"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="property_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="property_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(valuation_amount__isnull=True) | Q(valuation_amount__gt=0),
                name="property_valuation_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="property_status_valid"
            ),
        )
        indexes = (
            models.Index(fields=("owner", "-created_at"), name="property_owner_created_idx"),
            models.Index(
                fields=("assigned_agent", "-created_at"), name="property_agent_created_idx"
            ),
            models.Index(fields=("status", "due_date"), name="property_status_due_idx"),
            models.Index(fields=("-created_at", "-id"), name="property_created_idx"),
            models.Index(fields=("city",), name="property_city_idx"),
            REVIEW_QUEUE_INDEX,
        )

    def __str__(self) -> str:
        return f"{self.address}, {self.city}"


class StatusChange(models.Model):
    """One row per status change: who, from, to, when and why."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=Status.choices)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="status_changes"
    )
    actor_role = models.CharField(max_length=16)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        indexes = (
            models.Index(fields=("property", "created_at"), name="statuschange_property_idx"),
        )

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


def report_path(report: "ValuationReport", filename: str) -> str:
    # Beside the property's photos, in the same storage (a local folder or the S3 bucket).
    return f"photos/{report.property_id}/report-{report.id}.pdf"


class ValuationReport(models.Model):
    """The valued property's report, made once (the PDF in storage); drafts are never kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    property = models.OneToOneField(Property, on_delete=models.CASCADE, related_name="report")
    file = models.FileField(upload_to=report_path, max_length=200)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Report {self.id} of {self.property_id}"
