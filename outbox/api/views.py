from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from outbox.selectors import event_message, events_after
from propflow.errors import ErrorCode, GoneError, InvalidInputError
from propflow.openapi import error_responses
from propflow.pagination import CursorPage
from propflow.realtime.replay import EventsGone, MalformedEventId


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
        user: Any = request.user
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
