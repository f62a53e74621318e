"""An open socket catches up from the event log every WEBSOCKET_SESSION_RECHECK_SECONDS: an
event whose broadcast was lost (Redis away, a process cut off) still arrives, once; what was
sent live is not sent again; and a broadcast still on its way when the socket opened is not
mistaken for one the log already gave."""

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from outbox.models import Event, event_public_id
from outbox.services import event_record
from properties.models import Property
from propflow.realtime.broadcast import user_group
from tests.cast import Cast
from tests.realtime.conftest import OpenSocket, assert_heard_nothing, listen, next_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SEVERAL_CATCH_UPS_SECONDS = 0.5


@pytest.fixture(autouse=True)
def catch_up_often(settings) -> None:
    settings.WEBSOCKET_SESSION_RECHECK_SECONDS = 0.05


def _logged_without_broadcast(property: Property, kind: str) -> dict[str, Any]:
    """An event in the log whose broadcast never happened; the message a listener gets."""
    payload = {"type": "photo.reviewed", "kind": kind}
    event = Event.objects.create(
        type="photo.reviewed", property=property, owner_id=property.owner_id, payload=payload
    )
    return {"id": event_public_id(event.seq), **payload}


logged_without_broadcast = database_sync_to_async(_logged_without_broadcast)
record = database_sync_to_async(event_record)


async def test_an_event_whose_broadcast_was_lost_arrives_once(
    cast: Cast, open_socket: OpenSocket, submitted_property: Property
) -> None:
    socket = await listen(open_socket, cast.owner)

    lost = await logged_without_broadcast(submitted_property, "lost")

    assert await next_message(socket) == lost
    await asyncio.sleep(SEVERAL_CATCH_UPS_SECONDS)
    await assert_heard_nothing(socket, cast.owner)


async def test_what_was_sent_live_is_not_sent_again(
    cast: Cast, open_socket: OpenSocket, submitted_property: Property
) -> None:
    socket = await listen(open_socket, cast.owner)

    await record(subject=submitted_property, payload={"type": "photo.reviewed", "kind": "live"})

    assert (await next_message(socket))["kind"] == "live"
    await asyncio.sleep(SEVERAL_CATCH_UPS_SECONDS)
    await assert_heard_nothing(socket, cast.owner)


async def test_a_broadcast_on_its_way_when_the_socket_opened_is_sent(
    cast: Cast, open_socket: OpenSocket, submitted_property: Property
) -> None:
    # Committed before the socket opened; its broadcast arrives after.
    late = await logged_without_broadcast(submitted_property, "late")
    socket = await listen(open_socket, cast.owner)
    layer = get_channel_layer()
    assert layer is not None

    await layer.group_send(user_group(cast.owner.pk), {"type": "event.message", "event": late})

    assert await next_message(socket) == late
    await asyncio.sleep(SEVERAL_CATCH_UPS_SECONDS)
    await assert_heard_nothing(socket, cast.owner)
