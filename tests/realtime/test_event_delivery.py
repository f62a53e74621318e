"""What each listener hears: its own properties, its current assignments, or (staff) all; only
after commit; and how the socket treats what a listener sends."""

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from outbox.services import event_record
from photos.events import qc_completed_payloads, reviewed_payload
from photos.models import Photo, QcStatus, ReviewStatus
from properties.models import Property, Status
from properties.services import property_transition
from properties.workflow import Action
from propflow.realtime.auth import CLOSE_MESSAGE_TOO_BIG, CLOSE_TOO_MANY_MESSAGES, TokenBucket
from tests.cast import Cast
from tests.factories import PhotoFactory
from tests.realtime.conftest import (
    OpenSocket,
    assert_closed_with,
    assert_heard_nothing,
    listen,
    next_message,
)

pytestmark = pytest.mark.django_db(transaction=True)

transition = database_sync_to_async(property_transition)
record = database_sync_to_async(event_record)


def status_changed(property: Property, *, source: str, target: str, role: str) -> dict[str, Any]:
    return {
        "type": "property.status_changed",
        "property_id": str(property.pk),
        "from": source,
        "to": target,
        "actor_role": role,
        "reason": "",
    }


def without_time(event: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(event.pop("at"), str)
    return without_id(event)


def without_id(event: dict[str, Any]) -> dict[str, Any]:
    assert event.pop("id").startswith("evt_")
    return event


@pytest.mark.asyncio
async def test_an_assignment_reaches_the_owner_the_agent_and_staff_only(
    cast: Cast, open_socket: OpenSocket, submitted_property: Property
) -> None:
    owner = await listen(open_socket, cast.owner)
    other_client = await listen(open_socket, cast.other_client)
    agent = await listen(open_socket, cast.assigned_agent)
    other_agent = await listen(open_socket, cast.unrelated_agent)
    reviewer = await listen(open_socket, cast.reviewer)

    await transition(
        actor=cast.reviewer,
        property_id=submitted_property.pk,
        action=Action.ASSIGN,
        agent_id=cast.assigned_agent.pk,
    )

    expected = status_changed(
        submitted_property, source=Status.SUBMITTED, target=Status.ASSIGNED, role="reviewer"
    )
    assert without_time(await next_message(owner)) == expected
    assert without_time(await next_message(agent)) == expected
    assert without_time(await next_message(reviewer)) == expected
    await assert_heard_nothing(other_client, cast.other_client)
    await assert_heard_nothing(other_agent, cast.unrelated_agent)


@pytest.mark.asyncio
async def test_an_agent_who_declined_hears_no_more(
    cast: Cast, open_socket: OpenSocket, submitted_property: Property
) -> None:
    await transition(
        actor=cast.reviewer,
        property_id=submitted_property.pk,
        action=Action.ASSIGN,
        agent_id=cast.assigned_agent.pk,
    )
    agent = await listen(open_socket, cast.assigned_agent)
    other_agent = await listen(open_socket, cast.unrelated_agent)
    owner = await listen(open_socket, cast.owner)

    await transition(
        actor=cast.assigned_agent,
        property_id=submitted_property.pk,
        action=Action.DECLINE,
        reason="Far",
    )
    await transition(
        actor=cast.reviewer,
        property_id=submitted_property.pk,
        action=Action.ASSIGN,
        agent_id=cast.unrelated_agent.pk,
    )

    assert (await next_message(owner))["to"] == Status.SUBMITTED
    assert (await next_message(owner))["to"] == Status.ASSIGNED
    reassigned = await next_message(other_agent)
    assert (reassigned["from"], reassigned["to"]) == (Status.SUBMITTED, Status.ASSIGNED)
    await assert_heard_nothing(agent, cast.assigned_agent)


@pytest.mark.asyncio
async def test_a_rolled_back_transition_sends_nothing(
    cast: Cast, open_socket: OpenSocket, submitted_property: Property
) -> None:
    owner = await listen(open_socket, cast.owner)
    reviewer = await listen(open_socket, cast.reviewer)

    def cancel_in_a_request_that_fails() -> None:
        with transaction.atomic():
            property_transition(
                actor=cast.owner, property_id=submitted_property.pk, action=Action.CANCEL
            )
            raise RuntimeError("the request failed after the transition")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(cancel_in_a_request_that_fails)()

    await assert_heard_nothing(owner, cast.owner)
    await assert_heard_nothing(reviewer, cast.reviewer)
    await submitted_property.arefresh_from_db()
    assert submitted_property.status == Status.SUBMITTED


@pytest.fixture
def checked_photo(cast: Cast, submitted_property: Property) -> Photo:
    checks = [{"name": "gps_present", "result": "pass", "detail": "18.53620, 73.89400"}]
    return PhotoFactory.create(
        property=submitted_property, qc_status=QcStatus.PASS, qc_checks=checks
    )


@pytest.mark.asyncio
async def test_qc_results_reach_the_owner_and_staff_only(
    cast: Cast, open_socket: OpenSocket, checked_photo: Photo
) -> None:
    owner = await listen(open_socket, cast.owner)
    other_client = await listen(open_socket, cast.other_client)
    reviewer = await listen(open_socket, cast.reviewer)

    payload, staff_payload = qc_completed_payloads(checked_photo)
    await record(subject=checked_photo.property, payload=payload, staff_payload=staff_payload)

    expected = {
        "type": "photo.qc_completed",
        "photo_id": str(checked_photo.pk),
        "property_id": str(checked_photo.property_id),
        "qc_status": "PASS",
        "checks": [{"name": "gps_present", "result": "pass", "detail": "18.53620, 73.89400"}],
        "at": None,
    }
    assert without_id(await next_message(owner)) == expected
    assert without_id(await next_message(reviewer)) == expected
    await assert_heard_nothing(other_client, cast.other_client)


@pytest.mark.asyncio
async def test_a_review_reaches_the_owner(
    cast: Cast, open_socket: OpenSocket, checked_photo: Photo
) -> None:
    owner = await listen(open_socket, cast.owner)
    checked_photo.review_status = ReviewStatus.RESHOOT
    checked_photo.review_reason = "Blurred"

    await record(subject=checked_photo.property, payload=reviewed_payload(checked_photo))

    assert without_id(await next_message(owner)) == {
        "type": "photo.reviewed",
        "photo_id": str(checked_photo.pk),
        "property_id": str(checked_photo.property_id),
        "decision": "RESHOOT",
        "reason": "Blurred",
        "at": None,
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("sent", "detail"),
    [
        ('{"action": "subscribe"}', 'Unknown message; the only action is {"action": "ping"}.'),
        ("[1, 2]", 'Unknown message; the only action is {"action": "ping"}.'),
        ('"ping"', 'Unknown message; the only action is {"action": "ping"}.'),
        ("{not json", "Malformed JSON."),
        ("[" * 4000, "Malformed JSON."),
        (b"\x00\x01binary", "Send JSON as text messages."),
    ],
)
async def test_it_answers_anything_but_a_ping_with_an_error_and_keeps_listening(
    cast: Cast, open_socket: OpenSocket, sent: str | bytes, detail: str
) -> None:
    owner = await listen(open_socket, cast.owner)

    if isinstance(sent, bytes):
        await owner.send_to(bytes_data=sent)
    else:
        await owner.send_to(text_data=sent)

    assert await next_message(owner) == {"type": "error", "detail": detail}
    await owner.send_json_to({"action": "ping"})
    assert await next_message(owner) == {"type": "pong"}


@pytest.mark.asyncio
async def test_it_closes_on_a_message_over_the_size_limit(
    cast: Cast, open_socket: OpenSocket, settings
) -> None:
    settings.WEBSOCKET_MAX_MESSAGE_BYTES = 100
    owner = await listen(open_socket, cast.owner)

    # 101 bytes in 51 characters: the limit counts bytes.
    await owner.send_to(text_data=json.dumps({"action": "ping", "x": "é" * 25}))

    await assert_closed_with(owner, CLOSE_MESSAGE_TOO_BIG)


@pytest.mark.asyncio
async def test_it_closes_on_a_flood_of_messages(
    cast: Cast, open_socket: OpenSocket, settings
) -> None:
    # Next to no refill: the burst is all a listener gets within this test.
    settings.WEBSOCKET_MESSAGE_BURST = 3
    settings.WEBSOCKET_MESSAGES_PER_SECOND = 0.001
    owner = await listen(open_socket, cast.owner)

    for _ in range(3):
        await owner.send_json_to({"action": "ping"})

    assert [await next_message(owner) for _ in range(2)] == [{"type": "pong"}] * 2
    await assert_closed_with(owner, CLOSE_TOO_MANY_MESSAGES)


def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [100.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])

    burst = [bucket.take() for _ in range(4)]
    now[0] += 0.5
    after_half_a_second = [bucket.take(), bucket.take()]
    now[0] += 60
    after_a_minute = [bucket.take() for _ in range(4)]

    assert burst == [True, True, True, False]
    assert after_half_a_second == [True, False]
    assert after_a_minute == [True, True, True, False]
