"""Staff's view of every webhook endpoint and delivery. Read-only: endpoints are their owners'
(the API), and a delivery is a record of what was sent. No secret is ever shown."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from outbox.models import WebhookDelivery, WebhookEndpoint, event_public_id


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "owner", "is_active", "event_types", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description", "owner__phone")
    list_select_related = ("owner",)
    fields = (
        "url",
        "owner",
        "event_types",
        "description",
        "is_active",
        "disabled_reason",
        "created_at",
        "updated_at",
    )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "event_id_shown",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("endpoint", "event")
    fields = (
        "endpoint",
        "event_id_shown",
        "event_type",
        "status",
        "attempts",
        "response_status",
        "last_error",
        "first_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )

    @admin.display(description="event")
    def event_id_shown(self, delivery: WebhookDelivery) -> str:
        return event_public_id(delivery.event_id)

    @admin.display(description="type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type
