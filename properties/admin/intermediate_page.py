"""A bulk action's intermediate page: it asks for what the action needs, then applies it.

Shared by the back office's bulk actions (the properties' assignment, the photos' reviews with
a reason). The page's template extends ``admin/intermediate_page.html`` and words it.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

# How many of the selected objects the page names.
SAMPLE_SIZE = 20

ActionForm = TypeVar("ActionForm", bound=forms.Form)


def ask_then_apply(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    form_class: type[ActionForm],
    apply: Callable[[ActionForm], None],
    title: str,
    template: str,
    **context: Any,
) -> TemplateResponse | None:
    """The page with the form, carrying the selection and the action on to its own POST; once
    that form is valid, ``apply`` is called with it and None returned (back to the list)."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        apply(form)
        return None
    count = queryset.count()
    sample = list(queryset[:SAMPLE_SIZE])
    page = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "form": form,
        "media": model_admin.media + form.media,
        "count": count,
        "sample": sample,
        "more": count - len(sample),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, template, {**page, **context})
