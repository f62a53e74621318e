"""The reviewers' back office: the review queue, a property's page with its photos, its status
history and its workflow buttons.

Every status change made here goes through ``properties.services.property_transition``, the
same service as the API's; a refusal is shown as the admin's error message with nothing changed.
"""

import json
from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django_stubs_ext import WithAnnotations

from accounts.models import Role, User
from accounts.selectors import request_user
from photos.models import Photo
from photos.selectors import photo_file_url, qc_summaries
from properties.models import REVIEW_QUEUE_ORDERING, Property, StatusChange
from properties.selectors import actions_allowed
from properties.services import property_transition
from properties.workflow import TRANSITIONS, Action
from propflow.errors import DomainError, InvalidInputError

# A property is still being worked on while some action can move it on; a due date in the past
# means it is late. The terminal statuses (valued, rejected, cancelled) are never overdue.
OPEN_STATUSES = frozenset(
    source for transition in TRANSITIONS.values() for source in transition.sources
)


class QueueAnnotations(TypedDict):
    is_overdue: bool
    qc_summary: dict[str, int]


if TYPE_CHECKING:
    # A queue row: the property with what the queue's queryset and page add to it.
    QueueRow = WithAnnotations[Property, QueueAnnotations]


def planner_row_estimate(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of how many rows the query returns, from EXPLAIN (the query is
    planned, not run); None on other databases."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator[Property]):
    """Counts exactly up to ``exact_count_limit`` rows. Past it, on PostgreSQL, the count is the
    planner's estimate: a page of a large table never scans the whole table just to count it.
    Page numbers near the end are then approximate, as the estimate is."""

    exact_count_limit = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        assert isinstance(queryset, QuerySet)
        estimate = planner_row_estimate(queryset)
        if estimate is not None and estimate > self.exact_count_limit:
            return estimate
        return queryset.count()


class ReviewQueue(ChangeList):
    """A page of the review queue, with every row's QC counts from one aggregate query."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        summaries = qc_summaries(property.pk for property in self.result_list)
        # Carried on each row like an annotation, for the QC column to read.
        for property in self.result_list:
            property.qc_summary = summaries[property.pk]


# The distinct cities, ascending, by a loose index scan: each step asks property_city_idx for the
# next city, so the cost follows the number of cities, where SELECT DISTINCT reads every row
# (58 ms at 100 000 properties on PostgreSQL; under 1 ms this way).
CITIES_SQL = """
WITH RECURSIVE cities(city) AS (
    SELECT MIN(city) FROM properties_property
    UNION ALL
    SELECT (SELECT MIN(city) FROM properties_property WHERE city > cities.city)
    FROM cities WHERE cities.city IS NOT NULL
)
SELECT city FROM cities WHERE city IS NOT NULL
"""


class CityFilter(admin.SimpleListFilter):
    title = "city"
    parameter_name = "city"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        with connections[Property.objects.db].cursor() as cursor:
            cursor.execute(CITIES_SQL)
            return [(city, city) for (city,) in cursor.fetchall()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(city=self.value())
        return queryset


class AssignedAgentFilter(admin.SimpleListFilter):
    title = "assigned agent"
    parameter_name = "agent"
    UNASSIGNED = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        agents = User.objects.filter(role=Role.AGENT).order_by("name", "phone")
        return [(str(agent.pk), str(agent)) for agent in agents] + [(self.UNASSIGNED, "Unassigned")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == self.UNASSIGNED:
            return queryset.filter(assigned_agent__isnull=True)
        if self.value():
            return queryset.filter(assigned_agent_id=self.value())
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(is_overdue=True)
        if self.value() == "no":
            return queryset.filter(is_overdue=False)
        return queryset


class TransitionForm(forms.Form):
    """Parses what a workflow action needs. The rules (a reason is required, a valuation must be
    positive) are the service's, so that its refusal is the one message a reviewer sees."""

    def transition_arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class AssignForm(TransitionForm):
    # Required here: choosing the agent is what the page is for.
    agent = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.AGENT, is_active=True).order_by("name", "phone")
    )
    due_date = forms.DateField(
        required=False,
        widget=AdminDateWidget,
        help_text=f"Empty: in {settings.PROPERTY_DEFAULT_DUE_DAYS} days.",
    )

    def transition_arguments(self) -> dict[str, Any]:
        agent: User = self.cleaned_data["agent"]
        due_date: date | None = self.cleaned_data["due_date"]
        return {"agent_id": agent.pk, "due_date": due_date}


class ReasonForm(TransitionForm):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))


class ApproveForm(TransitionForm):
    valuation_amount = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label="Valuation amount (INR)"
    )
    valuation_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))


# The staff's actions in the workflow table, each with its button label and form.
WORKFLOW_FORMS: dict[Action, tuple[str, type[TransitionForm]]] = {
    Action.ASSIGN: ("Assign agent", AssignForm),
    Action.REQUEST_REVISION: ("Request revision", ReasonForm),
    Action.APPROVE: ("Approve with valuation", ApproveForm),
    Action.REJECT: ("Reject", ReasonForm),
}


# How many of the selected properties the bulk assignment page names.
BULK_SAMPLE_SIZE = 20


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
    fields = ("thumbnail", "category", "qc_status", "checks", "review_status")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Photo]:
        # Each row's title names the photo's property.
        return super().get_queryset(request).select_related("property")

    @admin.display(description="preview")
    def thumbnail(self, photo: Photo) -> str:
        url = photo_file_url(photo=photo, variant="preview")
        if url is None:
            return "no preview yet"
        return format_html('<img src="{}" alt="" width="160" loading="lazy">', url)

    @admin.display(description="QC checks")
    def checks(self, photo: Photo) -> SafeString:
        return format_html(
            '<ul class="qc-checks">{}</ul>',
            format_html_join(
                "",
                "<li><strong>{}</strong> {}: {}</li>",
                ((check["name"], check["result"], check["detail"]) for check in photo.qc_checks),
            ),
        )


