"""Request bodies over their limit are refused (413) before they are read.

Django, under ASGI, reads a whole request body (spooling it to a file) before any view or
upload handler runs, so a limit must sit in front of it: this ASGI middleware counts the bytes
of the ``http.request`` messages, refusing at once a declared Content-Length over the limit and
a body without one (chunked) as soon as it passes it. The limit of a path is the first match
in REQUEST_MAX_BODY_BYTES_BY_PATH (regular expressions), else REQUEST_MAX_BODY_BYTES.
"""

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings

# As Django's ASGIHandler types them.
Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MEGABYTE = 1024 * 1024


def body_limit(path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    for pattern, limit in settings.REQUEST_MAX_BODY_BYTES_BY_PATH.items():
        if re.match(pattern, path):
            return int(limit)
    return int(settings.REQUEST_MAX_BODY_BYTES)


class RequestBodyLimit:
    """Wraps an ASGI HTTP application (Django's, which answers only once it has read the whole
    body); other scopes pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # To the application the client has gone: it stops reading and answers
                    # nothing, and the refusal below is the answer.
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counting_receive, send)
        if received > limit:
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses such a request itself
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "detail": f"The request body is larger than the {limit / MEGABYTE:g} MB allowed here.",
            "code": "request_too_large",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection cannot serve another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
