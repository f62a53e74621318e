"""Domain errors: a service's refusal, with a stable machine-readable code.

Services raise them (and never import DRF); the API answers them as JSON through
``propflow.api_errors``, and the admin shows their ``detail``.

``ErrorCode`` lists every code an API error body may carry, the framework's own included, in one
place: clients branch on these strings, the OpenAPI schema enumerates them, and a test triggers
each one. Per-app enums would scatter that list, and ``propflow`` (which maps DRF's and
Django's errors, and imports no app) could not name them.
"""

from enum import StrEnum
from http import HTTPStatus
from typing import Any


class ErrorCode(StrEnum):
    # Raised by the framework: DRF, simplejwt, Django's own handlers under /api/.
    INVALID = "invalid"  # a request body or query parameter that fails validation
    PARSE_ERROR = "parse_error"  # a body that cannot be read (malformed or too deeply nested)
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    TOKEN_NOT_VALID = "token_not_valid"  # noqa: S105 - a code, not a password
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    REQUEST_TOO_LARGE = "request_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    BAD_REQUEST = "bad_request"
    SERVER_ERROR = "server_error"

    # accounts
    INVALID_PHONE = "invalid_phone"
    INVALID_CODE = "invalid_code"
    ACCOUNT_DISABLED = "account_disabled"
    SMS_UNAVAILABLE = "sms_unavailable"

    # properties
    CLIENT_ONLY = "client_only"
    OWNER_ONLY = "owner_only"
    NOT_DRAFT = "not_draft"
    FIELD_NOT_EDITABLE = "field_not_editable"
    ACTION_FORBIDDEN = "action_forbidden"
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    LOCATION_REQUIRED = "location_required"
    PHOTOS_MISSING = "photos_missing"
    VALUATION_REQUIRED = "valuation_required"
    AGENT_REQUIRED = "agent_required"
    UNKNOWN_AGENT = "unknown_agent"
    REPORT_FORBIDDEN = "report_forbidden"
    REPORT_NOT_READY = "report_not_ready"

    # photos
    STAFF_ONLY = "staff_only"
    PROPERTY_CLOSED = "property_closed"
    UPLOADS_CLOSED = "uploads_closed"
    UPLOADER_ONLY = "uploader_only"
    INVALID_CATEGORY = "invalid_category"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    FILE_REQUIRED = "file_required"
    PHOTO_TOO_LARGE = "photo_too_large"
    TOO_MANY_PIXELS = "too_many_pixels"
    DECODE_TOO_LARGE = "decode_too_large"  # would take more than PHOTO_MAX_DECODE_MB to decode
    UNSUPPORTED_IMAGE = "unsupported_image"
    UNREADABLE_IMAGE = "unreadable_image"
    STORAGE_UNAVAILABLE = "storage_unavailable"

    # outbox (the event log)
    INVALID_EVENT_ID = "invalid_event_id"
    EVENTS_GONE = "events_gone"  # an `after` older than the log's retention: reload
    WEBHOOKS_FORBIDDEN = "webhooks_forbidden"  # agents have no webhooks
    WEBHOOK_URL_REFUSED = "webhook_url_refused"  # not https, or not a public address
    UNKNOWN_EVENT_TYPE = "unknown_event_type"


class DomainError(Exception):
    """A refusal from a service: ``detail`` for people, ``code`` for programs, ``field`` when one
    input is at fault. Extra keywords (e.g. ``current_status``) go into the API's body as given.
    The API answers with ``status_code``."""

    status_code: int = HTTPStatus.BAD_REQUEST

    def __init__(
        self, detail: str, *, code: ErrorCode, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.field = field
        self.extra = extra


class InvalidInputError(DomainError):
    status_code = HTTPStatus.BAD_REQUEST


class ForbiddenError(DomainError):
    status_code = HTTPStatus.FORBIDDEN


class ConflictError(DomainError):
    status_code = HTTPStatus.CONFLICT


class GoneError(DomainError):
    status_code = HTTPStatus.GONE


class PayloadTooLargeError(DomainError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class UnsupportedImageError(DomainError):
    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class RateLimitedError(DomainError):
    """Over a rate limit; ``retry_after`` seconds until the limit lets a request through."""

    status_code = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests. Try again in {retry_after} seconds.", code=ErrorCode.RATE_LIMITED
        )
        self.retry_after = retry_after


class ServiceUnavailableError(DomainError):
    """A service PropFlow depends on (storage, the SMS provider) is down; worth a retry."""

    status_code = HTTPStatus.SERVICE_UNAVAILABLE
