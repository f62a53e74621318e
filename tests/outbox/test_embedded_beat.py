"""The embedded default retries webhooks with nothing more than its server: the ASGI server on
SQLite and in-process tasks, as `make run` starts it, a real receiver that fails the first
attempt, and the retry that beat makes, run by the server's own scheduler
(propflow.embedded_beat)."""

import time
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from tests.support.live_clients import ApiUser
from tests.support.processes import asgi_server, embedded_environment
from tests.support.vision_stub import Reply
from tests.support.webhook_receiver import Receiver, webhook_receiver

RETRY_WAIT_SECONDS = 30
PROPERTY = {
    "property_type": "APARTMENT",
    "address": "12 Retry Road",
    "city": "Pune",
    "postal_code": "411001",
    "area_sqft": "900.00",
    "latitude": 18.5362,
    "longitude": 73.8940,
}


def wait_for_requests(receiver: Receiver, count: int) -> None:
    deadline = time.monotonic() + RETRY_WAIT_SECONDS
    while len(receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_the_embedded_server_retries_a_failed_delivery(tmp_path: Path) -> None:
    sms_dir = tmp_path / "sms"
    environment = embedded_environment(
        tmp_path,
        SMS_BACKEND="file",
        SMS_FILE_PATH=str(sms_dir),
        # The receiver is on 127.0.0.1, over http; retry after a second, swept every half.
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true",
        WEBHOOK_RETRY_SCHEDULE="1",
        WEBHOOK_SWEEP_SECONDS="0.5",
    )
    with webhook_receiver() as receiver, asgi_server(environment) as base_url:
        receiver.queue(Reply(status=500, body=b""))
        client = ApiUser(base_url, sms_dir, "+919876500001")
        endpoint = client.ok(
            "POST",
            "/api/v1/webhooks/",
            201,
            json={"url": receiver.url, "event_types": ["property.status_changed"]},
        )
        property_id = client.ok("POST", "/api/v1/properties/", 201, json=PROPERTY)["id"]
        client.ok("POST", f"/api/v1/properties/{property_id}/submit/")
        wait_for_requests(receiver, 2)
        deliveries = client.ok("GET", f"/api/v1/webhooks/{endpoint['id']}/deliveries/")["results"]

    # Ctrl-C's path: the scheduler stopped and the server finished its shutdown.
    assert "Application shutdown complete." in (tmp_path / "server.log").read_text()
    first, retry = receiver.received
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    event = Webhook(endpoint["secret"]).verify(retry.body, retry.headers)
    assert (event["type"], event["property_id"], event["to"]) == (
        "property.status_changed",
        property_id,
        "SUBMITTED",
    )
    assert [(d["status"], d["attempts"], d["response_status"]) for d in deliveries] == [
        ("delivered", 2, 204)
    ]
