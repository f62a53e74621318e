"""The reviewers' photo screens: every photo with its QC, and the review decisions.

Photos are evidence: nothing here edits one. Decisions go through photos.services.photo_review,
the same way as the API's.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.selectors import request_user
from photos.models import Photo
from photos.qc import ALL_CHECK_NAMES, CHECK_RESULTS
from photos.selectors import (
    photo_content_labels,
    photo_file_url,
    photo_taken_at,
    photos_visible_to,
    photos_with_check,
)
from photos.services import ReviewDecision, photo_review
from properties.admin.inlines import provenance_html
from properties.admin.intermediate_page import ask_then_apply
from propflow.errors import DomainError


class CheckResultFilter(admin.SimpleListFilter):
    title = "QC check"
    parameter_name = "check"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (f"{name}:{result}", f"{name}: {result}")
            for name in ALL_CHECK_NAMES
            for result in CHECK_RESULTS
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Photo]) -> QuerySet[Photo]:
        value = self.value()
        if not value:
            return queryset
        name, _, result = value.partition(":")
        if name not in ALL_CHECK_NAMES or result not in CHECK_RESULTS:
            return queryset.none()
        return photos_with_check(queryset, name=name, result=result)


class ReviewReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), strip=True
    )


REASON_EXPLANATIONS = {
    ReviewDecision.REJECT: "The reason is shown to the client and the agent.",
    ReviewDecision.RESHOOT: "The reason is sent to the agent by SMS.",
}


# The change page's sections; every field is read-only.
SECTIONS: dict[str | None, tuple[str, ...]] = {
    None: ("preview_image", "property", "category", "uploaded_by", "created_at"),
    "File": ("original_link", "content_type", "size", "sha256", "width", "height"),
    "Camera": ("make", "model", "capture_time", "position", "distance_km"),
    "Quality control": ("qc_status", "checks", "seen_labels", "qc_error", "processed_at"),
    "Provenance": ("provenance",),
    "Review": ("review_status", "review_reason", "reviewed_by", "reviewed_at"),
}


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin[Photo]):
    list_display = (
        "thumbnail",
        "property",
        "category",
        "qc_status",
        "review_status",
        "uploaded_by",
        "created_at",
    )
    list_display_links = ("thumbnail", "property")
    list_filter = ("qc_status", "category", "review_status", CheckResultFilter)
    list_select_related = ("property", "uploaded_by")
    search_fields = ("property__address", "property__city", "sha256", "make", "model")
    ordering = ("-created_at",)
    actions = ("approve", "reject", "request_reshoot")
    fieldsets = tuple((title, {"fields": fields}) for title, fields in SECTIONS.items())
    readonly_fields = tuple(name for fields in SECTIONS.values() for name in fields)

    class Media:
        css = {"all": ("properties/admin.css",)}  # the provenance badge

    def get_queryset(self, request: HttpRequest) -> QuerySet[Photo]:
        return photos_visible_to(request_user(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Photo | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Photo | None = None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request_user(request).is_staff

    @admin.display(description="Preview")
    def thumbnail(self, photo: Photo) -> SafeString | str:
        return self._image(photo, width=96)

    @admin.display(description="Preview")
    def preview_image(self, photo: Photo) -> SafeString | str:
        return self._image(photo, width=480)

    def _image(self, photo: Photo, *, width: int) -> SafeString | str:
        url = photo_file_url(photo=photo, variant="preview")
        if url is None:
            return "—"
        return format_html('<img src="{}" alt="" width="{}" loading="lazy">', url, width)

    @admin.display(description="Original")
    def original_link(self, photo: Photo) -> SafeString:
        return format_html(
            '<a href="{}">Open the original</a>', photo_file_url(photo=photo, variant="file")
        )

    @admin.display(description="Taken at")
    def capture_time(self, photo: Photo) -> str:
        return photo_taken_at(photo) or "—"

    @admin.display(description="GPS")
    def position(self, photo: Photo) -> str:
        if photo.gps_lat is None or photo.gps_lon is None:
            return "—"
        details = [f"{photo.gps_lat:.6f}, {photo.gps_lon:.6f}"]
        if photo.gps_alt is not None:
            details.append(f"altitude {photo.gps_alt:.0f} m")
        if photo.gps_accuracy_m is not None:
            details.append(f"accuracy {photo.gps_accuracy_m:.0f} m")
        return "; ".join(details)

    @admin.display(description="Checks")
    def checks(self, photo: Photo) -> SafeString | str:
        if not photo.qc_checks:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((check["name"], check["result"], check["detail"]) for check in photo.qc_checks),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)

    @admin.display(description="Content labels")
    def seen_labels(self, photo: Photo) -> str:
        """Text, never markup: a label is whatever the backend answered."""
        return photo_content_labels(photo) or "none"

    @admin.display(description="Content Credentials")
    def provenance(self, photo: Photo) -> SafeString:
        return provenance_html(photo)

    @admin.action(description="Approve the selected photos", permissions=["review"])
    def approve(self, request: HttpRequest, photos: QuerySet[Photo]) -> None:
        self._review(request, photos, ReviewDecision.APPROVE, reason="")

    @admin.action(description="Reject the selected photos…", permissions=["review"])
    def reject(self, request: HttpRequest, photos: QuerySet[Photo]) -> TemplateResponse | None:
        return self._review_with_reason(request, photos, ReviewDecision.REJECT, "Reject photos")

    @admin.action(description="Ask for a re-shoot of the selected photos…", permissions=["review"])
    def request_reshoot(
        self, request: HttpRequest, photos: QuerySet[Photo]
    ) -> TemplateResponse | None:
        return self._review_with_reason(
            request, photos, ReviewDecision.RESHOOT, "Ask for a re-shoot"
        )

    def _review_with_reason(
        self, request: HttpRequest, photos: QuerySet[Photo], decision: ReviewDecision, title: str
    ) -> TemplateResponse | None:
        """Asks for the reason on a page of its own, then reviews with it."""
        return ask_then_apply(
            self,
            request,
            photos,
            form_class=ReviewReasonForm,
            apply=lambda form: self._review(
                request, photos, decision, reason=form.cleaned_data["reason"]
            ),
            title=title,
            template="admin/photos/photo/review_reason.html",
            explanation=REASON_EXPLANATIONS[decision],
        )

    def _review(
        self, request: HttpRequest, photos: QuerySet[Photo], decision: ReviewDecision, reason: str
    ) -> None:
        reviewed = 0
        for photo in photos:
            try:
                photo_review(
                    actor=request_user(request), photo_id=photo.pk, decision=decision, reason=reason
                )
            except DomainError as error:
                self.message_user(request, f"{photo}: {error.detail}", messages.ERROR)
            else:
                reviewed += 1
        if reviewed:
            self.message_user(
                request, f"{decision}: {reviewed} photo(s) reviewed.", messages.SUCCESS
            )
