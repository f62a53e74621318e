"""The review queue's filters beyond the plain field ones; what they read comes from selectors."""

from typing import Any
from uuid import UUID

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.selectors import agents
from photos.selectors import (
    PropertyQcVerdict,
    properties_with_flagged_credentials,
    properties_with_qc_verdict,
    properties_with_unrecognised_photo,
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
        value = self.value()
        if value == self.UNASSIGNED:
            return queryset.filter(assigned_agent__isnull=True)
        if not value:
            return queryset
        try:
            agent_id = UUID(value)
        except ValueError:
            # No agent has an id that is not one (a hand-edited URL).
            return queryset.none()
        return queryset.filter(assigned_agent_id=agent_id)


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


class _OneChoiceFilter(admin.SimpleListFilter):
    """A filter of one choice, which narrows the list to the properties it names."""

    choice: str
    choice_label: str

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(self.choice, self.choice_label)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return self.narrowed(queryset) if self.value() == self.choice else queryset

    def narrowed(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        raise NotImplementedError


class PhotoContentFilter(_OneChoiceFilter):
    """The properties with a photo in which the content backend saw nothing of its category: the
    living room uploaded as the kitchen too."""

    title = "photo content"
    parameter_name = "content"
    choice = "unrecognised"
    choice_label = "Category not recognised"

    def narrowed(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return properties_with_unrecognised_photo(queryset)


class FlaggedCredentialsFilter(_OneChoiceFilter):
    """The properties with a photo whose Content Credentials do not validate or declare AI."""

    title = "Content Credentials"
    parameter_name = "credentials"
    choice = "flagged"
    choice_label = "Has invalid or AI credentials"

    def narrowed(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return properties_with_flagged_credentials(queryset)
