"""The whole inspection, as the people involved live it, against the running processes over
HTTP and WebSocket only: nothing in between is called in-process."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.live.conftest import LiveStack
from tests.support.images import CORPUS_DIR, make_jpeg
from tests.support.live_clients import ApiUser, Event, Listener

pytestmark = pytest.mark.services

PUNE = (18.5362, 73.8940)
MUMBAI = (19.0760, 72.8777)
IST = ZoneInfo("Asia/Kolkata")
Matcher = Callable[[Event], bool]


def property_body(address: str, position: tuple[float, float]) -> dict[str, object]:
    return {
        "property_type": "APARTMENT",
        "address": address,
        "city": "Pune",
        "postal_code": "411001",
        "area_sqft": "1150.50",
        "latitude": position[0],
        "longitude": position[1],
    }


def photo_taken_now(seed: int, gps: tuple[float, float] | None) -> bytes:
    """A phone photo taken this second, with the phone's UTC offset."""
    taken_at = datetime.now(IST).strftime("%Y-%m-%dT%H:%M:%S")
    return make_jpeg(
        seed=seed, gps=gps, taken_at=taken_at, offset="+05:30", make="Google", model="Pixel 8"
    )


def upload(user: ApiUser, property_id: str, photo: bytes, category: str) -> dict[str, Any]:
    body: dict[str, Any] = user.ok(
        "POST",
        f"/api/v1/properties/{property_id}/photos/",
        202,
        files={"file": ("IMG_0001.jpg", photo, "image/jpeg")},
        data={"category": category},
    )
    assert body["qc_status"] == "PENDING"
    return body


def qc_completed(photo_id: object) -> Matcher:
    return lambda event: event["type"] == "photo.qc_completed" and event["photo_id"] == photo_id


def status_changed(property_id: str, to: str) -> Matcher:
    return lambda event: (
        event["type"] == "property.status_changed"
        and event["property_id"] == property_id
        and event["to"] == to
    )


def verdicts(event: Event) -> dict[str, str]:
    return {check["name"]: check["result"] for check in event["checks"]}


def test_an_inspection_from_sign_in_to_valuation(live: LiveStack) -> None:
    client = ApiUser(live.base_url, live.sms_dir, "+919811100001")
    reviewer = ApiUser(live.base_url, live.sms_dir, live.reviewer_phone)
    agent = ApiUser(live.base_url, live.sms_dir, live.agent_phone)
    assert (client.user["role"], reviewer.user["role"], agent.user["role"]) == (
        "client",
        "reviewer",
        "agent",
    )
    listeners: dict[str, Listener] = {
        "client": client.listen(),
        "agent": agent.listen(),
        "reviewer": reviewer.listen(),
    }
    try:
        run_the_journey(client, reviewer, agent, listeners)
    finally:
        for listener in listeners.values():
            listener.close()