@admin.register(Property)
class PropertyAdmin(admin.ModelAdmin[Property]):
    """The review queue and a property's page. Properties are registered by clients through the
    API and never deleted here (their history is the audit trail); the workflow's fields change
    only through the workflow buttons."""

    list_display = ("address_and_city", "status", "owner", "assigned_agent", "due", "qc_counts")
    list_filter = ("status", "property_type", CityFilter, AssignedAgentFilter, OverdueFilter)
    search_fields = ("address", "city", "owner__phone")
    list_select_related = ("owner", "assigned_agent")
    # Django takes expressions here; the stubs type ordering as field names only.
    ordering = REVIEW_QUEUE_ORDERING  # type: ignore[assignment]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ("assign_to_agent",)
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Property]:
        # With no due date the flag is false, not NULL: "not overdue" must find those too.
        overdue = Q(
            due_date__isnull=False, due_date__lt=timezone.localdate(), status__in=OPEN_STATUSES
        )
        return (
            super()
            .get_queryset(request)
            .annotate(is_overdue=ExpressionWrapper(overdue, output_field=BooleanField()))
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ReviewQueue

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Property | None = None) -> bool:
        return False

    @admin.display(description="property", ordering="city")
    def address_and_city(self, property: Property) -> str:
        return str(property)

    @admin.display(description="due", ordering="due_date")
    def due(self, property: "QueueRow") -> str:
        if property.due_date is None:
            return "—"
        if property.is_overdue:
            return format_html('<strong class="overdue">{} · overdue</strong>', property.due_date)
        return str(property.due_date)

    @admin.display(description="QC pass · warn · fail · pending")
    def qc_counts(self, property: "QueueRow") -> str:
        summary = property.qc_summary
        counts = f"{summary['pass']} · {summary['warn']} · {summary['fail']} · {summary['pending']}"
        if summary["error"]:
            return f"{counts} ({summary['error']} unreadable)"
        return counts

    # --- Workflow buttons ---------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        workflow = path(
            "<path:object_id>/workflow/<str:action>/",
            self.admin_site.admin_view(self.workflow_view),
            name="properties_property_workflow",
        )
        # Before the default URLs, whose catch-all would take this path for an object id.
        return [workflow, *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Property | None = None,
    ) -> HttpResponse:
        if obj is not None and self.has_change_permission(request, obj):
            context["workflow_buttons"] = [
                (WORKFLOW_FORMS[action][0], _workflow_url(obj, action))
                for action in actions_allowed(user=request_user(request), property=obj)
                if action in WORKFLOW_FORMS
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def workflow_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """One workflow action's form. A valid POST calls the workflow service: on success the
        status has changed and an audit row is written; on refusal nothing changes and the
        service's reason is shown (with the form again when the input was at fault)."""
        property = self.get_object(request, object_id)
        if property is None:
            raise Http404("No such property.")
        if not self.has_change_permission(request, property):
            raise PermissionDenied
        try:
            label, form_class = WORKFLOW_FORMS[Action(action)]
        except (ValueError, KeyError) as error:
            raise Http404("No such workflow action.") from error
        change_url = reverse("admin:properties_property_change", args=[property.pk])
        form = form_class(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                changed = property_transition(
                    actor=request_user(request),
                    property_id=property.pk,
                    action=Action(action),
                    **form.transition_arguments(),
                )
            except DomainError as error:
                self.message_user(request, error.detail, messages.ERROR)
                if not isinstance(error, InvalidInputError):
                    return HttpResponseRedirect(change_url)
            else:
                self.message_user(
                    request, f"{label}: done; {changed} is now {changed.get_status_display()}."
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label}: {property}",
            "action_label": label,
            "opts": self.opts,
            "original": property,
            "form": form,
            "media": self.media + form.media,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/properties/property/workflow_action.html", context)

    @admin.action(description="Assign to an agent", permissions=["change"])
    def assign_to_agent(
        self, request: HttpRequest, queryset: QuerySet[Property]
    ) -> TemplateResponse | None:
        """Asks for the agent on an intermediate page, then assigns each selected property
        through the workflow service, one by one: each either moves to ASSIGNED with its audit
        row or is left as it was, and the reviewer is told which and why."""
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._assign_each(request, queryset, form)
            return None
        count = queryset.count()
        sample = list(queryset[:BULK_SAMPLE_SIZE])
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign to an agent",
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "count": count,
            "sample": sample,
            "more": count - len(sample),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/properties/property/assign_to_agent.html", context)

    def _assign_each(
        self, request: HttpRequest, queryset: QuerySet[Property], form: AssignForm
    ) -> None:
        actor = request_user(request)
        assigned = 0
        for property in queryset:
            try:
                property_transition(
                    actor=actor,
                    property_id=property.pk,
                    action=Action.ASSIGN,
                    **form.transition_arguments(),
                )
            except DomainError as error:
                self.message_user(request, f"{property}: {error.detail}", messages.ERROR)
            else:
                assigned += 1
        if assigned:
            agent = form.cleaned_data["agent"]
            self.message_user(request, f"Assigned {_count(assigned)} to {agent}.")


def _workflow_url(property: Property, action: Action) -> str:
    return reverse("admin:properties_property_workflow", args=[property.pk, str(action)])


def _count(number: int) -> str:
    return f"{number} property" if number == 1 else f"{number} properties"
