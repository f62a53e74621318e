"""Webhook delivery over HTTPS to a real TLS receiver on 127.0.0.1, under a name the test
resolver gives that address, with a test CA (WEBHOOK_CA_FILE) and certificates made here: the
name, not the address, is what TLS (SNI, the certificate) and the Host header see, and a
certificate that does not prove that name sends nothing."""

from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from outbox.models import DeliveryStatus, WebhookDelivery, event_public_id
from outbox.services import event_record, webhook_attempt, webhook_create, webhooks_fan_out
from tests.cast import Cast
from tests.factories import PropertyFactory
from tests.support.tls import CertificateAuthority
from tests.support.webhook_receiver import NAMES, Receiver, webhook_receiver

pytestmark = pytest.mark.django_db

HOST = "hooks.propflow-receiver.test"


@pytest.fixture
def authority(tmp_path: Path, settings) -> CertificateAuthority:
    """The CA the deliveries trust; the receiver's name resolves to 127.0.0.1 (allowed)."""
    ca = CertificateAuthority(tmp_path)
    settings.WEBHOOK_CA_FILE = str(ca.pem)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    NAMES[HOST] = ["127.0.0.1"]
    return ca


def deliver_once(cast: Cast, receiver: Receiver) -> tuple[WebhookDelivery, str]:
    _, secret = webhook_create(owner=cast.owner, url=receiver.url, event_types=[])
    event = event_record(
        subject=PropertyFactory.create(owner=cast.owner), payload={"type": "photo.reviewed"}
    )
    webhooks_fan_out(event_id=event_public_id(event.seq))
    delivery = WebhookDelivery.objects.get()
    webhook_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    return delivery, secret


def test_a_delivery_over_tls_is_signed_and_names_the_registered_host(
    cast: Cast, authority: CertificateAuthority
) -> None:
    with webhook_receiver(tls=authority.issue(HOST).server_context(), host=HOST) as receiver:
        delivery, secret = deliver_once(cast, receiver)

    assert (delivery.status, delivery.response_status) == (DeliveryStatus.DELIVERED, 204)
    [request] = receiver.received
    Webhook(secret).verify(request.body, request.headers)
    port = receiver.url.split(":")[2].split("/")[0]
    assert request.headers["host"] == f"{HOST}:{port}"
    assert receiver.server_names == [HOST]


@pytest.mark.parametrize("presented", ["another name", "an unknown CA"])
def test_a_certificate_that_does_not_prove_the_name_sends_nothing(
    cast: Cast, authority: CertificateAuthority, tmp_path: Path, presented: str
) -> None:
    if presented == "another name":
        certificate = authority.issue("elsewhere.propflow-receiver.test")
    else:
        unknown = tmp_path / "unknown"
        unknown.mkdir()
        certificate = CertificateAuthority(unknown, "Unknown CA").issue(HOST)

    with webhook_receiver(tls=certificate.server_context(), host=HOST) as receiver:
        delivery, _ = deliver_once(cast, receiver)

    assert (delivery.status, delivery.response_status) == (DeliveryStatus.RETRYING, None)
    assert delivery.last_error.startswith("SSLCertVerificationError:")
    assert receiver.received == []
