"""The workflow's pages: the buttons on a property's page, the form behind each button, and
the bulk assignment from the queue. Every status change goes through property_transition."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.selectors import request_user
from properties.admin.forms import WORKFLOW_FORMS, AssignForm
from properties.admin.intermediate_page import ask_then_apply
from properties.models import Property
from properties.selectors import actions_allowed
from properties.services import property_transition
from properties.workflow import Action
from propflow.errors import DomainError, InvalidInputError


def workflow_buttons(request: HttpRequest, property: Property) -> list[tuple[str, str]]:
    """Each staff action the property's status allows now: its label and its page's URL."""
    return [
        (WORKFLOW_FORMS[action][0], _workflow_url(property, action))
        for action in actions_allowed(user=request_user(request), property=property)
        if action in WORKFLOW_FORMS
    ]


def workflow_view(
    model_admin: admin.ModelAdmin[Property], request: HttpRequest, object_id: str, action: str
) -> HttpResponse:
    """One workflow action's form. A valid POST calls the workflow service: on success the
    status has changed and an audit row is written; on refusal nothing changes and the
    service's reason is shown (with the form again when the input was at fault)."""
    property = model_admin.get_object(request, object_id)
    if property is None:
        raise Http404("No such property.")
    if not model_admin.has_change_permission(request, property):
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
            model_admin.message_user(request, error.detail, messages.ERROR)
            if not isinstance(error, InvalidInputError):
                return HttpResponseRedirect(change_url)
        else:
            model_admin.message_user(
                request, f"{label}: done; {changed} is now {changed.get_status_display()}."
            )
            return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"{label}: {property}",
        "action_label": label,
        "opts": model_admin.opts,
        "original": property,
        "form": form,
        "media": model_admin.media + form.media,
        "change_url": change_url,
    }
    return TemplateResponse(request, "admin/properties/property/workflow_action.html", context)


@admin.action(description="Assign to an agent", permissions=["change"])
def assign_to_agent(
    model_admin: admin.ModelAdmin[Property], request: HttpRequest, queryset: QuerySet[Property]
) -> TemplateResponse | None:
    """Asks for the agent on an intermediate page, then assigns each selected property
    through the workflow service, one by one: each either moves to ASSIGNED with its audit
    row or is left as it was, and the reviewer is told which and why."""
    return ask_then_apply(
        model_admin,
        request,
        queryset,
        form_class=AssignForm,
        apply=lambda form: _assign_each(model_admin, request, queryset, form),
        title="Assign to an agent",
        template="admin/properties/property/assign_to_agent.html",
    )


def _assign_each(
    model_admin: admin.ModelAdmin[Property],
    request: HttpRequest,
    queryset: QuerySet[Property],
    form: AssignForm,
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
            model_admin.message_user(request, f"{property}: {error.detail}", messages.ERROR)
        else:
            assigned += 1
    if assigned:
        agent = form.cleaned_data["agent"]
        model_admin.message_user(request, f"Assigned {_count(assigned)} to {agent}.")


def _workflow_url(property: Property, action: Action) -> str:
    return reverse("admin:properties_property_workflow", args=[property.pk, str(action)])


def _count(number: int) -> str:
    return f"{number} property" if number == 1 else f"{number} properties"
