"""One webhook POST, to the address that was checked (``outbox.addresses.Target``): the name is
used for the Host header and TLS (SNI, certificate), never resolved again. No redirects are
followed (http.client follows none); at most ``max_bytes`` of the answer are read.

``timeout`` bounds the whole attempt, not each socket operation: connecting, the TLS handshake,
sending, and reading the status line, headers and body each get only the time left, and every
read of the answer is its own socket read with its own share of it. A receiver that dribbles
its answer a byte at a time is cut off when the time is up, as one that never answers is."""

import http.client
import io
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from outbox.addresses import Target


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None


class TransportError(Exception):
    """No answer: refused, reset, timed out, or a TLS or protocol failure."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    def left(self) -> float:
        """The seconds left (positive); TimeoutError once none are."""
        left = self._at - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each read given the time left (a file's reads would each get the
    whole timeout again)."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock = sock
        self._file = sock.makefile("rb", buffering=0)  # closing it releases the socket
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int | None:  # type: ignore[override]
        self._sock.settimeout(self._deadline.left())
        return self._file.readinto(buffer)

    def close(self) -> None:
        self._file.close()
        super().close()


class _DeadlineSocket:
    """What the answer is read from: the socket, whose file is a ``_DeadlineReader``."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, deadline: _Deadline) -> None:
        super().__init__(target.host, target.port)
        self.address = target.address
        self.deadline = deadline

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.deadline.left())

    def send(self, data: object) -> None:
        if self.sock is None:
            self.connect()
        self.sock.settimeout(self.deadline.left())
        super().send(data)  # type: ignore[arg-type]

    def response_class(  # type: ignore[override]
        self, sock: socket.socket, *args: Any, **kwargs: Any
    ) -> http.client.HTTPResponse:
        return http.client.HTTPResponse(_DeadlineSocket(sock, self.deadline), *args, **kwargs)  # type: ignore[arg-type]


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def __init__(self, target: Target, deadline: _Deadline, context: ssl.SSLContext) -> None:
        super().__init__(target, deadline)
        self.context = context

    def connect(self) -> None:
        super().connect()
        # The handshake as a whole is bounded by the socket's timeout (ssl counts it down).
        self.sock.settimeout(self.deadline.left())
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)


def post(
    target: Target,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
    ca_file: str | None = None,
) -> Answer:
    """POSTs the body within ``timeout`` seconds in all; the answer's status and Retry-After.
    Raises TransportError ("timed out after N s" once the time is up)."""
    deadline = _Deadline(timeout)
    connection = (
        _PinnedHTTPSConnection(target, deadline, ssl.create_default_context(cafile=ca_file))
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, deadline)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(max_bytes)
        return Answer(response.status, response.getheader("Retry-After"))
    except TimeoutError as error:
        raise TransportError(f"timed out after {timeout:g} s") from error
    except (OSError, http.client.HTTPException) as error:
        raise TransportError(f"{type(error).__name__}: {error}"[:300]) from error
    finally:
        connection.close()
