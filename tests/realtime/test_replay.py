"""Replay on the events socket (``?after=<id>``): what each listener missed, in order, that it
would have heard (an agent who lost the assignment: up to then), then the live events, with no
gap and no duplicate; 4410 for an ``after`` past the retention, 4400 for no event id."""

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.models import User
from outbox.selectors import OutboxLog
from outbox.services import event_record, events_prune
from properties.models import Property
from propflow.realtime.auth import CLOSE_BAD_AFTER, CLOSE_EVENTS_GONE, CLOSE_UNAUTHENTICATED
from propflow.realtime.consumers import EventsConsumer
from tests.cast import Cast
from tests.realtime.conftest import (
    OpenSocket,
    access_token,
    assert_closed_with,
    assert_heard_nothing,
    next_message,
)
from tests.support.event_log import HEARD_AFTER_SUBMIT, make_history

pytestmark = pytest.mark.django_db(transaction=True)

record = database_sync_to_async(event_record)


async def socket_after(open_socket: OpenSocket, user: User, after: str) -> Any:
    return await open_socket(query=f"token={access_token(user)}&after={after}")


@pytest.mark.asyncio
@pytest.mark.parametrize("role", list(HEARD_AFTER_SUBMIT))
async def test_a_listener_is_replayed_what_it_would_have_heard(
    cast: Cast, open_socket: OpenSocket, role: str
) -> None:
    ids = await database_sync_to_async(make_history)(cast)
    user = cast.everyone()[role]

    socket = await socket_after(open_socket, user, ids["submitted"])

    heard = HEARD_AFTER_SUBMIT[role]
    replayed = [await next_message(socket) for _ in heard]
    assert [message["id"] for message in replayed] == [ids[name] for name in heard]
    assert all(message["type"] == "property.status_changed" for message in replayed)
    await assert_heard_nothing(socket, user)


@pytest.mark.asyncio
async def test_an_anonymous_listener_with_after_is_refused_before_any_event(
    cast: Cast, open_socket: OpenSocket
) -> None:
    submitted_id = (await database_sync_to_async(make_history)(cast))["submitted"]

    socket = await open_socket(query=f"after={submitted_id}")

    await assert_closed_with(socket, CLOSE_UNAUTHENTICATED)


@pytest.mark.asyncio
async def test_an_after_past_the_retention_closes_4410_and_no_event_id_4400(
    cast: Cast, open_socket: OpenSocket
) -> None:
    submitted_id = (await database_sync_to_async(make_history)(cast))["submitted"]
    await database_sync_to_async(events_prune)(now=timezone.now() + timedelta(days=31))

    gone = await socket_after(open_socket, cast.owner, submitted_id)
    malformed = await socket_after(open_socket, cast.owner, "last-tuesday")

    await assert_closed_with(gone, CLOSE_EVENTS_GONE)
    await assert_closed_with(malformed, CLOSE_BAD_AFTER)


class CommittingWhileRead(OutboxLog):
    """The real log, with one event committed just before each of the first two reads of the
    replay and one just after: each is broadcast live while the replay is being sent."""

    def __init__(self, property: Property) -> None:
        self.property = property
        self.reads = 0

    def messages_after(self, user: Any, after: str | None, limit: int) -> list[dict[str, Any]]:
        self.reads += 1
        if self.reads > 2:
            return super().messages_after(user, after, limit)
        event_record(subject=self.property, payload={"type": f"test.before_read_{self.reads}"})
        messages = super().messages_after(user, after, limit)
        event_record(subject=self.property, payload={"type": f"test.after_read_{self.reads}"})
        return messages


@pytest.mark.asyncio
async def test_events_committed_during_the_replay_arrive_once_in_order(
    cast: Cast, open_socket: OpenSocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted_id = (await database_sync_to_async(make_history)(cast))["submitted"]
    property = await Property.objects.aget()
    log = CommittingWhileRead(property)
    monkeypatch.setattr("propflow.realtime.consumers.event_log", lambda: log)
    # Pages of two: the three missed events take two reads.
    monkeypatch.setattr(EventsConsumer, "REPLAY_PAGE_SIZE", 2)

    socket = await socket_after(open_socket, cast.owner, submitted_id)
    await record(subject=property, payload={"type": "test.live"})

    messages = [await next_message(socket) for _ in range(8)]
    await assert_heard_nothing(socket, cast.owner)
    ids = [message["id"] for message in messages]
    assert ids == sorted(set(ids))
    # The socket is accepted before the replay: the live one may commit during it, too.
    assert sorted(message["type"] for message in messages) == sorted(
        [
            *["property.status_changed"] * 3,
            "test.before_read_1",
            "test.after_read_1",
            "test.before_read_2",
            "test.after_read_2",
            "test.live",
        ]
    )
    assert log.reads >= 4
