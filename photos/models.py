"""Photos of a property's inspection, with what their files say and how they fared in QC."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from photos.imaging import DHASH_BANDS, dhash_bands, signed64
from photos.qc import QcVerdict
from properties.models import Property


class Category(models.TextChoices):
    FRONT = "FRONT", "Front"
    STREET = "STREET", "Street"
    LIVING = "LIVING", "Living room"
    KITCHEN = "KITCHEN", "Kitchen"
    BEDROOM = "BEDROOM", "Bedroom"
    BATHROOM = "BATHROOM", "Bathroom"
    OTHER = "OTHER", "Other"


class QcStatus(models.TextChoices):
    """Where a photo's QC stands: waiting, running, the checks' verdict (photos.qc.QcVerdict),
    or ERROR for a file that could not be read."""

    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    PASS = QcVerdict.PASS.value, "Pass"
    WARN = QcVerdict.WARN.value, "Warn"
    FAIL = QcVerdict.FAIL.value, "Fail"
    ERROR = "ERROR", "Error"


class ReviewStatus(models.TextChoices):
    PENDING = "PENDING", "Not reviewed"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"
    RESHOOT = "RESHOOT", "Re-shoot requested"


def original_path(photo: "Photo", filename: str) -> str:
    # The client's file name is not trusted: the path is the property and the photo id.
    return f"photos/{photo.property_id}/{photo.id}/original"


def preview_path(photo: "Photo", filename: str) -> str:
    return f"photos/{photo.property_id}/{photo.id}/preview.jpg"


def dhash_columns(dhash: int) -> dict[str, int]:
    """The columns the reuse lookup reads, for a photo whose dHash is ``dhash``."""
    bands = dhash_bands(dhash)
    return {"dhash_bits": signed64(dhash)} | {
        f"dhash_band_{band}": value for band, value in enumerate(bands)
    }


class Photo(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="photos")
    category = models.CharField(max_length=16, choices=Category.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploaded_photos"
    )
    idempotency_key = models.CharField(max_length=128, blank=True)

    file = models.FileField(upload_to=original_path, max_length=200)
    content_type = models.CharField(max_length=32)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)

    # What the file's header says, filled in by QC.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    make = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    taken_at = models.CharField(max_length=19, blank=True, help_text="As the camera wrote it.")
    taken_at_offset = models.CharField(max_length=6, blank=True)
    gps_lat = models.FloatField(null=True, blank=True)
    gps_lon = models.FloatField(null=True, blank=True)
    gps_alt = models.FloatField(null=True, blank=True)
    gps_accuracy_m = models.FloatField(null=True, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    dhash = models.CharField(max_length=16, blank=True, db_index=True)
    # The dHash again, for the reuse lookup (photos.selectors.photo_reuse_candidates): as a
    # signed 64-bit integer for the exact distance, and dealt into bands, each indexed
    # (photos.imaging.dhash_bands). Null while dhash is empty; dhash_columns fills them all.
    dhash_bits = models.BigIntegerField(null=True, blank=True, editable=False)
    dhash_band_0 = models.IntegerField(null=True, blank=True, editable=False)
    dhash_band_1 = models.IntegerField(null=True, blank=True, editable=False)
    dhash_band_2 = models.IntegerField(null=True, blank=True, editable=False)
    preview = models.FileField(upload_to=preview_path, max_length=200, blank=True)

    qc_status = models.CharField(max_length=8, choices=QcStatus.choices, default=QcStatus.PENDING)
    qc_checks = models.JSONField(default=list, blank=True)
    # The file's Content Credentials as verified (photos.provenance.ContentCredentials.as_dict);
    # null when it has none.
    content_credentials = models.JSONField(null=True, blank=True)
    qc_error = models.TextField(blank=True)
    content_labels = models.JSONField(
        null=True,
        blank=True,
        help_text="What the content backend saw in the preview ([{description, score}]); "
        "null when none was asked or it gave no answer.",
    )
    qc_started_at = models.DateTimeField(null=True, blank=True)
    # QC runs started (claims) since the photo last went into the queue; at
    # PHOTO_QC_MAX_ATTEMPTS the photo ends ERROR instead of being run again.
    qc_attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    review_status = models.CharField(
        max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    review_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_photos",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = (
            models.UniqueConstraint(
                fields=("uploaded_by", "idempotency_key"),
                condition=~Q(idempotency_key=""),
                name="photo_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(qc_status__in=QcStatus.values), name="photo_qc_status_valid"
            ),
        )
        indexes = (
            models.Index(fields=("property", "qc_status"), name="photo_property_qc_idx"),
            models.Index(fields=("qc_status", "created_at"), name="photo_qc_created_idx"),
            *(
                models.Index(fields=(f"dhash_band_{band}",), name=f"photo_dhash_band_{band}_idx")
                for band in range(DHASH_BANDS)
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_category_display()} photo of {self.property}"

    def camera_name(self) -> str:
        """The camera as the file's EXIF names it ("Google Pixel 8"); "" when it names none."""
        return " ".join(part for part in (self.make, self.model) if part)
