from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.api.permissions import IsStaff
from accounts.selectors import request_user
from photos.selectors import qc_summaries
from properties import services
from properties.api.filters import PropertyFilter, StableOrderingFilter
from properties.api.serializers import (
    ApproveInputSerializer,
    AssignInputSerializer,
    EmptyInputSerializer,
    PropertyInputSerializer,
    PropertyOutputSerializer,
    ReasonInputSerializer,
    StatsOutputSerializer,
    StatusChangeOutputSerializer,
)
from properties.models import Property
from properties.reports import property_report
from properties.selectors import properties_visible_to, property_get_for, property_history
from properties.stats import stats_current
from properties.workflow import Action
from propflow.negotiation import AnyAccept
from propflow.openapi import error_responses
from propflow.pagination import CursorPage
from propflow.routers import UUID_PATTERN

ViewMethod = TypeVar("ViewMethod", bound=Callable[..., Response])


class HistoryPage(CursorPage):
    ordering = "created_at"

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        # Its own order, whatever ?ordering= says: that names fields of the property list.
        return (self.ordering, "id")


def _action_schema(
    input_serializer: type[serializers.Serializer[Any]], summary: str
) -> Callable[[ViewMethod], ViewMethod]:
    return extend_schema(
        request=input_serializer,
        responses={200: PropertyOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
        summary=summary,
    )


class PropertyViewSet(viewsets.GenericViewSet[Property]):
    """Properties: a client's own, an agent's assignments, all for staff."""

    pagination_class = CursorPage
    filter_backends = (DjangoFilterBackend, filters.SearchFilter, StableOrderingFilter)
    filterset_class = PropertyFilter
    search_fields = ("address", "city")
    # Not due_date: it is empty until an agent is assigned, and a cursor cannot resume after or
    # before an empty value (those properties were left off the pages).
    # Timestamps only: a cursor resumes after the first ordering field's value, and over a
    # field with many ties (city, status) DRF's offset within the tie skips rows going back.
    ordering_fields = ("created_at", "updated_at")
    ordering = ("-created_at", "-id")
    lookup_value_regex = UUID_PATTERN
    serializer_class = PropertyOutputSerializer
    queryset = Property.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self) -> Any:
        return properties_visible_to(request_user(self.request))

    def _output(self, properties: Property | Sequence[Property]) -> Any:
        many = not isinstance(properties, Property)
        items = properties if isinstance(properties, Sequence) else [properties]
        context = {
            "request": self.request,
            "qc_summaries": qc_summaries(item.pk for item in items),
        }
        return PropertyOutputSerializer(properties, many=many, context=context).data

    @extend_schema(
        responses={200: PropertyOutputSerializer(many=True), **error_responses(400, 401)}
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        return self.get_paginated_response(self._output(page))

    @extend_schema(
        request=PropertyInputSerializer,
        responses={201: PropertyOutputSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        body = PropertyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        property = services.property_create(owner=request_user(request), fields=body.validated_data)
        return Response(self._output(property), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: PropertyOutputSerializer, **error_responses(401, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._output(property_get_for(user=request_user(request), property_id=pk)))

    @extend_schema(
        request=PropertyInputSerializer(partial=True),
        responses={200: PropertyOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        body = PropertyInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        property = services.property_update(
            actor=request_user(request), property_id=pk, fields=body.validated_data
        )
        return Response(self._output(property))

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted"),
            **error_responses(401, 403, 404, 409),
        }
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.property_delete(actor=request_user(request), property_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={
            200: StatusChangeOutputSerializer(many=True),
            **error_responses(400, 401, 404),
        }
    )
    # Paged by its own cursor (page_size and cursor, hence 400s); not filtered by the list's
    # filters, which name fields of properties.
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=HistoryPage)
    def history(self, request: Request, pk: str) -> Response:
        property = property_get_for(user=request_user(request), property_id=pk)
        paginator = HistoryPage()
        page = paginator.paginate_queryset(property_history(property=property), request, view=self)
        assert page is not None
        return paginator.get_paginated_response(StatusChangeOutputSerializer(page, many=True).data)

    def _transition(self, request: Request, pk: str, action: Action, **details: Any) -> Response:
        property = services.property_transition(
            actor=request_user(request), property_id=pk, action=action, **details
        )
        return Response(self._output(property))

    def _body(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    @_action_schema(EmptyInputSerializer, "Submit a draft (owner)")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, Action.SUBMIT)

    @_action_schema(EmptyInputSerializer, "Cancel a draft or a submitted property (owner)")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, Action.CANCEL)

    @_action_schema(AssignInputSerializer, "Assign a field agent (staff)")
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        body = self._body(AssignInputSerializer)
        return self._transition(
            request, pk, Action.ASSIGN, agent_id=body.get("agent"), due_date=body.get("due_date")
        )

    @_action_schema(EmptyInputSerializer, "Accept an assignment (assigned agent)")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, Action.ACCEPT)

    @_action_schema(ReasonInputSerializer, "Decline an assignment (assigned agent, reason)")
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, Action.DECLINE, **self._body(ReasonInputSerializer))

    @_action_schema(EmptyInputSerializer, "Mark the inspection complete (assigned agent)")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, Action.COMPLETE)

    @_action_schema(ReasonInputSerializer, "Send the inspection back to the agent (staff, reason)")
    @action(detail=True, methods=["post"], url_path="request-revision")
    def request_revision(self, request: Request, pk: str) -> Response:
        return self._transition(
            request, pk, Action.REQUEST_REVISION, **self._body(ReasonInputSerializer)
        )

    @_action_schema(ApproveInputSerializer, "Approve with a valuation (staff)")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, Action.APPROVE, **self._body(ApproveInputSerializer))

    @_action_schema(ReasonInputSerializer, "Reject (staff, reason)")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, Action.REJECT, **self._body(ReasonInputSerializer))

    @extend_schema(
        operation_id="properties_report",
        summary="The valuation report (PDF): for the owner once valued, for staff from review on",
        description="Staff get it from IN_REVIEW on, marked DRAFT until the property is valued "
        "(a draft is made for each request). A valued property's report is made once, on "
        "approval, and kept; its agent gets 403, whoever may not see the property 404, and a "
        "property not yet at that status 409 (report_not_ready).",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The report"
            ),
            **error_responses(401, 403, 404, 409, 503),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=AnyAccept,
        # The admin's property page links here: its session is accepted too.
        authentication_classes=(JWTAuthentication, SessionAuthentication),
    )
    def report(self, request: Request, pk: str) -> HttpResponse:
        report = property_report(user=request_user(request), property_id=pk)
        response = HttpResponse(report.content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{report.filename}"'
        # Only the user's own browser may keep the valued one (another user may not read it);
        # a draft changes as the review goes on.
        response["Cache-Control"] = "private, no-store" if report.draft else "private, max-age=300"
        return response


@extend_schema_view(
    get=extend_schema(
        summary="The back office's figures at a glance (staff)",
        responses={200: StatsOutputSerializer, **error_responses(401, 403)},
    )
)
class StatsView(APIView):
    """Counted in four aggregate queries and cached until a property, a photo or a review
    changes (properties.stats)."""

    permission_classes = (IsAuthenticated, IsStaff)

    def get(self, request: Request) -> Response:
        return Response(StatsOutputSerializer(stats_current()).data)
