"""The review queue's filters beyond the plain field ones; what they read comes from selectors."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.selectors import agents
from photos.selectors import (
    PropertyQcVerdict,
    properties_with_flagged_credentials,
    properties_with_qc_verdict,
)
from properties.selectors import property_cities


class CityFilter(admin.SimpleListFilter):
    title = "city"
    parameter_name = "city"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(city, city) for city in property_cities()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(city=self.value())
        return queryset


class AssignedAgentFilter(admin.SimpleListFilter):
    title = "assigned agent"
    parameter_name = "agent"
    UNASSIGNED = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(agent.pk), str(agent)) for agent in agents()] + [
            (self.UNASSIGNED, "Unassigned")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == self.UNASSIGNED:
            return queryset.filter(assigned_agent__isnull=True)
        if self.value():
            return queryset.filter(assigned_agent_id=self.value())
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    """On the ``is_overdue`` flag of the admin's queryset (properties_with_overdue_flag)."""

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


class QcVerdictFilter(admin.SimpleListFilter):
    """The properties by what their photos' QC found."""

    title = "QC verdict"
    parameter_name = "qc"
    LABELS = {
        PropertyQcVerdict.FAIL: "Has failing photos",
        PropertyQcVerdict.WARN: "Has warnings",
        PropertyQcVerdict.PASS: "All photos pass",
        PropertyQcVerdict.NONE: "No photos yet",
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(self.LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value not in self.LABELS:
            return queryset
        return properties_with_qc_verdict(queryset, PropertyQcVerdict(value))


class FlaggedCredentialsFilter(admin.SimpleListFilter):
    """The properties with a photo whose Content Credentials do not validate or declare AI."""

    title = "Content Credentials"
    parameter_name = "credentials"
    FLAGGED = "flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(self.FLAGGED, "Has invalid or AI credentials")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == self.FLAGGED:
            return properties_with_flagged_credentials(queryset)
        return queryset
