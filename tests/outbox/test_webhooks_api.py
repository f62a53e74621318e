"""``/api/v1/webhooks/``: registration in every role, the secret shown once, and each endpoint
its owner's alone: another user's answers 404 and changes nothing."""

from typing import Any

import pytest

from outbox.models import WebhookDelivery, WebhookEndpoint, event_public_id
from outbox.services import event_record, webhook_create, webhooks_fan_out
from tests.cast import Cast
from tests.factories import PropertyFactory
from tests.support.webhook_receiver import NAMES

pytestmark = pytest.mark.django_db

WEBHOOKS = "/api/v1/webhooks/"
URL = "https://hooks.example.com/in"


@pytest.fixture(autouse=True)
def _public_name() -> None:
    NAMES["hooks.example.com"] = ["93.184.215.14"]


def endpoint_fields(endpoint: WebhookEndpoint) -> tuple[Any, ...]:
    endpoint.refresh_from_db()
    return (endpoint.url, endpoint.event_types, endpoint.description, endpoint.is_active)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("owner", 201),
        ("other_client", 201),
        ("assigned_agent", 403),
        ("reviewer", 201),
        ("admin", 201),
    ],
)
def test_who_may_register(cast: Cast, role: str, status: int) -> None:
    response = cast.client(role).post(
        WEBHOOKS, {"url": URL, "event_types": ["photo.qc_completed"]}, format="json"
    )

    assert response.status_code == status, response.json()
    if status != 201:
        assert not WebhookEndpoint.objects.exists()
        return
    body = response.json()
    assert set(body) == {
        "id",
        "url",
        "event_types",
        "description",
        "is_active",
        "secret",
        "created_at",
    }
    assert body["secret"].startswith("whsec_")


def test_the_secret_is_shown_only_at_registration_and_rotation(cast: Cast) -> None:
    owner = cast.client("owner")
    created = owner.post(WEBHOOKS, {"url": URL}, format="json").json()

    listed = owner.get(WEBHOOKS).json()["results"]
    shown = owner.get(f"{WEBHOOKS}{created['id']}/").json()
    rotated = owner.post(f"{WEBHOOKS}{created['id']}/rotate-secret/").json()

    assert [endpoint["id"] for endpoint in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in shown
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "http://hooks.example.com/in"}, "webhook_url_refused"),
        ({"url": "https://127.0.0.1/in"}, "webhook_url_refused"),
        ({"url": URL, "event_types": ["photo.deleted"]}, "unknown_event_type"),
        ({"url": URL, "event_types": "photo.reviewed"}, "invalid"),
        ({}, "invalid"),
    ],
)
def test_bad_registrations_are_refused(cast: Cast, body: dict[str, Any], code: str) -> None:
    response = cast.client("owner").post(WEBHOOKS, body, format="json")

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("owner", 200),
        ("other_client", 404),
        ("assigned_agent", 404),
        ("reviewer", 404),
        ("admin", 404),
    ],
)
def test_only_the_owner_reads_changes_or_deletes_its_endpoint(
    cast: Cast, role: str, status: int
) -> None:
    endpoint, _ = webhook_create(owner=cast.owner, url=URL, event_types=[])
    before = endpoint_fields(endpoint)
    client = cast.client(role)
    path = f"{WEBHOOKS}{endpoint.pk}/"

    answers = [
        client.get(path).status_code,
        client.get(f"{path}deliveries/").status_code,
        client.post(f"{path}rotate-secret/").status_code,
        client.patch(
            path, {"description": "changed", "is_active": False}, format="json"
        ).status_code,
    ]

    assert answers == [status] * 4
    if status != 200:
        assert endpoint_fields(endpoint) == before
        assert endpoint.secrets.count() == 1
        assert client.delete(path).status_code == status
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    else:
        assert endpoint_fields(endpoint) == (URL, [], "changed", False)
        assert client.delete(path).status_code == 204
        assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_and_redelivered_by_the_owner_only(cast: Cast) -> None:
    endpoint, _ = webhook_create(owner=cast.owner, url=URL, event_types=[])
    event = event_record(
        subject=PropertyFactory.create(owner=cast.owner), payload={"type": "photo.reviewed"}
    )
    webhooks_fan_out(event_id=event_public_id(event.seq))
    delivery = WebhookDelivery.objects.get()
    path = f"{WEBHOOKS}{endpoint.pk}/deliveries/"

    listed = cast.client("owner").get(path).json()["results"]

    def delivery_state() -> tuple[object, ...]:
        delivery.refresh_from_db()
        return (
            delivery.status,
            delivery.attempts,
            delivery.next_attempt_at,
            delivery.first_attempt_at,
        )

    before = delivery_state()
    refused = cast.client("other_client").post(f"{path}{delivery.pk}/redeliver/")
    assert delivery_state() == before
    redelivered = cast.client("owner").post(f"{path}{delivery.pk}/redeliver/")

    assert [(d["id"], d["event_type"], d["status"]) for d in listed] == [
        (str(delivery.pk), "photo.reviewed", "pending")
    ]
    assert set(listed[0]) == {
        "id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "response_status",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    }
    assert refused.status_code == 404
    assert redelivered.status_code == 200
    assert redelivered.json()["status"] == "pending"


def test_a_malformed_id_is_not_found(cast: Cast) -> None:
    response = cast.client("owner").get(f"{WEBHOOKS}{'x' * 36}/")

    assert response.status_code == 404
