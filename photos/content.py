"""What a photo shows, asked of a pluggable backend, for the optional `content` check.

The backend is chosen by ``PHOTO_CONTENT_BACKEND`` the way SMS backends are (propflow.sms): empty
for none (the check is absent and nothing leaves the server: the embedded default),
``google_vision`` for Cloud Vision's label detection, ``locmem`` (tests) answering
:data:`locmem_labels` and keeping what it was given in :data:`locmem_images`. A backend is given
the preview (at most 1024 px, without the original's metadata), never the original. Whatever
goes wrong with it makes the check a warning: a model's opinion never fails a photo, nor puts
its QC in ERROR or back in the queue.
"""

import base64
import json
import logging
import re
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from email.message import Message
from http.client import HTTPException
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from photos.models import Category
from photos.qc import CheckResult, ContentLabel, check_content

logger = logging.getLogger(__name__)

_ERROR_STATUS = re.compile(r"[A-Z_]{1,40}")


class ContentBackendError(Exception):
    """The backend gave no usable answer; the message says why, in words fit for the check's
    detail (which the client reads too)."""


class ContentBackend(Protocol):
    def labels(self, image: bytes) -> list[ContentLabel]: ...


locmem_labels: list[ContentLabel] = []
locmem_images: list[bytes] = []


class LocmemBackend:
    def labels(self, image: bytes) -> list[ContentLabel]:
        locmem_images.append(image)
        return list(locmem_labels)


