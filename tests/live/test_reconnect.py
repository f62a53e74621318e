"""A phone's socket cut mid-inspection, against the running processes: the events committed
while it was away come back on reconnect with `after=`, in order, each once, and the live ones
follow with no gap."""

import time

import pytest

from tests.live.conftest import LiveStack
from tests.live.test_journey import PUNE, photo_taken_now, property_body, qc_completed, upload
from tests.support.live_clients import ApiUser, Event, Listener

pytestmark = pytest.mark.services

QC_SECONDS = 60


def wait_until_judged(agent: ApiUser, photo_ids: list[str]) -> None:
    """Polls the API (as a phone without its socket would) until QC judged every photo."""
    deadline = time.monotonic() + QC_SECONDS
    while time.monotonic() < deadline:
        photos = [agent.ok("GET", f"/api/v1/photos/{photo_id}/") for photo_id in photo_ids]
        if all(photo["qc_status"] not in ("PENDING", "RUNNING") for photo in photos):
            return
        time.sleep(0.2)
    raise AssertionError(f"QC did not judge {photo_ids} within {QC_SECONDS} s")


def photo_events(events: list[Event]) -> list[str]:
    return [event["photo_id"] for event in events if event["type"] == "photo.qc_completed"]


def test_a_cut_socket_resumes_where_it_left_off(live: LiveStack) -> None:
    client = ApiUser(live.base_url, live.sms_dir, "+919811100002")
    reviewer = ApiUser(live.base_url, live.sms_dir, live.reviewer_phone)
    agent = ApiUser(live.base_url, live.sms_dir, live.agent_phone)
    home = client.ok("POST", "/api/v1/properties/", 201, json=property_body("9 Cut Lane", PUNE))
    client.ok("POST", f"/api/v1/properties/{home['id']}/submit/", json={})
    reviewer.ok(
        "POST", f"/api/v1/properties/{home['id']}/assign/", json={"agent": agent.user["id"]}
    )
    agent.ok("POST", f"/api/v1/properties/{home['id']}/accept/", json={})
    near = (PUNE[0] + 0.0005, PUNE[1])

    first_socket = agent.listen()
    try:
        before = upload(agent, home["id"], photo_taken_now(21, near), "FRONT")
        last_heard = first_socket.wait_for(qc_completed(before["id"]))
        first_socket.cut()
        heard_before_the_cut = first_socket.drain()
    finally:
        first_socket.close()

    # Away: two photos are uploaded and judged while nobody listens.
    away = [
        upload(agent, home["id"], photo_taken_now(22, near), "LIVING")["id"],
        upload(agent, home["id"], photo_taken_now(23, near), "KITCHEN")["id"],
    ]
    wait_until_judged(agent, away)

    second_socket: Listener = agent.listen(after=last_heard["id"])
    try:
        for photo_id in away:
            second_socket.wait_for(qc_completed(photo_id))
        after_reconnect = upload(agent, home["id"], photo_taken_now(24, near), "OTHER")
        second_socket.wait_for(qc_completed(after_reconnect["id"]))
        time.sleep(1)  # anything sent twice would arrive by now
        heard_after = second_socket.drain()
    finally:
        second_socket.close()

    assert before["id"] in photo_events(heard_before_the_cut)
    # Nothing up to the last event heard comes again; the missed ones and the live one, each
    # once, in order.
    assert photo_events(heard_after) == [*away, after_reconnect["id"]]
    ids = [event["id"] for event in heard_after]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    assert min(ids) > last_heard["id"]
