"""The reviewers' back office: the review queue, a property's page with its photos, its status
history and its workflow buttons.

Every status change made here goes through ``properties.services.property_transition``, the
same service as the API's; a refusal is shown as the admin's error message with nothing changed.
The pieces: queue.py (the queue's page), filters.py, inlines.py (a property's photos and
history), forms.py and views.py (the workflow's pages), export.py (the CSV),
intermediate_page.py (a bulk action's page, the photo admin's too), and dashboard.py with
charts.py (the dashboard, /admin/dashboard/).
"""

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.models import User
from accounts.selectors import request_user
from photos.selectors import photo_map_data
from properties.admin.dashboard import dashboard_view
from properties.admin.export import export_csv_view
from properties.admin.filters import (
    AssignedAgentFilter,
    CityFilter,
    FlaggedCredentialsFilter,
    OverdueFilter,
    PhotoContentFilter,
    QcVerdictFilter,
)
from properties.admin.inlines import PhotoInline, StatusChangeInline
from properties.admin.queue import EstimatedCountPaginator, ReviewQueue
from properties.admin.views import assign_to_agent, workflow_buttons, workflow_view
from properties.models import REVIEW_QUEUE_ORDERING, Property, Status
from properties.reports import REPORT_STATUSES
from properties.selectors import properties_visible_to, properties_with_overdue_flag
from properties.workflow import Actor
from propflow.admin_site import PropFlowAdminSite

if TYPE_CHECKING:
    from properties.admin.queue import QueueRow

# The paginator too: the property list's benchmark measures it.
__all__ = ["EstimatedCountPaginator", "PropertyAdmin"]


cast(PropFlowAdminSite, admin.site).register_page(
    "dashboard/",
    dashboard_view,
    name="dashboard",
    title="Dashboard",
    description="Open work, overdue inspections, turnaround, QC by agent, photos per day.",
)

# The queue's QC badges: the summary's key and what it counts. Unreadable photos only show up
# when there are some.
QC_BADGES = (
    ("pass", "passed"),
    ("warn", "warned"),
    ("fail", "failed"),
    ("pending", "pending"),
    ("error", "unreadable"),
)


@admin.register(Property)
class PropertyAdmin(admin.ModelAdmin[Property]):
    """The review queue and a property's page. Properties are registered by clients through the
    API and never deleted here (their history is the audit trail); the workflow's fields change
    only through the workflow buttons."""

    list_display = ("address_and_city", "status", "owner_name", "agent_name", "due", "qc_counts")
    list_filter = (
        "status",
        QcVerdictFilter,
        PhotoContentFilter,
        FlaggedCredentialsFilter,
        "property_type",
        CityFilter,
        AssignedAgentFilter,
        OverdueFilter,
    )
    search_fields = ("address", "city", "owner__phone")
    list_select_related = ("owner", "assigned_agent")
    # Django takes expressions here; the stubs type ordering as field names only.
    ordering = REVIEW_QUEUE_ORDERING  # type: ignore[assignment]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = (assign_to_agent,)
    inlines = (PhotoInline, StatusChangeInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "owner",
                    "property_type",
                    "address",
                    "city",
                    "postal_code",
                    "area_sqft",
                    ("latitude", "longitude"),
                )
            },
        ),
        (
            "Workflow",
            {
                "fields": (
                    "status",
                    ("assigned_agent", "assigned_at"),
                    "due_date",
                    "revision_count",
                    "valuation_amount",
                    "valuation_notes",
                )
            },
        ),
        ("Record", {"fields": ("id", "created_at", "updated_at")}),
    )
    readonly_fields = (
        "id",
        "owner",
        "status",
        "assigned_agent",
        "assigned_at",
        "revision_count",
        "valuation_amount",
        "valuation_notes",
        "created_at",
        "updated_at",
    )

    class Media:
        css = {"all": ("properties/admin.css",)}
        js = ("properties/live.js",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Property]:
        return properties_with_overdue_flag(properties_visible_to(request_user(request)))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ReviewQueue

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Property | None = None) -> bool:
        return False

    @admin.display(description="property", ordering="city")
    def address_and_city(self, property: Property) -> str:
        return str(property)

    # The people by name, the phone below it: "Name (+91…)" on one line pushed the QC column out
    # of a 1,366 px screen.
    @admin.display(description="owner", ordering="owner__name")
    def owner_name(self, property: Property) -> SafeString:
        return _person(property.owner)

    @admin.display(description="assigned agent", ordering="assigned_agent__name")
    def agent_name(self, property: Property) -> SafeString | str:
        return "—" if property.assigned_agent is None else _person(property.assigned_agent)

    @admin.display(description="due", ordering="due_date")
    def due(self, property: "QueueRow") -> str:
        if property.due_date is None:
            return "—"
        if property.is_overdue:
            return format_html('<strong class="overdue">{} · overdue</strong>', property.due_date)
        return str(property.due_date)

    @admin.display(description="QC")
    def qc_counts(self, property: "QueueRow") -> SafeString:
        """Coloured badges, one per result; a zero is greyed out. The title spells it out for
        screen readers and a hover."""
        summary = property.qc_summary
        badges = format_html_join(
            " ",
            '<span class="qc-badge qc-{}{}" title="{} {}">{}</span>',
            (
                (key, "" if summary[key] else " qc-zero", summary[key], label, summary[key])
                for key, label in QC_BADGES
                if key != "error" or summary[key]
            ),
        )
        return format_html('<span class="qc-badges">{}</span>', badges)

    def get_urls(self) -> list[URLPattern]:
        workflow = path(
            "<path:object_id>/workflow/<str:action>/",
            self.admin_site.admin_view(partial(workflow_view, self)),
            name="properties_property_workflow",
        )
        export = path(
            "export.csv",
            self.admin_site.admin_view(partial(export_csv_view, self)),
            name="properties_property_export",
        )
        # Before the default URLs, whose catch-all would take these paths for an object id.
        return [workflow, export, *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Property | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context["map_data"] = photo_map_data(obj)
            context["live_property_id"] = str(obj.pk)
        if obj is not None and self.has_change_permission(request, obj):
            context["workflow_buttons"] = workflow_buttons(request, obj)
        if obj is not None and obj.status in REPORT_STATUSES[Actor.STAFF]:
            label = (
                "Valuation report (PDF)" if obj.status == Status.VALUED else "Draft report (PDF)"
            )
            context["report_link"] = (label, reverse("property-report", args=[obj.pk]))
        return super().render_change_form(request, context, add, change, form_url, obj)


def _person(user: User) -> SafeString:
    return format_html('{}<span class="phone">{}</span>', user.name or "—", user.phone)