class GoogleVisionBackend:
    """Cloud Vision's ``images:annotate`` with LABEL_DETECTION, authenticated by an API key sent
    in a header (never in the URL, which proxies log).

    One deadline bounds the whole call, retries included. Only a 429 or a 5xx is retried, after
    a pause that doubles (longer if the answer's Retry-After asks for it) and only when the pause
    ends before the deadline.
    """

    max_labels = 20
    max_attempts = 3
    first_pause_seconds = 0.5
    max_answer_bytes = 1024 * 1024
    description_max_length = 100

    def __init__(self, api_url: str, api_key: str, timeout_seconds: float) -> None:
        self.endpoint = f"{api_url.rstrip('/')}/images:annotate"
        self.api_key = api_key
        self.timeout_seconds = timeout_seconds

    def labels(self, image: bytes) -> list[ContentLabel]:
        body = json.dumps(
            {
                "requests": [
                    {
                        "image": {"content": base64.b64encode(image).decode("ascii")},
                        "features": [{"type": "LABEL_DETECTION", "maxResults": self.max_labels}],
                    }
                ]
            }
        ).encode()
        deadline = time.monotonic() + self.timeout_seconds
        attempt = 1
        while True:
            status, answer, retry_after = self._post(body, deadline)
            if status == 200:
                return self._labels_from(answer)
            pause = max(self.first_pause_seconds * 2 ** (attempt - 1), retry_after)
            if (
                not _retryable(status)
                or attempt == self.max_attempts
                or time.monotonic() + pause >= deadline
            ):
                raise ContentBackendError(_refusal(status, answer, attempt))
            time.sleep(pause)
            attempt += 1

    def _post(self, body: bytes, deadline: float) -> tuple[int, bytes, float]:
        """The answer's status, body and Retry-After seconds (0 without one)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ContentBackendError(self._timed_out())
        request = urllib.request.Request(  # noqa: S310 - the URL is a setting: Google's https URL
            self.endpoint,
            data=body,
            headers={"Content-Type": "application/json", "X-Goog-Api-Key": self.api_key},
            method="POST",
        )
        response: Any
        try:
            response = urllib.request.urlopen(request, timeout=remaining)  # noqa: S310
        except urllib.error.HTTPError as error:
            response = error  # an answer all the same, whose status says what went wrong
        except (OSError, HTTPException) as error:
            raise self._unreachable(error) from error
        try:
            with response:
                return (
                    response.status,
                    response.read(self.max_answer_bytes),
                    _retry_after(response.headers),
                )
        except (OSError, HTTPException) as error:
            raise self._unreachable(error) from error

    def _labels_from(self, answer: bytes) -> list[ContentLabel]:
        try:
            response = json.loads(answer)["responses"][0]
            error = response.get("error")
            # Without labelAnnotations, Vision recognised nothing.
            labels = [self._label(item) for item in response.get("labelAnnotations", [])]
        except (ValueError, LookupError, TypeError, AttributeError) as parse_error:
            raise ContentBackendError("Cloud Vision's answer could not be read") from parse_error
        if error:
            code = error.get("code") if isinstance(error, dict) else None
            shown = f" (code {code})" if type(code) is int else ""
            raise ContentBackendError(f"Cloud Vision could not label the picture{shown}")
        return labels

    def _label(self, annotation: dict[str, Any]) -> ContentLabel:
        description, score = annotation["description"], annotation["score"]
        if not isinstance(description, str) or isinstance(score, bool):
            raise TypeError(f"not a label: {annotation!r:.200}")
        if not isinstance(score, int | float) or not 0 <= score <= 1:
            raise ValueError(f"not a score from 0 to 1: {score!r:.50}")
        return ContentLabel(description.strip()[: self.description_max_length], float(score))

    def _timed_out(self) -> str:
        return f"Cloud Vision did not answer within {self.timeout_seconds:g} s"

    def _unreachable(self, error: Exception) -> ContentBackendError:
        if isinstance(error, TimeoutError) or isinstance(
            getattr(error, "reason", None), TimeoutError
        ):
            return ContentBackendError(self._timed_out())
        return ContentBackendError(f"Cloud Vision could not be reached ({type(error).__name__})")


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after(headers: Message) -> float:
    value = (headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else 0.0


def _refusal(status: int, answer: bytes, attempts: int) -> str:
    """Why Cloud Vision's answer is no answer; Google's own message goes to the log only, as it
    names the project."""
    try:
        error = json.loads(answer)["error"]
        message, error_status = str(error.get("message", "")), str(error.get("status", ""))
    except (ValueError, LookupError, TypeError, AttributeError):
        message, error_status = "", ""
    logger.warning(
        "Cloud Vision answered HTTP %s",
        status,
        extra={"vision_status": error_status, "vision_message": message[:500]},
    )
    if _retryable(status):
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        return f"Cloud Vision answered HTTP {status} ({tries})"
    named = f" {error_status}" if _ERROR_STATUS.fullmatch(error_status) else ""
    return f"Cloud Vision refused the request (HTTP {status}{named})"


def get_backend() -> ContentBackend | None:
    """The configured backend; None when there is none (the check is then not made)."""
    name = settings.PHOTO_CONTENT_BACKEND
    if not name:
        return None
    if name == "locmem":
        return LocmemBackend()
    if name == "google_vision":
        return GoogleVisionBackend(
            settings.GOOGLE_VISION_API_URL,
            settings.GOOGLE_VISION_API_KEY,
            settings.PHOTO_CONTENT_TIMEOUT_SECONDS,
        )
    raise ImproperlyConfigured(
        f"Unknown PHOTO_CONTENT_BACKEND {name!r}: empty, google_vision or locmem."
    )


@dataclass(frozen=True)
class ContentOutcome:
    """A photo's content check, the labels behind it (None when the backend gave no answer) and
    how long the backend took."""

    check: CheckResult
    labels: list[ContentLabel] | None
    milliseconds: int

    def labels_as_json(self) -> list[dict[str, Any]] | None:
        """The labels as a photo stores them (``content_labels``)."""
        return None if self.labels is None else [asdict(label) for label in self.labels]


def content_check(*, category: str, image: bytes) -> ContentOutcome | None:
    """The content check of a photo of this category from its preview's JPEG bytes, against the
    category's labels in PHOTO_CONTENT_EXPECTED_LABELS; None when no backend is configured.

    Side effects: one call to the backend, which may take up to PHOTO_CONTENT_TIMEOUT_SECONDS.
    Its failures are a warning, never an exception.
    """
    backend = get_backend()
    if backend is None:
        return None
    started = time.monotonic()
    labels: list[ContentLabel] | None
    try:
        labels = backend.labels(image)
    except ContentBackendError as error:
        logger.warning("content check not made: %s", error)
        labels = None
        check = CheckResult("content", "warn", f"not checked: {error}")
    else:
        check = check_content(
            Category(category).label,
            labels,
            settings.PHOTO_CONTENT_EXPECTED_LABELS.get(category, []),
            settings.PHOTO_CONTENT_MIN_SCORE,
        )
    return ContentOutcome(check, labels, round((time.monotonic() - started) * 1000))
