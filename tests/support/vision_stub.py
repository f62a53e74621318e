"""A stand-in for Cloud Vision's ``images:annotate``: a real HTTP server on 127.0.0.1, in a thread
of the test, speaking the API's JSON. Google is the only thing the content tests replace.

It answers each request with the next reply the test queued (labels, an error, a slow answer,
a broken body), or with no labels once the queue is empty, and keeps every request it got,
image decoded. A request without the stub's key gets the 403 PERMISSION_DENIED Google gives a
key that may not call the API.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

API_KEY = "stub-vision-key"
ANNOTATE_PATH = "/v1/images:annotate"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b'{"responses": [{}]}'
    delay_seconds: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()
    # The pause after each byte of the answer (status line, headers and body), when dribbled.
    dribble_seconds: float = 0.0


def labels_reply(*labels: tuple[str, float]) -> Reply:
    """Vision's answer with these (description, score) labels, as its JSON writes them."""
    annotations = [
        {"mid": f"/m/0{index:05d}", "description": description, "score": score, "topicality": score}
        for index, (description, score) in enumerate(labels)
    ]
    return Reply(body=json.dumps({"responses": [{"labelAnnotations": annotations}]}).encode())


def error_reply(status: int, google_status: str, message: str, **headers: str) -> Reply:
    """A Google API error: its HTTP status, and the body Google's APIs give with it."""
    body = {"error": {"code": status, "message": message, "status": google_status}}
    return Reply(
        status=status,
        body=json.dumps(body).encode(),
        headers=tuple((name.replace("_", "-"), value) for name, value in headers.items()),
    )


@dataclass(frozen=True)
class Received:
    """A request as the stub got it."""

    path: str
    api_key: str | None
    content_type: str | None
    body_bytes: int
    features: list[dict[str, Any]]
    image: bytes

    def image_has_exif(self) -> bool:
        """Whether the image sent carries EXIF: an APP1 Exif segment, or tags Pillow reads."""
        with Image.open(io.BytesIO(self.image)) as picture:
            return b"Exif\x00\x00" in self.image or bool(picture.getexif())


class VisionStub:
    def __init__(self, url: str) -> None:
        self.url = url  # what GOOGLE_VISION_API_URL is set to
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        # Set when the test ends: a slow reply stops waiting.
        self.released = threading.Event()

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        document = json.loads(handler.rfile.read(length))
        request = document["requests"][0]
        api_key = handler.headers.get("X-Goog-Api-Key")
        self.received.append(
            Received(
                path=handler.path,
                api_key=api_key,
                content_type=handler.headers.get("Content-Type"),
                body_bytes=length,
                features=request["features"],
                image=base64.b64decode(request["image"]["content"], validate=True),
            )
        )
        if handler.path != ANNOTATE_PATH:
            reply = error_reply(404, "NOT_FOUND", f"{handler.path} is not a Vision method")
        elif api_key != API_KEY:
            reply = error_reply(
                403,
                "PERMISSION_DENIED",
                "Cloud Vision API has not been used in project 123456789 before or it is disabled.",
            )
        else:
            reply = self.replies.popleft() if self.replies else Reply()
        send_reply(handler, reply, self.released, content_type="application/json; charset=UTF-8")


def send_reply(
    handler: BaseHTTPRequestHandler,
    reply: Reply,
    released: threading.Event,
    *,
    content_type: str | None = None,
) -> bool:
    """Answers the request with the reply, after its delay (cut short once ``released``), a
    byte at a time if dribbled; whether all of it was written (not when the client hung up)."""
    if reply.delay_seconds:
        released.wait(reply.delay_seconds)
    output = handler.wfile
    if reply.dribble_seconds:
        handler.wfile = _Dribble(output, reply.dribble_seconds, released)  # type: ignore[assignment]
    try:
        handler.send_response(reply.status)
        if content_type is not None:
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(reply.body)
    except ConnectionError:
        return False  # the client gave up waiting: what a timeout test wants
    finally:
        handler.wfile = output
    return True


class _Dribble:
    """Writes a byte at a time, pausing after each (no pause once ``released``)."""

    def __init__(self, output: Any, seconds: float, released: threading.Event) -> None:
        self._output = output
        self._seconds = seconds
        self._released = released

    def write(self, data: bytes) -> int:
        for index in range(len(data)):
            self._output.write(data[index : index + 1])
            self._released.wait(self._seconds)
        return len(data)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.stub.answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test's output is the assertions'


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stub = VisionStub(f"http://127.0.0.1:{self.server_address[1]}/v1")


@contextmanager
def vision_stub() -> Iterator[VisionStub]:
    """A stub Cloud Vision, serving until the block ends."""
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, name="vision-stub", daemon=True)
    thread.start()
    try:
        yield server.stub
    finally:
        server.stub.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
