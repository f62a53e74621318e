"""A webhook receiver: a real HTTP server on 127.0.0.1, in a thread of the test, that keeps
every request and answers each with the next reply queued (``vision_stub.Reply``: a status,
headers, a delay, a dribble), 204 once none is left, noting whether each answer was written
in full before the client hung up. Over TLS when given a server context: its URL is then
``https://<host>:<port>/hooks`` for the name the test resolves to 127.0.0.1, and the name each
client asked for (SNI) is kept. And a test resolver (``WEBHOOK_RESOLVER``): host
names answered from ``NAMES``, which a test fills, as DNS would."""

from __future__ import annotations

import queue
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
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
    arrived: float  # time.time() once the body was read


class Receiver:
    def __init__(self, url: str) -> None:
        self.url = url
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        # For each answer, once written or cut off: whether the client read all of it.
        self.answered: queue.Queue[bool] = queue.Queue()
        self.released = threading.Event()  # set when the test ends: a slow reply stops waiting
        self.server_names: list[str | None] = []  # over TLS: each handshake's SNI
        # When set, what answers each request (in the request's thread), instead of the queue.
        self.reply_to: Callable[[Received], Reply] | None = None

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        received = Received(
            path=handler.path,
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=handler.rfile.read(length),
            arrived=time.time(),
        )
        self.received.append(received)
        if self.reply_to is not None:
            reply = self.reply_to(received)
        else:
            reply = self.replies.popleft() if self.replies else Reply(status=204, body=b"")
        self.answered.put(send_reply(handler, reply, self.released))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.receiver.answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None, host: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        port = self.server_address[1]
        if tls is None:
            self.receiver = Receiver(f"http://127.0.0.1:{port}/hooks")
            return
        self.receiver = Receiver(f"https://{host}:{port}/hooks")
        names = self.receiver.server_names
        tls.sni_callback = lambda _socket, name, _context: names.append(name)
        # A handshake that fails makes accept() raise: the server drops that connection.
        self.socket = tls.wrap_socket(self.socket, server_side=True)


@contextmanager
def webhook_receiver(
    tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> Iterator[Receiver]:
    """A receiver, over TLS with the context given (as ``host``), serving until the block
    ends."""
    server = _Server(tls, host)
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.receiver.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
