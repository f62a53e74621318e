import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, filters, generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.api.permissions import IsStaff
from accounts.api.serializers import (
    LogoutInputSerializer,
    OtpRequestInputSerializer,
    OtpRequestOutputSerializer,
    OtpVerifyInputSerializer,
    TokenPairOutputSerializer,
    TokenRefreshOutputSerializer,
    UserOutputSerializer,
)
from accounts.models import Role, User
from accounts.selectors import request_user
from propflow.errors import ErrorCode, ServiceUnavailableError
from propflow.openapi import RETRY_AFTER_HEADER, error_responses
from propflow.pagination import CursorPage
from propflow.sms import SmsDeliveryError


def _client_ip(request: Request) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


class OtpRequestView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        request=OtpRequestInputSerializer,
        responses={202: OtpRequestOutputSerializer, **error_responses(400, 429, 503)},
        parameters=[RETRY_AFTER_HEADER],
        summary="Send a sign-in code by SMS",
    )
    def post(self, request: Request) -> Response:
        serializer = OtpRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            expires_in = services.otp_request(
                phone=serializer.validated_data["phone"], client_ip=_client_ip(request)
            )
        except SmsDeliveryError as error:
            raise ServiceUnavailableError(
                "The code could not be sent; try again shortly.", code=ErrorCode.SMS_UNAVAILABLE
            ) from error
        return Response(
            {
                "detail": "If the number can receive SMS, a code is on its way.",
                "expires_in": expires_in,
            },
            status=status.HTTP_202_ACCEPTED,
        )


class OtpVerifyView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        request=OtpVerifyInputSerializer,
        responses={200: TokenPairOutputSerializer, **error_responses(400, 403, 429)},
        parameters=[RETRY_AFTER_HEADER],
        summary="Exchange a sign-in code for tokens",
    )
    def post(self, request: Request) -> Response:
        serializer = OtpVerifyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.otp_verify(
            phone=serializer.validated_data["phone"],
            code=serializer.validated_data["code"],
            client_ip=_client_ip(request),
        )
        tokens = services.user_tokens(user=user)
        return Response(TokenPairOutputSerializer({**tokens, "user": user}).data)


TokenRefreshView = extend_schema_view(
    post=extend_schema(
        summary="Exchange a refresh token for a new pair (the old one is blacklisted)",
        responses={200: TokenRefreshOutputSerializer, **error_responses(400, 401)},
    )
)(jwt_views.TokenRefreshView)


class LogoutView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        request=LogoutInputSerializer,
        responses={204: OpenApiResponse(description="Signed out"), **error_responses(400)},
        summary="Sign out: blacklist the refresh token",
    )
    def post(self, request: Request) -> Response:
        serializer = LogoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            RefreshToken(serializer.validated_data["refresh"]).blacklist()
        except TokenError as error:
            raise exceptions.ValidationError(
                {"refresh": [str(error)]}, code=ErrorCode.TOKEN_NOT_VALID
            ) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(
        responses={200: UserOutputSerializer, **error_responses(401)}, summary="Who am I"
    )
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request_user(request)).data)


class UserFilter(django_filters.FilterSet):  # type: ignore[misc]  # untyped library
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = User
        fields = ("role",)


class UserPage(CursorPage):
    ordering = "phone"


@extend_schema_view(
    get=extend_schema(
        summary="List users (staff), e.g. ?role=agent",
        responses={200: UserOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
)
class UserListView(generics.ListAPIView[User]):
    permission_classes = (IsAuthenticated, IsStaff)
    serializer_class = UserOutputSerializer
    pagination_class = UserPage
    filter_backends = (DjangoFilterBackend, filters.SearchFilter)
    filterset_class = UserFilter
    search_fields = ("name", "phone")
    queryset = User.objects.filter(is_active=True)
