import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from photos.models import Photo, QcStatus
from properties.models import Property, PropertyType, Status


class PropertyFilter(django_filters.FilterSet):  # type: ignore[misc]  # untyped library
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    property_type = django_filters.MultipleChoiceFilter(choices=PropertyType.choices)
    city = django_filters.CharFilter(lookup_expr="iexact")
    agent = django_filters.UUIDFilter(field_name="assigned_agent")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    qc_status = django_filters.ChoiceFilter(
        choices=QcStatus.choices, method="filter_qc_status", label="Has a photo in this QC state"
    )

    class Meta:
        model = Property
        fields = ("status", "property_type", "city", "agent", "created_after", "created_before")

    def filter_qc_status(
        self, queryset: QuerySet[Property], name: str, value: str
    ) -> QuerySet[Property]:
        return queryset.filter(
            Exists(Photo.objects.filter(property=OuterRef("pk"), qc_status=value))
        )