def run_the_journey(
    client: ApiUser, reviewer: ApiUser, agent: ApiUser, listeners: dict[str, Listener]
) -> None:
    # The client registers a flat in Pune and another in Mumbai, whose front photo is
    # uploaded while it is a draft: the photo reused later.
    home = client.ok(
        "POST", "/api/v1/properties/", 201, json=property_body("7 Lane 5, Koregaon Park", PUNE)
    )
    other = client.ok(
        "POST", "/api/v1/properties/", 201, json=property_body("2 Marine Drive", MUMBAI)
    )
    reused_bytes = photo_taken_now(seed=90, gps=MUMBAI)
    reused_original = upload(client, other["id"], reused_bytes, "FRONT")
    listeners["client"].wait_for(qc_completed(reused_original["id"]))
    client.ok("POST", f"/api/v1/properties/{home['id']}/submit/", json={})

    # The reviewer assigns a field agent, who accepts.
    agents = reviewer.ok("GET", "/api/v1/users/", params={"role": "agent"})["results"]
    assert agent.user["id"] in [candidate["id"] for candidate in agents]
    reviewer.ok(
        "POST", f"/api/v1/properties/{home['id']}/assign/", json={"agent": agent.user["id"]}
    )
    listeners["agent"].wait_for(status_changed(home["id"], "ASSIGNED"))
    agent.ok("POST", f"/api/v1/properties/{home['id']}/accept/", json={})
    listeners["client"].wait_for(status_changed(home["id"], "INSPECTING"))

    # The agent uploads: one at the property, one 11 km away, one without GPS, one reused.
    near = upload(agent, home["id"], photo_taken_now(1, (PUNE[0] + 0.0008, PUNE[1])), "FRONT")
    far = upload(agent, home["id"], photo_taken_now(2, (PUNE[0] + 0.1, PUNE[1])), "LIVING")
    no_gps = upload(agent, home["id"], photo_taken_now(3, None), "KITCHEN")
    reused = upload(agent, home["id"], reused_bytes, "OTHER")

    for listener in listeners.values():
        assert verdicts(listener.wait_for(qc_completed(near["id"])))["gps_distance"] == "pass"
        assert verdicts(listener.wait_for(qc_completed(far["id"])))["gps_distance"] == "fail"
        assert verdicts(listener.wait_for(qc_completed(no_gps["id"])))["gps_present"] == "fail"
        assert verdicts(listener.wait_for(qc_completed(reused["id"])))["duplicate"] == "fail"
    near_event = listeners["reviewer"].wait_for(qc_completed(near["id"]))
    assert near_event["qc_status"] == "PASS", near_event
    # The agent was never assigned the Mumbai flat: its photo's result is not theirs to hear.
    assert not any(
        event.get("photo_id") == reused_original["id"] for event in listeners["agent"].drain()
    )

    # A real phone photo (from the shared corpus, where present): taken in Seattle in 2012.
    if CORPUS_DIR.is_dir():
        seattle = upload(
            agent, home["id"], (CORPUS_DIR / "files" / "apple_iphone5.jpg").read_bytes(), "OTHER"
        )
        event = listeners["reviewer"].wait_for(qc_completed(seattle["id"]))
        assert (verdicts(event)["gps_distance"], verdicts(event)["capture_time"]) == (
            "fail",
            "fail",
        )
        reviewer.ok(
            "POST",
            f"/api/v1/photos/{seattle['id']}/review/",
            json={"decision": "reject", "reason": "Not this property"},
        )
        assert agent.ok("GET", f"/api/v1/photos/{seattle['id']}/")["make"] == "Apple"

    agent.ok("POST", f"/api/v1/properties/{home['id']}/complete/", json={})
    listeners["reviewer"].wait_for(status_changed(home["id"], "IN_REVIEW"))

    # The reviewer sends back the far and the unlocated photos.
    for photo in (far, no_gps):
        reviewer.ok(
            "POST",
            f"/api/v1/photos/{photo['id']}/review/",
            json={"decision": "reshoot", "reason": "Not taken at the property"},
        )
    reviewer.ok(
        "POST",
        f"/api/v1/photos/{reused['id']}/review/",
        json={"decision": "reject", "reason": "Photo of another property"},
    )
    reviewer.ok(
        "POST",
        f"/api/v1/properties/{home['id']}/request-revision/",
        json={"reason": "Re-shoot the living room and kitchen"},
    )
    listeners["agent"].wait_for(status_changed(home["id"], "INSPECTING"))

    # The agent re-shoots and completes again; the reviewer values the flat.
    living = upload(agent, home["id"], photo_taken_now(4, (PUNE[0], PUNE[1] + 0.001)), "LIVING")
    kitchen = upload(agent, home["id"], photo_taken_now(5, (PUNE[0] - 0.0005, PUNE[1])), "KITCHEN")
    for photo in (living, kitchen):
        event = listeners["agent"].wait_for(qc_completed(photo["id"]))
        assert event["qc_status"] == "PASS", event
    agent.ok("POST", f"/api/v1/properties/{home['id']}/complete/", json={})
    reviewer.ok(
        "POST",
        f"/api/v1/properties/{home['id']}/approve/",
        json={"valuation_amount": "8500000.00", "valuation_notes": "Comparable sales, Lane 5"},
    )
    listeners["client"].wait_for(status_changed(home["id"], "VALUED"))

    # The client sees the valuation and the whole history.
    valued = client.ok("GET", f"/api/v1/properties/{home['id']}/")
    assert (valued["status"], valued["valuation_amount"], valued["revision_count"]) == (
        "VALUED",
        "8500000.00",
        1,
    )
    history = client.ok("GET", f"/api/v1/properties/{home['id']}/history/")["results"]
    assert [(change["from_status"], change["to_status"]) for change in history] == [
        ("DRAFT", "SUBMITTED"),
        ("SUBMITTED", "ASSIGNED"),
        ("ASSIGNED", "INSPECTING"),
        ("INSPECTING", "IN_REVIEW"),
        ("IN_REVIEW", "INSPECTING"),
        ("INSPECTING", "IN_REVIEW"),
        ("IN_REVIEW", "VALUED"),
    ]
    assert history[4]["reason"] == "Re-shoot the living room and kitchen"
    photos = client.ok("GET", f"/api/v1/properties/{home['id']}/photos/")["results"]
    assert {photo["id"]: photo["qc_status"] for photo in photos}[near["id"]] == "PASS"
    # The valuation report (the worker makes it on approval; the request, if it comes first).
    report = client.get(f"/api/v1/properties/{home['id']}/report/")
    assert (report.status_code, report.headers["content-type"]) == (200, "application/pdf")
    assert report.content.startswith(b"%PDF-")
    assert agent.get(f"/api/v1/properties/{home['id']}/report/").status_code == 403
