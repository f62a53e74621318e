"""A webhook receiver: a real HTTP server on 127.0.0.1, in a thread of the test, that keeps
every request and answers each with the next reply queued (``vision_stub.Reply``: a status,
headers, a delay), 204 once none is left. And a test resolver (``WEBHOOK_RESOLVER``): host
names answered from ``NAMES``, which a test fills, as DNS would."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.vision_stub import Reply, send_reply

# host name -> the addresses it resolves to, for ``resolve``.
NAMES: dict[str, list[str]] = {}


def resolve(host: str, port: int) -> list[str]:
    """The test's DNS: a name in NAMES, or an address literal as itself; else no such host."""
    if host in NAMES:
        return NAMES[host]
    if host.replace(".", "").isdigit() or ":" in host:
        return [host]
    raise OSError(f"{host}: no such host in the test resolver")


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/hooks"
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        self.released = threading.Event()  # set when the test ends: a slow reply stops waiting

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        self.received.append(
            Received(
                path=handler.path,
                headers={name.lower(): value for name, value in handler.headers.items()},
                body=handler.rfile.read(length),
            )
        )
        reply = self.replies.popleft() if self.replies else Reply(status=204, body=b"")
        send_reply(handler, reply, self.released)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.receiver.answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.receiver = Receiver(self.server_address[1])


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """A receiver, serving until the block ends."""
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.receiver.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
