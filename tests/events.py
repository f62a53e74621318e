"""The one event listener of the tests: channels on the real channel layer (in memory, fresh for
each test: tests/conftest.py), subscribed to groups as a consumer's would be.

Every event carries its event log id (``evt_…``); the listener checks it is there and gives the
rest of the event: the ids' order and replay are the event log's tests (tests/outbox,
tests/realtime/test_replay.py)."""

import asyncio
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from propflow.realtime.broadcast import STAFF_GROUP, user_group
from tests.cast import Cast


async def _subscribe(groups: list[str]) -> dict[str, str]:
    layer = get_channel_layer()
    channels: dict[str, str] = {}
    for group in groups:
        channels[group] = await layer.new_channel()
        await layer.group_add(group, channels[group])
    return channels


async def _subscribe_one(groups: list[str]) -> dict[str, str]:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    return {"any group": channel}


async def _drain(channels: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    layer = get_channel_layer()
    received: dict[str, list[dict[str, Any]]] = {group: [] for group in channels}
    for group, channel in channels.items():
        while True:
            try:
                # A queued message comes back at once; an empty queue times out at once.
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.001)
            except TimeoutError:
                break
            assert message["type"] == "event.message"
            event = dict(message["event"])
            assert event.pop("id").startswith("evt_")
            received[group].append(event)
    return received


class EventListener:
    """One channel per group, subscribed on the real channel layer, as a consumer would be."""

    def __init__(self, groups: Iterable[str]) -> None:
        self.channels = async_to_sync(_subscribe)(list(groups))

    @classmethod
    def anywhere(cls, groups: Iterable[str]) -> "EventListener":
        """One channel in all these groups: hears an event sent to any of them."""
        listener = cls([])
        listener.channels = async_to_sync(_subscribe_one)(list(groups))
        return listener

    def received(self) -> dict[str, list[dict[str, Any]]]:
        """The events each group has received since the last call, oldest first."""
        return async_to_sync(_drain)(self.channels)

    def events(self) -> list[dict[str, Any]]:
        """The events received since the last call, group after group, each oldest first."""
        return [event for events in self.received().values() for event in events]

    def received_anything(self) -> bool:
        return bool(self.events())


def audience_groups(cast: Cast) -> list[str]:
    """The staff group and the personal group of everyone in the cast."""
    return [STAFF_GROUP, *(user_group(user.pk) for user in cast.everyone().values())]


def listen_to(cast: Cast) -> EventListener:
    return EventListener(audience_groups(cast))


def listen_to_staff() -> EventListener:
    return EventListener([STAFF_GROUP])
