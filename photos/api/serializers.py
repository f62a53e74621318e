from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from photos.models import Category, Photo
from photos.provenance import VALIDATIONS
from photos.qc import ALL_CHECK_NAMES, CHECK_RESULTS, qc_checks_for
from photos.selectors import photo_file_url, photo_taken_at
from photos.services import ReviewDecision


class PhotoUploadInputSerializer(serializers.Serializer[dict[str, Any]]):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="JPEG, HEIC/HEIF, AVIF, WebP or PNG, recognised by its content.",
    )
    category = serializers.ChoiceField(choices=Category.choices)


class PhotoReviewInputSerializer(serializers.Serializer[dict[str, Any]]):
    decision = serializers.ChoiceField(choices=[decision.value for decision in ReviewDecision])
    reason = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        required=False,
        default="",
        help_text="Required to reject or to ask for a re-shoot; sent to the agent on a re-shoot.",
    )


class GpsOutputSerializer(serializers.Serializer[Photo]):
    lat = serializers.FloatField(source="gps_lat")
    lon = serializers.FloatField(source="gps_lon")
    alt = serializers.FloatField(source="gps_alt", allow_null=True, help_text="Metres.")
    accuracy_m = serializers.FloatField(source="gps_accuracy_m", allow_null=True)


class QcCheckOutputSerializer(serializers.Serializer[dict[str, str]]):
    name = serializers.ChoiceField(choices=ALL_CHECK_NAMES)
    result = serializers.ChoiceField(choices=CHECK_RESULTS)
    detail = serializers.CharField()
    related_property_id = serializers.UUIDField(
        required=False,
        help_text="Staff only: the other property whose photo this one duplicates.",
    )


class ContentCredentialsOutputSerializer(serializers.Serializer[dict[str, Any]]):
    """A photo's Content Credentials (C2PA) as verified: from the file, so evidence, not truth
    when they do not validate."""

    validation = serializers.ChoiceField(
        choices=VALIDATIONS,
        help_text="trusted: a good signature from a trusted signer; valid: a good signature from "
        "a signer not trusted; invalid: the file changed after signing, or the credentials are "
        "broken; remote: stored remotely, not fetched (not verified).",
    )
    signer = serializers.CharField(
        allow_null=True, help_text="The signing certificate's organisation, else its common name."
    )
    generator = serializers.CharField(
        allow_null=True, help_text="The claim generator (app or device) and its version."
    )
    signed_at = serializers.DateTimeField(
        allow_null=True, help_text="The time-stamp authority's time; null when signed without one."
    )
    actions = serializers.ListField(
        child=serializers.CharField(),
        help_text="The C2PA actions of the active manifest (c2pa.created, c2pa.edited, ...).",
    )
    ai_generated = serializers.BooleanField(
        help_text="Some action declares the picture made or composited by a trained model."
    )
    failures = serializers.ListField(
        child=serializers.CharField(),
        help_text="C2PA validation failure codes (assertion.dataHash.mismatch, ...).",
    )


class PhotoOutputSerializer(serializers.ModelSerializer[Photo]):
    """Needs ``request`` in its context (for the file URLs, and whether staff read the checks)."""

    taken_at = serializers.SerializerMethodField(
        help_text="As the camera wrote it: YYYY-MM-DDTHH:MM:SS, plus ±HH:MM when the photo "
        "records its offset. Never converted."
    )
    gps = serializers.SerializerMethodField()
    qc_checks = serializers.SerializerMethodField()
    content_credentials = ContentCredentialsOutputSerializer(
        allow_null=True,
        read_only=True,
        help_text="null when the file has no Content Credentials (most photos).",
    )
    preview_url = serializers.SerializerMethodField(
        help_text="Short-lived or access-checked; null until QC has made the preview."
    )
    file_url = serializers.SerializerMethodField(help_text="Short-lived or access-checked.")

    class Meta:
        model = Photo
        fields = (
            "id",
            "property",
            "category",
            "uploaded_by",
            "content_type",
            "size",
            "sha256",
            "width",
            "height",
            "make",
            "model",
            "taken_at",
            "gps",
            "distance_km",
            "qc_status",
            "qc_checks",
            "review_status",
            "review_reason",
            "preview_url",
            "file_url",
            "content_credentials",
            "created_at",
            "processed_at",
        )
        read_only_fields = fields

    def get_taken_at(self, photo: Photo) -> str | None:
        return photo_taken_at(photo)

    @extend_schema_field(QcCheckOutputSerializer(many=True))
    def get_qc_checks(self, photo: Photo) -> list[dict[str, str]]:
        staff = self.context["request"].user.is_staff
        return qc_checks_for(photo.qc_checks, staff=staff)

    @extend_schema_field(GpsOutputSerializer(allow_null=True))
    def get_gps(self, photo: Photo) -> dict[str, Any] | None:
        if photo.gps_lat is None or photo.gps_lon is None:
            return None
        return dict(GpsOutputSerializer(photo).data)

    def get_preview_url(self, photo: Photo) -> str | None:
        return photo_file_url(photo=photo, variant="preview", request=self.context["request"])

    def get_file_url(self, photo: Photo) -> str | None:
        return photo_file_url(photo=photo, variant="file", request=self.context["request"])
