"""Who may listen on /ws/events/: every refusal closes with its code before anything is sent."""

import subprocess
import sys
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from accounts.models import User
from propflow.asgi import application
from propflow.realtime.auth import CLOSE_ORIGIN_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tests.cast import Cast
from tests.realtime.conftest import (
    WAIT_SECONDS,
    OpenSocket,
    access_token,
    assert_closed_with,
    next_message,
)
from tests.support.processes import ROOT, asgi_server, embedded_environment

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user: User) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


@pytest.mark.asyncio
async def test_it_lets_an_access_token_listen(cast: Cast, open_socket: OpenSocket) -> None:
    communicator = await open_socket(token=access_token(cast.owner))

    await communicator.send_json_to({"action": "ping"})

    assert await next_message(communicator) == {"type": "pong"}


@pytest.mark.asyncio
async def test_it_accepts_the_path_without_its_final_slash(
    cast: Cast, open_socket: OpenSocket
) -> None:
    communicator = await open_socket(token=access_token(cast.owner), path="/ws/events")

    await communicator.send_json_to({"action": "ping"})

    assert await next_message(communicator) == {"type": "pong"}


@pytest.mark.asyncio
async def test_it_refuses_no_token(cast: Cast, open_socket: OpenSocket) -> None:
    communicator = await open_socket()

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x"])
async def test_it_refuses_a_garbage_token(cast: Cast, open_socket: OpenSocket, token: str) -> None:
    communicator = await open_socket(query=f"token={token}")

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_it_refuses_an_expired_token(cast: Cast, open_socket: OpenSocket) -> None:
    token = access_token(cast.owner, lifetime=timedelta(seconds=-1))

    communicator = await open_socket(token=token)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_it_refuses_a_token_signed_with_another_key(
    cast: Cast, open_socket: OpenSocket
) -> None:
    header, payload, signature = access_token(cast.owner).split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"

    communicator = await open_socket(token=forged)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.fixture
def refresh_token(cast: Cast) -> str:
    return str(RefreshToken.for_user(cast.owner))


@pytest.mark.asyncio
async def test_it_refuses_a_refresh_token(open_socket: OpenSocket, refresh_token: str) -> None:
    communicator = await open_socket(token=refresh_token)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.fixture
def inactive_user_token(cast: Cast) -> str:
    token = access_token(cast.owner)
    User.objects.filter(pk=cast.owner.pk).update(is_active=False)
    return token


@pytest.mark.asyncio
async def test_it_refuses_an_inactive_user(
    open_socket: OpenSocket, inactive_user_token: str
) -> None:
    communicator = await open_socket(token=inactive_user_token)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.fixture
def deleted_user_token(cast: Cast) -> str:
    token = access_token(cast.other_client)
    cast.other_client.delete()
    return token


@pytest.mark.asyncio
async def test_it_refuses_the_token_of_a_deleted_user(
    open_socket: OpenSocket, deleted_user_token: str
) -> None:
    communicator = await open_socket(token=deleted_user_token)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1.evil.io"])
async def test_it_refuses_a_foreign_origin(
    cast: Cast, open_socket: OpenSocket, origin: str
) -> None:
    communicator = await open_socket(
        token=access_token(cast.reviewer), headers=[(b"origin", origin.encode())]
    )

    await assert_closed_with(communicator, CLOSE_ORIGIN_FORBIDDEN)


@pytest.mark.asyncio
@pytest.mark.parametrize("origin", ["http://localhost:8000", "https://app.propflow.example"])
async def test_it_accepts_its_own_origin_or_a_listed_one(
    cast: Cast, open_socket: OpenSocket, settings, origin: str
) -> None:
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://app.propflow.example"]

    communicator = await open_socket(
        token=access_token(cast.owner),
        headers=[(b"host", b"localhost:8000"), (b"origin", origin.encode())],
    )
    await communicator.send_json_to({"action": "ping"})

    assert await next_message(communicator) == {"type": "pong"}


