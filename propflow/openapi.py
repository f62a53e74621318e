"""Shared OpenAPI pieces: the error bodies every endpoint may answer with."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from propflow.errors import ErrorCode

_DESCRIPTIONS = {
    400: "Bad input",
    401: "No or bad token",
    403: "The role may not do this",
    404: "Not found, or not yours",
    409: "Wrong state",
    410: "Gone: older than the event log keeps (reload)",
    413: "Too large",
    415: "Not an accepted image",
    429: "Rate limited (see Retry-After)",
    503: "A dependency is unavailable",
}


def _code_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=[code.value for code in ErrorCode],
        help_text="Stable and machine-readable: what a client branches on (detail may change).",
    )


class ErrorOutputSerializer(serializers.Serializer[dict[str, Any]]):
    detail = serializers.CharField()
    code = _code_field()


# "errors" would shadow Serializer.errors as a declared field; this one only describes a body.
ValidationErrorOutputSerializer = inline_serializer(
    name="ValidationErrorOutput",
    fields={
        "detail": serializers.CharField(),
        "code": _code_field(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Messages per field (absent when the body itself could not be read).",
        ),
    },
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error status codes."""
    return {
        code: OpenApiResponse(
            response=ValidationErrorOutputSerializer if code == 400 else ErrorOutputSerializer,
            description=_DESCRIPTIONS[code],
        )
        for code in codes
    }


# Every 429 carries it (DRF's Throttled sets it from the limit's window).
RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    required=True,
    description="Seconds until the limit lets a request through again.",
    response=[429],
)
