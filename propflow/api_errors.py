"""How the API answers errors: JSON ``{"detail", "code"}``, plus ``errors`` (messages per field)
for bad input, whatever raised them: a service's DomainError, DRF and simplejwt, or Django's own
400/403/404/500 handlers for paths under /api/.

``detail`` is the first message, ``code`` one of ``propflow.errors.ErrorCode``: the domain
error's own, the code of the framework's exception class, and for validation errors
``invalid`` unless the message ``detail`` shows declares one of ours (e.g. ``invalid_phone``).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken

from propflow.errors import DomainError, ErrorCode, RateLimitedError

# By exception class; a subclass takes the code of its nearest listed ancestor.
FRAMEWORK_CODES: dict[type[exceptions.APIException], ErrorCode] = {
    exceptions.APIException: ErrorCode.SERVER_ERROR,
    exceptions.ValidationError: ErrorCode.INVALID,
    exceptions.ParseError: ErrorCode.PARSE_ERROR,
    exceptions.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: ErrorCode.AUTHENTICATION_FAILED,
    InvalidToken: ErrorCode.TOKEN_NOT_VALID,
    exceptions.PermissionDenied: ErrorCode.PERMISSION_DENIED,
    exceptions.NotFound: ErrorCode.NOT_FOUND,
    exceptions.MethodNotAllowed: ErrorCode.METHOD_NOT_ALLOWED,
    exceptions.NotAcceptable: ErrorCode.NOT_ACCEPTABLE,
    exceptions.UnsupportedMediaType: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: ErrorCode.RATE_LIMITED,
}
_OUR_CODES = frozenset(ErrorCode)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped: a single ``detail`` string and a ``code``, field errors under
    ``errors``. Anything else than these errors is left to Django (a 500)."""
    if isinstance(exc, DomainError):
        return _domain_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)  # DRF answers nothing else
    if isinstance(exc, exceptions.ValidationError):
        errors = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        detail, first = _first_error(errors)
        declared = getattr(first, "code", None)
        code = ErrorCode(declared) if declared in _OUR_CODES else ErrorCode.INVALID
        errors = {field: _messages(value) for field, value in errors.items()}
        response.data = {"detail": detail, "code": code, "errors": errors}
    else:
        detail, _ = _first_error(response.data)
        response.data = {"detail": detail, "code": _framework_code(exc)}
    return response


def _domain_response(error: DomainError) -> Response:
    body: dict[str, Any] = {"detail": error.detail, "code": error.code, **error.extra}
    if error.field:
        body["errors"] = {error.field: [error.detail]}
    headers = None
    if isinstance(error, RateLimitedError):
        headers = {"Retry-After": str(error.retry_after)}
    return Response(body, status=error.status_code, headers=headers)


def _framework_code(exc: exceptions.APIException) -> ErrorCode:
    return next(FRAMEWORK_CODES[kind] for kind in type(exc).__mro__ if kind in FRAMEWORK_CODES)


def _first_error(data: Any) -> tuple[str, object]:
    """The first message in a DRF error structure as ``detail`` shows it (after the field it is
    about), and that message itself (an ErrorDetail, which carries its code)."""
    if isinstance(data, dict):
        for key, value in data.items():
            message, first = _first_error(value)
            if key in ("detail", "non_field_errors"):
                return message, first
            return f"{key}: {message}", first
        return "Invalid input.", None
    if isinstance(data, list):
        return _first_error(data[0]) if data else ("Invalid input.", None)
    return str(data), data


def _messages(data: Any) -> list[str]:
    """A field's messages as one flat list, as the schema promises: a list item's or a nested
    field's are prefixed with where they are (``0: Ensure this field has…``)."""
    if isinstance(data, dict):
        return [f"{key}: {message}" for key, value in data.items() for message in _messages(value)]
    if isinstance(data, list):
        return [message for item in data for message in _messages(item)]
    return [str(data)]


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(detail: str, code: ErrorCode, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json("Not found.", ErrorCode.NOT_FOUND, 404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json("Bad request.", ErrorCode.BAD_REQUEST, 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json("You may not do this.", ErrorCode.PERMISSION_DENIED, 403)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json("Internal server error.", ErrorCode.SERVER_ERROR, 500)
    return defaults.server_error(request)
