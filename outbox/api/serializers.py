from typing import Any

from rest_framework import serializers

from outbox.models import (
    EVENT_TYPES,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    event_public_id,
)


class WebhookInputSerializer(serializers.Serializer[dict[str, Any]]):
    url = serializers.CharField(max_length=2000)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=len(EVENT_TYPES), required=False
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class WebhookUpdateInputSerializer(WebhookInputSerializer):
    url = serializers.CharField(max_length=2000, required=False)
    is_active = serializers.BooleanField(required=False)


class WebhookOutputSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    class Meta:
        model = WebhookEndpoint
        fields: tuple[str, ...] = (
            "id",
            "url",
            "event_types",
            "description",
            "is_active",
            "created_at",
        )
        read_only_fields: tuple[str, ...] = fields


class WebhookWithSecretOutputSerializer(WebhookOutputSerializer):
    secret = serializers.SerializerMethodField(help_text="Shown only in this answer.")

    class Meta(WebhookOutputSerializer.Meta):
        fields = (*WebhookOutputSerializer.Meta.fields, "secret")
        read_only_fields = fields

    def get_secret(self, endpoint: WebhookEndpoint) -> str:
        return str(self.context["secret"])


class WebhookSecretOutputSerializer(serializers.Serializer[dict[str, Any]]):
    secret = serializers.CharField(help_text="Shown only in this answer.")


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer[WebhookDelivery]):
    event_id = serializers.SerializerMethodField()
    event_type = serializers.CharField(source="event.type", read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        )
        read_only_fields = fields

    def get_event_id(self, delivery: WebhookDelivery) -> str:
        return event_public_id(delivery.event_id)
