from collections.abc import Sequence
from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField
from rest_framework import filters
from rest_framework.request import Request
from rest_framework.views import APIView

from photos.models import QcStatus
from photos.selectors import properties_with_photo_in
from properties.models import Property, PropertyType, Status
from propflow.utc import as_utc


class UtcIsoDateTimeField(IsoDateTimeField):  # type: ignore[misc]  # untyped library
    """An ISO 8601 instant, as UTC (``created_after=2025-01-01T00:00:00-19:30`` too)."""

    def clean(self, value: Any) -> datetime | None:
        cleaned: datetime | None = super().clean(value)
        if cleaned is None:
            return None
        utc = as_utc(cleaned)
        if utc is None:
            raise forms.ValidationError("Enter a date and time from year 1 to 9999 in UTC.")
        return utc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = UtcIsoDateTimeField


class PropertyFilter(django_filters.FilterSet):  # type: ignore[misc]  # untyped library
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    property_type = django_filters.MultipleChoiceFilter(choices=PropertyType.choices)
    city = django_filters.CharFilter(lookup_expr="iexact")
    agent = django_filters.UUIDFilter(field_name="assigned_agent")
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    qc_status = django_filters.ChoiceFilter(
        choices=QcStatus.choices, method="filter_qc_status", label="Has a photo in this QC state"
    )

    class Meta:
        model = Property
        fields = ("status", "property_type", "city", "agent", "created_after", "created_before")

    def filter_qc_status(
        self, queryset: QuerySet[Property], name: str, value: str
    ) -> QuerySet[Property]:
        return properties_with_photo_in(queryset, value)


class StableOrderingFilter(filters.OrderingFilter):
    """``?ordering=``, always ended by a unique key.

    Cursor pages resume after the first ordering field's value and skip the tied rows already
    shown; that holds only if tied rows come back in the same order on every query.
    """

    tiebreakers = ("-created_at", "-id")

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> Sequence[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        named = {term.lstrip("-") for term in ordering}
        return [*ordering, *(term for term in self.tiebreakers if term.lstrip("-") not in named)]
