"""Which browser pages may open the events socket: the page's origin (scheme, host and port) is
the socket's own (its scheme, and a Host of ALLOWED_HOSTS) or one of WEBSOCKET_ALLOWED_ORIGINS.
Anything else closes 4403 before any data."""

import pytest

from propflow.realtime.auth import CLOSE_ORIGIN_FORBIDDEN, origin_allowed
from tests.cast import Cast
from tests.realtime.conftest import (
    OpenSocket,
    access_token,
    assert_closed_with,
    next_message,
)

LISTED = "https://app.propflow.example"


@pytest.fixture(autouse=True)
def origins(settings) -> None:
    settings.ALLOWED_HOSTS = ["localhost", "propflow.example.com", "[::1]"]
    settings.WEBSOCKET_ALLOWED_ORIGINS = [LISTED]


def allowed(*, origin: str, host: str, scheme: str = "ws") -> bool:
    """Whether a page of ``origin`` may listen on a socket opened to ``host`` over ``scheme``
    (what the ASGI server puts in the scope: ``wss`` behind a TLS proxy too)."""
    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    return origin_allowed({"type": "websocket", "scheme": scheme, "headers": headers})


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://localhost:8000", "localhost:8000", "ws"),
        ("https://propflow.example.com", "propflow.example.com", "wss"),
        ("http://propflow.example.com", "propflow.example.com", "ws"),
        # A Host may spell out the scheme's default port; an Origin never does.
        ("https://propflow.example.com", "propflow.example.com:443", "wss"),
        ("http://LOCALHOST:8000", "localhost:8000", "ws"),
        ("http://[::1]:8000", "[::1]:8000", "ws"),
        (LISTED, "localhost:8000", "ws"),
    ],
)
def test_it_allows_its_own_origin_and_a_listed_one(origin: str, host: str, scheme: str) -> None:
    assert allowed(origin=origin, host=host, scheme=scheme)


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        # The audit's: another port of the same host.
        ("http://localhost:31337", "localhost:8000", "ws"),
        ("http://localhost", "localhost:8000", "ws"),
        ("http://localhost:8000", "localhost", "ws"),
        ("http://[::1]:31337", "[::1]:8000", "ws"),
        # The other scheme of the same host and port.
        ("https://localhost:8000", "localhost:8000", "ws"),
        ("http://propflow.example.com", "propflow.example.com", "wss"),
        # Another of ALLOWED_HOSTS is another origin.
        ("https://propflow.example.com", "localhost:8000", "ws"),
        # A rebound DNS name: the page and the Host agree, but the name is not one of ours.
        ("http://rebound.example:8000", "rebound.example:8000", "ws"),
        # A listed origin's other scheme or port.
        ("http://app.propflow.example", "localhost:8000", "ws"),
        ("https://app.propflow.example:8443", "localhost:8000", "ws"),
        # Not an http(s) origin at all.
        ("null", "localhost:8000", "ws"),
        ("ws://localhost:8000", "localhost:8000", "ws"),
        ("http://localhost:8000/admin/", "localhost:8000", "ws"),
        ("http://[::1", "localhost:8000", "ws"),
        ("http://localhost:99999", "localhost:8000", "ws"),
    ],
)
def test_it_refuses_another_scheme_host_or_port(origin: str, host: str, scheme: str) -> None:
    assert not allowed(origin=origin, host=host, scheme=scheme)


@pytest.mark.parametrize(("origin", "expected"), [("http://localhost:8000", False), (LISTED, True)])
def test_without_a_host_only_a_listed_origin_is_allowed(origin: str, expected: bool) -> None:
    scope = {"type": "websocket", "headers": [(b"origin", origin.encode())]}

    assert origin_allowed(scope) is expected


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_page_of_another_port_is_closed_4403_before_any_data(
    cast: Cast, open_socket: OpenSocket
) -> None:
    communicator = await open_socket(
        token=access_token(cast.reviewer),
        headers=[(b"host", b"localhost:8000"), (b"origin", b"http://localhost:31337")],
    )

    await assert_closed_with(communicator, CLOSE_ORIGIN_FORBIDDEN)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_page_of_the_socket_s_own_origin_listens(
    cast: Cast, open_socket: OpenSocket
) -> None:
    communicator = await open_socket(
        token=access_token(cast.reviewer),
        headers=[(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")],
    )

    await communicator.send_json_to({"action": "ping"})

    assert await next_message(communicator) == {"type": "pong"}
