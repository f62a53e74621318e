"""Listeners on the events WebSocket, over the real ASGI application, on the channel layer of
the settings.

Consumers close old database connections: these tests need ``django_db(transaction=True)``.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from properties.models import Property, Status
from propflow.asgi import application
from propflow.realtime.broadcast import user_group
from tests.cast import Cast
from tests.factories import PropertyFactory

# Long enough for a slow CI machine; a passing test never waits this long.
WAIT_SECONDS = 10

Header = tuple[bytes, bytes]
OpenSocket = Callable[..., Awaitable[WebsocketCommunicator]]


@pytest.fixture(autouse=True)
def _channel_layer() -> None:
    """The channel layer settings.py configures (Redis where REDIS_URL is set), in place of the
    fresh in-memory one of the other tests (tests/conftest.py): these tests are of the transport
    itself, shared by the test and its consumers."""


@pytest.fixture
def submitted_property(cast: Cast) -> Property:
    return PropertyFactory.create(owner=cast.owner, status=Status.SUBMITTED)


def access_token(user: User, *, lifetime: timedelta | None = None) -> str:
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


@pytest_asyncio.fixture
async def open_socket() -> AsyncIterator[OpenSocket]:
    """Opens sockets on /ws/events/ (connected: the server always accepts, and closes a refused
    one with its code); disconnects them all at the end of the test."""
    opened: list[WebsocketCommunicator] = []

    async def open_one(
        *,
        token: str | None = None,
        query: str = "",
        headers: Iterable[Header] = (),
        path: str = "/ws/events/",
    ) -> WebsocketCommunicator:
        if token is not None:
            query = f"token={token}"
        communicator = WebsocketCommunicator(
            application, f"{path}?{query}" if query else path, headers=list(headers)
        )
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=WAIT_SECONDS)
        assert connected
        return communicator

    yield open_one
    for communicator in opened:
        await communicator.disconnect(timeout=WAIT_SECONDS)


async def listen(open_socket: OpenSocket, user: User) -> WebsocketCommunicator:
    """A socket of the user's, proven to be listening (it answers a ping)."""
    communicator = await open_socket(token=access_token(user))
    await communicator.send_json_to({"action": "ping"})
    assert await next_message(communicator) == {"type": "pong"}
    return communicator


async def next_message(communicator: WebsocketCommunicator) -> Any:
    return await communicator.receive_json_from(timeout=WAIT_SECONDS)


async def assert_closed_with(communicator: WebsocketCommunicator, code: int) -> None:
    """The very next output is the close, with this code: nothing was sent before it."""
    output = await communicator.receive_output(timeout=WAIT_SECONDS)
    assert output["type"] == "websocket.close"
    assert output["code"] == code


async def assert_heard_nothing(communicator: WebsocketCommunicator, user: User) -> None:
    """Sends a marker to the user's own group: if it is the next message, nothing sent before
    it reached this socket (a channel delivers in order), with no waiting for a silence."""
    layer = get_channel_layer()
    assert layer is not None
    marker = {"type": "test.marker"}
    await layer.group_send(user_group(user.pk), {"type": "event.message", "event": marker})
    assert await next_message(communicator) == marker
