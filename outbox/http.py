"""One webhook POST, to the address that was checked (``outbox.addresses.Target``): the name is
used for the Host header and TLS (SNI, certificate), never resolved again. No redirects are
followed (http.client follows none); at most ``max_bytes`` of the answer are read."""

import http.client
import socket
import ssl
from dataclasses import dataclass

from outbox.addresses import Target


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None


class TransportError(Exception):
    """No answer: refused, reset, timed out, or a TLS or protocol failure."""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target, timeout)
        self.context = context

    def connect(self) -> None:
        super().connect()
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
    """POSTs the body; the answer's status and Retry-After. Raises TransportError."""
    connection = (
        _PinnedHTTPSConnection(target, timeout, ssl.create_default_context(cafile=ca_file))
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, timeout)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(max_bytes)
        return Answer(response.status, response.getheader("Retry-After"))
    except (OSError, http.client.HTTPException) as error:
        raise TransportError(f"{type(error).__name__}: {error}"[:300]) from error
    finally:
        connection.close()
