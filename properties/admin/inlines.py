"""The rows shown on a property's page: its photos with their QC, and its status history."""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from photos.models import Photo
from photos.selectors import photo_content_labels, photo_file_url, photo_provenance_summary
from properties.models import Property, StatusChange

CARD_FIELDS = (
    "thumbnail",
    "category",
    "camera",
    "qc_status",
    "provenance",
    "checks",
    "review_status",
)
# The most content labels a photo card shows (its page shows them all).
CARD_LABELS = 5


def provenance_html(photo: Photo) -> SafeString:
    """A photo's provenance badge and Content Credentials, on its card here and on its own page:
    rendered by an autoescaping template, since their text comes from the file."""
    return render_to_string(
        "admin/photos/photo/provenance.html", {"summary": photo_provenance_summary(photo)}
    )


class ReadOnlyInline(admin.TabularInline[Any, Property]):
    """Rows shown on the property's page that nobody adds, changes or deletes there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Property | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Property | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Property | None = None) -> bool:
        return False


class StatusChangeInline(ReadOnlyInline):
    """The audit trail, written only by the workflow service."""

    model = StatusChange
    verbose_name_plural = "status history"
    fields = ("created_at", "from_status", "to_status", "actor", "actor_role", "reason")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        return super().get_queryset(request).select_related("actor")


class PhotoInline(ReadOnlyInline):
    """The property's photos with their QC results; reviewing a photo happens on its own page,
    which each row links to."""

    model = Photo
    readonly_fields = (*CARD_FIELDS, "labels")
    show_change_link = True
    # A grid of cards rather than a table: the previews are what a reviewer looks at.
    template = "admin/properties/property/photo_grid.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Photo]:
        # Each row's title names the photo's property.
        return super().get_queryset(request).select_related("property")

    def get_fields(self, request: HttpRequest, obj: Property | None = None) -> tuple[str, ...]:
        # What the content backend saw, on the cards of an installation that has one.
        return (*CARD_FIELDS, "labels") if settings.PHOTO_CONTENT_BACKEND else CARD_FIELDS

    @admin.display(description="preview")
    def thumbnail(self, photo: Photo) -> str:
        """The preview, opening the original (both through the access-checked file URL)."""
        url = photo_file_url(photo=photo, variant="preview")
        if url is None:
            return "no preview yet"
        return format_html(
            '<a href="{}" class="photo-original" target="_blank" rel="noopener" title="{}">'
            '<img src="{}" alt="" width="160" loading="lazy"></a>',
            photo_file_url(photo=photo, variant="file"),
            f"Open the original {photo.get_category_display().lower()} photo",
            url,
        )

    @admin.display(description="camera")
    def camera(self, photo: Photo) -> str:
        return photo.camera_name() or "—"

    @admin.display(description="labels")
    def labels(self, photo: Photo) -> str:
        """The strongest labels, as text (never markup: a label is whatever the backend said)."""
        return photo_content_labels(photo, CARD_LABELS) or "none"

    @admin.display(description="provenance")
    def provenance(self, photo: Photo) -> SafeString:
        return provenance_html(photo)

    @admin.display(description="QC checks")
    def checks(self, photo: Photo) -> SafeString:
        return format_html(
            '<ul class="qc-checks">{}</ul>',
            format_html_join(
                "",
                '<li class="qc-check qc-{}"><strong>{}</strong> {}: {}</li>',
                (
                    (check["result"], check["name"], check["result"], check["detail"])
                    for check in photo.qc_checks
                ),
            ),
        )
