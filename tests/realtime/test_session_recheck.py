"""An open socket keeps being re-checked: it closes (4401) once its session ends or its user may
no longer hear what it was joined for, and a session's socket lives at most
WEBSOCKET_SESSION_MAX_SECONDS.

The re-check period is set tiny here, so a close arrives at once; ``assert_closed_with`` waits
up to WAIT_SECONDS for it, and a socket that is never re-checked times out there.
"""

import asyncio
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import DatabaseError
from django.test import Client

from accounts.models import Role, User
from propflow.realtime import consumers
from propflow.realtime.auth import CLOSE_INTERNAL_ERROR, CLOSE_UNAUTHENTICATED
from tests.cast import Cast
from tests.realtime.conftest import (
    Header,
    OpenSocket,
    access_token,
    assert_closed_with,
    next_message,
)
from tests.support.processes import ROOT, embedded_environment

pytestmark = pytest.mark.django_db(transaction=True)

# Many re-checks fit in a moment: a socket that should stay open has been re-checked by then.
RECHECK_SECONDS = 0.05
SEVERAL_RECHECKS_SECONDS = 0.5


@pytest.fixture(autouse=True)
def recheck_often(settings) -> None:
    settings.WEBSOCKET_SESSION_RECHECK_SECONDS = RECHECK_SECONDS


@pytest.fixture
def reviewer_browser(cast: Cast) -> Client:
    """The reviewer, signed in to the admin with a password, as a browser is (force_login: the
    session carries the hash of this password, and django-axes counts no attempt)."""
    cast.reviewer.set_password("first password")
    cast.reviewer.save(update_fields=["password"])
    browser = Client()
    browser.force_login(cast.reviewer)
    return browser


def cookie_of(browser: Client) -> Header:
    return (b"cookie", f"sessionid={browser.cookies['sessionid'].value}".encode())


async def listening(communicator: WebsocketCommunicator) -> None:
    await communicator.send_json_to({"action": "ping"})
    assert await next_message(communicator) == {"type": "pong"}


async def session_socket(open_socket: OpenSocket, browser: Client) -> WebsocketCommunicator:
    communicator = await open_socket(headers=[cookie_of(browser)])
    await listening(communicator)
    return communicator


async def token_socket(open_socket: OpenSocket, user: User) -> WebsocketCommunicator:
    communicator = await open_socket(token=access_token(user))
    await listening(communicator)
    return communicator


def _update_user(user: User, **fields: object) -> None:
    User.objects.filter(pk=user.pk).update(**fields)


def _change_password(user: User) -> None:
    user.set_password("second password")
    user.save(update_fields=["password"])


update_user = database_sync_to_async(_update_user)
change_password = database_sync_to_async(_change_password)


@pytest.mark.asyncio
@pytest.mark.parametrize("with_session", [True, False], ids=["session", "token"])
async def test_it_keeps_a_valid_socket_open_across_re_checks(
    cast: Cast, open_socket: OpenSocket, reviewer_browser: Client, with_session: bool
) -> None:
    if with_session:
        communicator = await session_socket(open_socket, reviewer_browser)
    else:
        communicator = await token_socket(open_socket, cast.reviewer)

    await asyncio.sleep(SEVERAL_RECHECKS_SECONDS)

    await listening(communicator)


@pytest.mark.asyncio
async def test_it_closes_a_session_s_socket_after_logout(
    open_socket: OpenSocket, reviewer_browser: Client
) -> None:
    communicator = await session_socket(open_socket, reviewer_browser)

    response = await sync_to_async(reviewer_browser.post)("/admin/logout/")
    assert response.status_code == 200

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_it_closes_a_session_s_socket_after_a_password_change(
    cast: Cast, open_socket: OpenSocket, reviewer_browser: Client
) -> None:
    communicator = await session_socket(open_socket, reviewer_browser)

    await change_password(cast.reviewer)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "change",
    [{"is_active": False}, {"role": Role.CLIENT}],
    ids=["deactivated", "demoted to client"],
)
async def test_it_closes_a_session_s_socket_when_its_user_may_no_longer_listen(
    cast: Cast, open_socket: OpenSocket, reviewer_browser: Client, change: dict[str, object]
) -> None:
    communicator = await session_socket(open_socket, reviewer_browser)

    await update_user(cast.reviewer, **change)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_it_closes_a_session_s_socket_at_its_maximum_lifetime(
    settings, open_socket: OpenSocket, reviewer_browser: Client
) -> None:
    # Only the lifetime can close it: no re-check runs before it is over.
    settings.WEBSOCKET_SESSION_RECHECK_SECONDS = 3600
    settings.WEBSOCKET_SESSION_MAX_SECONDS = 1
    communicator = await session_socket(open_socket, reviewer_browser)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("member", "change"),
    [
        ("owner", {"is_active": False}),
        ("reviewer", {"role": Role.CLIENT}),
        # Its groups are those of a client: reconnecting joins the staff group.
        ("owner", {"role": Role.REVIEWER}),
    ],
    ids=["deactivated", "reviewer demoted to client", "client promoted to reviewer"],
)
async def test_it_closes_a_token_s_socket_when_its_user_may_hear_otherwise(
    cast: Cast, open_socket: OpenSocket, member: str, change: dict[str, object]
) -> None:
    user = getattr(cast, member)
    communicator = await token_socket(open_socket, user)

    await update_user(user, **change)

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_it_closes_a_token_s_socket_when_the_user_is_deleted(
    cast: Cast, open_socket: OpenSocket
) -> None:
    communicator = await token_socket(open_socket, cast.other_client)

    await database_sync_to_async(cast.other_client.delete)()

    await assert_closed_with(communicator, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_it_keeps_a_token_s_socket_open_when_a_client_becomes_an_agent(
    cast: Cast, open_socket: OpenSocket
) -> None:
    # Neither role is staff: the socket's groups are still the user's.
    communicator = await token_socket(open_socket, cast.owner)

    await update_user(cast.owner, role=Role.AGENT)
    await asyncio.sleep(SEVERAL_RECHECKS_SECONDS)

    await listening(communicator)


@pytest.mark.asyncio
async def test_it_closes_the_socket_when_the_re_check_itself_fails(
    cast: Cast, open_socket: OpenSocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    communicator = await token_socket(open_socket, cast.reviewer)

    async def failing_check(*args: object) -> None:
        raise DatabaseError("connection lost")

    monkeypatch.setattr(consumers, "listener_revocation", failing_check)

    await assert_closed_with(communicator, CLOSE_INTERNAL_ERROR)


def test_a_re_check_period_that_is_not_positive_stops_the_start(tmp_path) -> None:
    environment = embedded_environment(tmp_path, WEBSOCKET_SESSION_RECHECK_SECONDS="0")

    started = subprocess.run(
        [sys.executable, "-c", "import propflow.settings"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode == 1
    assert "WEBSOCKET_SESSION_RECHECK_SECONDS must be positive." in started.stderr