@pytest.fixture
def reviewer_session(cast: Cast) -> tuple[bytes, bytes]:
    return session_cookie(cast.reviewer)


@pytest.fixture
def client_session(cast: Cast) -> tuple[bytes, bytes]:
    return session_cookie(cast.owner)


@pytest.mark.asyncio
async def test_it_lets_a_staff_session_listen(
    open_socket: OpenSocket, reviewer_session: tuple[bytes, bytes]
) -> None:
    communicator = await open_socket(
        headers=[
            reviewer_session,
            (b"host", b"localhost:8000"),
            (b"origin", b"http://localhost:8000"),
        ]
    )

    await communicator.send_json_to({"action": "ping"})

    assert await next_message(communicator) == {"type": "pong"}


@pytest.mark.asyncio
async def test_it_refuses_the_session_of_a_client(
    open_socket: OpenSocket, client_session: tuple[bytes, bytes]
) -> None:
    communicator = await open_socket(headers=[client_session])

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_a_bad_token_is_refused_even_with_a_staff_session(
    open_socket: OpenSocket, reviewer_session: tuple[bytes, bytes]
) -> None:
    communicator = await open_socket(query="token=garbage", headers=[reviewer_session])

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_a_staff_session_from_a_foreign_origin_is_refused(
    open_socket: OpenSocket, reviewer_session: tuple[bytes, bytes]
) -> None:
    communicator = await open_socket(
        headers=[reviewer_session, (b"origin", b"https://evil.example")]
    )

    await assert_closed_with(communicator, CLOSE_ORIGIN_FORBIDDEN)


@pytest.mark.asyncio
async def test_it_closes_the_socket_when_the_token_expires(
    cast: Cast, open_socket: OpenSocket
) -> None:
    # Whole seconds in "exp": a 2 s lifetime leaves at least 1 s to connect and ping.
    token = access_token(cast.owner, lifetime=timedelta(seconds=2))
    communicator = await open_socket(token=token)
    await communicator.send_json_to({"action": "ping"})
    assert await next_message(communicator) == {"type": "pong"}

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_any_other_path_is_refused_at_the_handshake(cast: Cast) -> None:
    token = access_token(cast.owner)
    communicator = WebsocketCommunicator(application, f"/ws/other/?token={token}")

    connected, _ = await communicator.connect(timeout=WAIT_SECONDS)

    assert not connected


# The real server logs each WebSocket handshake with its path, and our consumer a line per
# connect, refusal and close. None may carry the token from the query string.
USER_WITH_TOKEN = (
    "from accounts.services import user_create, user_tokens; "
    "print(user_tokens(user=user_create(phone='+919811111111', role='client'))['access'])"
)


def test_the_real_server_never_logs_the_token(tmp_path) -> None:
    environment = embedded_environment(tmp_path, PYTHONUNBUFFERED="1")
    with asgi_server(environment) as base_url:
        made = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", USER_WITH_TOKEN],
            cwd=ROOT,
            env=environment,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        token = made.stdout.strip().splitlines()[-1]
        ws_url = base_url.replace("http://", "ws://") + "/ws/events/"
        with connect(f"{ws_url}?token={token}", open_timeout=WAIT_SECONDS) as socket:
            socket.send('{"action": "ping"}')
            assert socket.recv(timeout=WAIT_SECONDS) == '{"type": "pong"}'
        with (
            connect(f"{ws_url}?token={token}x", open_timeout=WAIT_SECONDS) as socket,
            pytest.raises(ConnectionClosed) as closed,
        ):
            socket.recv(timeout=WAIT_SECONDS)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CLOSE_UNAUTHENTICATED

    log = (tmp_path / "server.log").read_text()
    assert log.count('"WebSocket /ws/events/?token=[redacted]" [accepted]') == 2
    assert "websocket connected" in log
    assert "websocket refused: invalid or expired token" in log
    _, payload, signature = token.split(".")
    assert payload not in log
    assert signature not in log
