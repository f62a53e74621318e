from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from outbox.api.serializers import (
    WebhookDeliveryOutputSerializer,
    WebhookInputSerializer,
    WebhookOutputSerializer,
    WebhookSecretOutputSerializer,
    WebhookUpdateInputSerializer,
    WebhookWithSecretOutputSerializer,
)
from outbox.models import WebhookDelivery, WebhookEndpoint
from outbox.selectors import event_message, events_after, webhook_get_for, webhooks_of
from outbox.services import (
    webhook_create,
    webhook_delete,
    webhook_redeliver,
    webhook_rotate_secret,
    webhook_update,
)
from propflow.errors import ErrorCode, GoneError, InvalidInputError
from propflow.openapi import error_responses
from propflow.pagination import CursorPage
from propflow.realtime.replay import EventsGone, MalformedEventId
from propflow.routers import UUID_PATTERN


class EventOutputSerializer(serializers.Serializer[dict[str, Any]]):
    """An event as the socket sends it: ``id``, ``type`` and the type's own fields."""

    id = serializers.CharField(help_text="Sorts in commit order; pass it back as `after`.")
    type = serializers.CharField()


class EventPageOutputSerializer(serializers.Serializer[dict[str, Any]]):
    results = EventOutputSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class EventListView(APIView):
    """``GET /api/v1/events/?after=<id>``: the events the user may hear after that one (from
    the oldest kept without one), oldest first; ``next`` continues after the last."""

    @extend_schema(
        operation_id="events_list",
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR, description="An event id."),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={
            200: OpenApiResponse(EventPageOutputSerializer),
            **error_responses(400, 401, 410),
        },
    )
    def get(self, request: Request) -> Response:
        page_size = CursorPage().get_page_size(request)
        after = request.query_params.get("after")
        user = _owner(request)
        try:
            events = events_after(user, after=after, limit=page_size + 1)
        except MalformedEventId as error:
            raise InvalidInputError(
                "Pass an event id as after.", code=ErrorCode.INVALID_EVENT_ID, field="after"
            ) from error
        except EventsGone as error:
            raise GoneError(
                "That event is older than the log keeps: reload, then list without after.",
                code=ErrorCode.EVENTS_GONE,
            ) from error
        results = [event_message(event, staff=user.is_staff) for event in events[:page_size]]
        next_url = None
        if len(events) > page_size:
            next_url = replace_query_param(request.build_absolute_uri(), "after", results[-1]["id"])
        return Response({"results": results, "next": next_url, "previous": None})


class WebhookPage(CursorPage):
    ordering = "-created_at"


def _owner(request: Request) -> Any:
    return request.user


@extend_schema_view(
    list=extend_schema(
        summary="Your webhook endpoints (without their secrets)",
        responses={200: WebhookOutputSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(responses={200: WebhookOutputSerializer, **error_responses(401, 404)}),
    destroy=extend_schema(responses={204: None, **error_responses(401, 404)}),
)
class WebhookViewSet(viewsets.GenericViewSet[WebhookEndpoint]):
    """A client's (its properties' events) or staff's (every event) webhook endpoints."""

    lookup_value_regex = UUID_PATTERN
    serializer_class = WebhookOutputSerializer
    queryset = WebhookEndpoint.objects.none()  # for the schema; requests use the selectors
    pagination_class = WebhookPage
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(webhooks_of(_owner(request)))
        return self.get_paginated_response(WebhookOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Register an endpoint; its secret is shown only in this answer",
        request=WebhookInputSerializer,
        responses={201: WebhookWithSecretOutputSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        body = WebhookInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint, secret = webhook_create(
            owner=_owner(request),
            url=body.validated_data["url"],
            event_types=body.validated_data.get("event_types", []),
            description=body.validated_data.get("description", ""),
        )
        output = WebhookWithSecretOutputSerializer(endpoint, context={"secret": secret})
        return Response(output.data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(WebhookOutputSerializer(webhook_get_for(_owner(request), pk)).data)

    @extend_schema(
        request=WebhookUpdateInputSerializer,
        responses={200: WebhookOutputSerializer, **error_responses(400, 401, 404)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        body = WebhookUpdateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = webhook_update(actor=_owner(request), endpoint_id=pk, **body.validated_data)
        return Response(WebhookOutputSerializer(endpoint).data)

    def destroy(self, request: Request, pk: str) -> Response:
        webhook_delete(actor=_owner(request), endpoint_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A new secret (shown once); the old one keeps signing beside it for 24 h",
        request=None,
        responses={200: WebhookSecretOutputSerializer, **error_responses(401, 404)},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        secret = webhook_rotate_secret(actor=_owner(request), endpoint_id=pk)
        return Response({"secret": secret})

    @extend_schema(
        responses={
            200: WebhookDeliveryOutputSerializer(many=True),
            **error_responses(400, 401, 404),
        }
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        endpoint = webhook_get_for(_owner(request), pk)
        deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
        paginator = WebhookPage()
        page = paginator.paginate_queryset(deliveries, request, view=self)
        output = WebhookDeliveryOutputSerializer(page, many=True)
        return paginator.get_paginated_response(output.data)

    @extend_schema(
        summary="Queue a delivery again",
        request=None,
        responses={200: WebhookDeliveryOutputSerializer, **error_responses(401, 404)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"deliveries/(?P<delivery_id>{UUID_PATTERN})/redeliver",
    )
    def redeliver(self, request: Request, pk: str, delivery_id: str) -> Response:
        delivery = webhook_redeliver(actor=_owner(request), endpoint_id=pk, delivery_id=delivery_id)
        return Response(WebhookDeliveryOutputSerializer(delivery).data)
