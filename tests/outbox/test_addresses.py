"""SSRF: https to public addresses only, checked at registration and again at delivery on the
resolved address, names resolving to private ones refused (through the test resolver)."""

import ipaddress

import pytest
from django.utils import timezone

from outbox.addresses import is_public
from outbox.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, event_public_id
from outbox.services import event_record, webhook_attempt, webhook_create, webhooks_fan_out
from propflow.errors import InvalidInputError
from tests.cast import Cast
from tests.factories import PropertyFactory
from tests.support.webhook_receiver import NAMES, Receiver

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",  # not https
        "ftp://hooks.example.com/in",
        "https://127.0.0.1/in",
        "https://localhost/in",
        "https://10.0.0.8/in",
        "https://172.16.4.1/in",
        "https://192.168.1.1/in",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/in",  # shared address space (CGNAT)
        "https://0.0.0.0/in",
        "https://224.0.0.1/in",
        "https://[::1]/in",
        "https://[::ffff:127.0.0.1]/in",
        "https://[fe80::1]/in",
        "https://[fd00:ec2::254]/in",
        "https://[2002:7f00:1::]/in",  # 6to4 of 127.0.0.1
        "https://internal.example.com/in",  # resolves to a private address
        "https://split.example.com/in",  # one public and one private address
        "https://nowhere.example.com/in",  # does not resolve
        "https://user:pass@hooks.example.com/in",
        "https://hooks.example.com:99999/in",
        "not a url",
        "https://bad\x00name.example.com/in",
        "https://[::1/in",
    ],
)
def test_a_url_that_is_not_https_to_a_public_address_is_refused(cast: Cast, url: str) -> None:
    NAMES.update(
        {
            "hooks.example.com": [PUBLIC],
            "localhost": ["127.0.0.1", "::1"],
            "internal.example.com": ["10.20.30.40"],
            "split.example.com": [PUBLIC, "192.168.0.5"],
        }
    )

    with pytest.raises(InvalidInputError) as refused:
        webhook_create(owner=cast.owner, url=url, event_types=[])

    assert refused.value.code == "webhook_url_refused"
    assert not WebhookEndpoint.objects.exists()


def test_a_public_https_url_is_accepted(cast: Cast) -> None:
    NAMES["hooks.example.com"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]

    endpoint, _ = webhook_create(
        owner=cast.owner, url="https://hooks.example.com/in?x=1", event_types=[]
    )

    assert endpoint.url == "https://hooks.example.com/in?x=1"


def test_a_name_that_resolves_to_a_private_address_at_delivery_is_not_contacted(
    cast: Cast, receiver: Receiver, settings
) -> None:
    """Registered while public; at delivery it resolves to the receiver on 127.0.0.1 (a DNS
    rebinding): refused, nothing sent, retried later."""
    NAMES["rebind.example.com"] = [PUBLIC]
    endpoint, _ = webhook_create(
        owner=cast.owner, url="https://rebind.example.com/hooks", event_types=[]
    )
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    NAMES["rebind.example.com"] = ["127.0.0.1"]
    property = PropertyFactory.create(owner=cast.owner)
    event = event_record(subject=property, payload={"type": "photo.reviewed"})
    webhooks_fan_out(event_id=event_public_id(event.seq))

    webhook_attempt(delivery_id=WebhookDelivery.objects.get().pk, now=timezone.now())

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_error.startswith("refused: The host rebind.example.com resolves to")
    assert receiver.received == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("100.100.100.200", False),
        ("ff02::1", False),
        ("2001::1", False),  # Teredo: judged by its embedded IPv4 address
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public
