from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from accounts.models import Role
from photos.selectors import QC_SUMMARY_KEYS
from properties.models import Property, PropertyType, Status, StatusChange
from properties.selectors import actions_allowed


def _positive_amount_schema(whole_digits: int, example: str) -> dict[str, Any]:
    """A positive decimal string with at most two decimals. drf-spectacular's own pattern for a
    DecimalField also matches "", "." and negative numbers, which the field refuses."""
    pattern = rf"^(?:[1-9]\d{{0,{whole_digits - 1}}}(?:\.\d{{1,2}})?|0?\.(?:0[1-9]|[1-9]\d?))$"
    return {"type": "string", "format": "decimal", "pattern": pattern, "example": example}


@extend_schema_field(_positive_amount_schema(8, "1150.50"))
class AreaField(serializers.DecimalField):
    """Square feet: more than 0, up to 99,999,999.99."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=10, decimal_places=2, min_value=Decimal("0.01"), **kwargs)


@extend_schema_field(_positive_amount_schema(12, "8500000.00"))
class ValuationField(serializers.DecimalField):
    """Rupees: more than 0, up to 999,999,999,999.99."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), **kwargs)


class PropertyInputSerializer(serializers.Serializer[dict[str, Any]]):
    property_type = serializers.ChoiceField(choices=PropertyType.choices)
    address = serializers.CharField(max_length=300)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    area_sqft = AreaField()
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, allow_null=True
    )


class PropertyOutputSerializer(serializers.ModelSerializer[Property]):
    """Needs ``qc_summaries`` (by property id) and ``request`` in its context."""

    qc_summary = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Property
        fields = (
            "id",
            "owner",
            "property_type",
            "address",
            "city",
            "postal_code",
            "area_sqft",
            "latitude",
            "longitude",
            "status",
            "assigned_agent",
            "due_date",
            "valuation_amount",
            "valuation_notes",
            "revision_count",
            "qc_summary",
            "allowed_actions",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(
        inline_serializer(
            name="QcSummary",
            fields={key: serializers.IntegerField() for key in QC_SUMMARY_KEYS},
        )
    )
    def get_qc_summary(self, property: Property) -> dict[str, int]:
        return dict(self.context["qc_summaries"][property.pk])

    def get_allowed_actions(self, property: Property) -> list[str]:
        user = self.context["request"].user
        return [str(action) for action in actions_allowed(user=user, property=property)]

    def to_representation(self, instance: Property) -> dict[str, Any]:
        data = super().to_representation(instance)
        # A client learns the valuation only once it is issued.
        if self.context["request"].user.role == Role.CLIENT and instance.status != Status.VALUED:
            data["valuation_amount"] = None
            data["valuation_notes"] = ""
        return data


class StatusChangeOutputSerializer(serializers.ModelSerializer[StatusChange]):
    class Meta:
        model = StatusChange
        fields = ("from_status", "to_status", "actor", "actor_role", "reason", "created_at")
        read_only_fields = fields


class ReasonInputSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=2000)


class AssignInputSerializer(serializers.Serializer[dict[str, Any]]):
    agent = serializers.UUIDField()
    due_date = serializers.DateField(required=False, allow_null=True)


class ApproveInputSerializer(serializers.Serializer[dict[str, Any]]):
    valuation_amount = ValuationField()
    valuation_notes = serializers.CharField(
        max_length=5000, allow_blank=True, required=False, default=""
    )


class EmptyInputSerializer(serializers.Serializer[dict[str, Any]]):
    pass


class TurnaroundOutputSerializer(serializers.Serializer[Any]):
    p50 = serializers.FloatField(allow_null=True, help_text="The median, in hours.")
    p90 = serializers.FloatField(allow_null=True, help_text="The 90th percentile, in hours.")
    n = serializers.IntegerField(help_text="How many valuations.")


class StatsOutputSerializer(serializers.Serializer[Any]):
    """The figures of properties.stats.Stats, in the spec's shape."""

    properties_by_status = inline_serializer(
        name="PropertiesByStatus",
        fields={status: serializers.IntegerField() for status in Status.values},
    )
    overdue = serializers.IntegerField(help_text="Open properties past their due date.")
    turnaround_hours = TurnaroundOutputSerializer(
        help_text="First submission to valuation, for the valuations of the last 12 weeks."
    )
    qc_by_agent = inline_serializer(
        name="AgentQcOutput",
        fields={
            "agent": serializers.UUIDField(),
            "name": serializers.CharField(),
            "photos": serializers.IntegerField(),
            "pass": serializers.IntegerField(source="passed"),
            "warn": serializers.IntegerField(source="warned"),
            "fail": serializers.IntegerField(source="failed"),
            "error": serializers.IntegerField(source="unreadable"),
        },
        many=True,
        help_text="The QC verdicts of each agent's photos of the last 30 days.",
    )
    photos_per_day = inline_serializer(
        name="PhotosOfADay",
        fields={"date": serializers.DateField(), "n": serializers.IntegerField()},
        many=True,
        help_text="Photos uploaded on each of the last 30 days (India's days), oldest first.",
    )
