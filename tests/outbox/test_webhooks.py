"""Webhook delivery against a real local HTTP receiver: Standard Webhooks headers and signatures
(checked with the standardwebhooks package), retries on the schedule and Retry-After, 410,
rotation, idempotent attempts, and who receives what."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.models import User
from outbox import secrets
from outbox.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint, event_public_id
from outbox.services import (
    event_record,
    webhook_attempt,
    webhook_create,
    webhook_redeliver,
    webhook_rotate_secret,
    webhooks_fan_out,
    webhooks_retry_due,
)
from outbox.services.webhooks import QUEUE_LEASE
from properties.models import Property, Status
from tests.cast import Cast
from tests.factories import PropertyFactory
from tests.support.vision_stub import Reply
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def property(cast: Cast) -> Property:
    return PropertyFactory.create(
        owner=cast.owner, status=Status.ASSIGNED, assigned_agent=cast.assigned_agent
    )


def emit(property: Property, **payload: Any) -> Event:
    event = event_record(
        subject=property,
        payload={"type": "photo.reviewed", "detail": "for the owner", **payload},
        staff_payload={"type": "photo.reviewed", "detail": "for staff", **payload},
    )
    webhooks_fan_out(event_id=event_public_id(event.seq))
    return event


def register(user: User, receiver: Receiver, **options: Any) -> tuple[WebhookEndpoint, str]:
    return webhook_create(owner=user, url=receiver.url, event_types=[], **options)


def attempt(delivery: WebhookDelivery, *, seconds_later: float = 0) -> WebhookDelivery | None:
    delivery.refresh_from_db()
    due = (delivery.next_attempt_at or timezone.now()) + timedelta(seconds=seconds_later)
    return webhook_attempt(delivery_id=delivery.pk, now=due)


def test_a_delivery_is_signed_as_standard_webhooks_verifies(
    cast: Cast, property: Property, receiver: Receiver
) -> None:
    _, secret = register(cast.owner, receiver)
    event = emit(property)
    delivery = WebhookDelivery.objects.get()

    attempt(delivery)

    [request] = receiver.received
    assert request.headers["webhook-id"] == event_public_id(event.seq)
    assert request.headers["content-type"] == "application/json"
    verified = Webhook(secret).verify(request.body, request.headers)
    assert verified == {
        "id": event_public_id(event.seq),
        "type": "photo.reviewed",
        "detail": "for the owner",
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        DeliveryStatus.DELIVERED,
        1,
        204,
    )
    assert delivery.delivered_at is not None


def test_the_secret_is_kept_encrypted(cast: Cast, receiver: Receiver) -> None:
    endpoint, secret = register(cast.owner, receiver)

    [stored] = endpoint.secrets.all()
    assert secret.startswith("whsec_")
    assert secret not in stored.encrypted
    assert secrets.decrypt(stored.encrypted) == secret


def test_a_failing_receiver_is_retried_on_the_schedule_then_delivered(
    cast: Cast, property: Property, receiver: Receiver, settings
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800]
    register(cast.owner, receiver)
    receiver.queue(Reply(status=500), Reply(status=502))
    emit(property)
    delivery = WebhookDelivery.objects.get()

    attempt(delivery)
    delivery.refresh_from_db()
    first_at = delivery.first_attempt_at
    assert first_at is not None
    assert (delivery.status, delivery.response_status, delivery.last_error) == (
        DeliveryStatus.RETRYING,
        500,
        "HTTP 500",
    )
    assert delivery.next_attempt_at is not None
    assert timedelta(seconds=5) <= delivery.next_attempt_at - first_at <= timedelta(seconds=5.5)
    # Not due yet: nothing is sent.
    assert webhook_attempt(delivery_id=delivery.pk, now=first_at + timedelta(seconds=1)) is None

    attempt(delivery)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    assert timedelta(seconds=300) <= delivery.next_attempt_at - first_at <= timedelta(seconds=330)
    attempt(delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    ids = {request.headers["webhook-id"] for request in receiver.received}
    assert len(receiver.received) == 3
    assert len(ids) == 1  # the same id on every retry: receivers de-duplicate by it


def test_an_attempt_run_twice_sends_once(
    cast: Cast, property: Property, receiver: Receiver
) -> None:
    register(cast.owner, receiver)
    emit(property)
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()

    webhook_attempt(delivery_id=delivery.pk, now=now)
    repeated = webhook_attempt(delivery_id=delivery.pk, now=now)
    webhooks_fan_out(event_id=event_public_id(delivery.event_id))

    assert repeated is None
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.count() == 1


def test_retry_after_delays_the_next_attempt(
    cast: Cast, property: Property, receiver: Receiver
) -> None:
    register(cast.owner, receiver)
    receiver.queue(Reply(status=503, headers=(("Retry-After", "900"),)))
    emit(property)
    delivery = WebhookDelivery.objects.get()

    before = timezone.now()
    attempt(delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=900)


def test_the_last_failed_retry_fails_the_delivery(
    cast: Cast, property: Property, receiver: Receiver, settings
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [1]
    register(cast.owner, receiver)
    receiver.queue(Reply(status=500), Reply(status=500))
    emit(property)
    delivery = WebhookDelivery.objects.get()

    attempt(delivery)
    attempt(delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.FAILED,
        2,
        None,
    )
    assert webhooks_retry_due(now=timezone.now() + timedelta(days=1)) == 0


def test_the_sweep_queues_a_delivery_again_only_once_its_queued_task_counts_as_lost(
    cast: Cast, property: Property, receiver: Receiver
) -> None:
    """While the fan-out's task waits in the queue (here: it never runs), the sweep does not
    queue another, however often it runs; once that task counts as lost, it queues one."""
    register(cast.owner, receiver)
    emit(property)
    now = timezone.now()

    assert webhooks_retry_due(now=now) == 0
    assert webhooks_retry_due(now=now + timedelta(seconds=30)) == 0
    assert receiver.received == []
    assert webhooks_retry_due(now=now + QUEUE_LEASE + timedelta(seconds=1)) == 1
    assert webhooks_retry_due(now=now + QUEUE_LEASE + timedelta(seconds=2)) == 0

    delivery = WebhookDelivery.objects.get()  # the queued task ran at once (eager in tests)
    assert (delivery.status, delivery.attempts, delivery.queued_until) == (
        DeliveryStatus.DELIVERED,
        1,
        None,
    )
    assert len(receiver.received) == 1


def test_a_timeout_is_retried(cast: Cast, property: Property, receiver: Receiver, settings) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    register(cast.owner, receiver)
    receiver.queue(Reply(status=200, delay_seconds=5))
    emit(property)
    delivery = WebhookDelivery.objects.get()

    attempt(delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.response_status is None
    assert "timed out" in delivery.last_error


def test_an_answer_dribbled_a_byte_at_a_time_is_cut_off_at_the_timeout(
    cast: Cast, property: Property, receiver: Receiver, settings
) -> None:
    """Each byte comes well within the timeout, the whole answer long after it: the timeout is
    the attempt's, so the attempt gives up before the receiver has written everything."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    register(cast.owner, receiver)
    receiver.queue(Reply(status=200, body=b"x" * 100, dribble_seconds=0.05))
    emit(property)
    delivery = WebhookDelivery.objects.get()

    attempt(delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status, delivery.last_error) == (
        DeliveryStatus.RETRYING,
        None,
        "timed out after 0.5 s",
    )
    assert receiver.answered.get(timeout=30) is False  # cut off before the end of its answer


def test_410_switches_the_endpoint_off(cast: Cast, property: Property, receiver: Receiver) -> None:
    endpoint, _ = register(cast.owner, receiver)
    receiver.queue(Reply(status=410))
    emit(property)

    attempt(WebhookDelivery.objects.get())
    emit(property)

    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_reason
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == [DeliveryStatus.FAILED]


def test_a_rotated_secret_signs_beside_the_new_one_for_24_hours(
    cast: Cast, property: Property, receiver: Receiver, time_machine
) -> None:
    endpoint, old = register(cast.owner, receiver)
    new = webhook_rotate_secret(actor=cast.owner, endpoint_id=endpoint.pk)
    emit(property)
    attempt(WebhookDelivery.objects.get())
    [during] = receiver.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(during.body, during.headers)

    time_machine.move_to(timezone.now() + timedelta(hours=24, minutes=1))
    emit(property)
    attempt(WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).get())

    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)


def test_a_clients_endpoint_hears_only_its_own_properties_and_staff_hear_all(
    cast: Cast, property: Property, receiver: Receiver
) -> None:
    other_property = PropertyFactory.create(owner=cast.other_client, status=Status.SUBMITTED)
    owners, _ = register(cast.owner, receiver)
    others, _ = register(cast.other_client, receiver)
    staffs, _ = register(cast.reviewer, receiver)
    reviewed_only, _ = webhook_create(
        owner=cast.admin, url=receiver.url, event_types=["property.status_changed"]
    )

    emit(property)
    emit(other_property)

    heard = {
        endpoint.pk: sorted(
            WebhookDelivery.objects.filter(endpoint=endpoint).values_list(
                "event__property_id", flat=True
            )
        )
        for endpoint in (owners, others, staffs, reviewed_only)
    }
    assert heard == {
        owners.pk: [property.pk],
        others.pk: [other_property.pk],
        staffs.pk: sorted([property.pk, other_property.pk]),
        reviewed_only.pk: [],
    }
    staff_delivery = WebhookDelivery.objects.get(endpoint=staffs, event__property=property)
    attempt(staff_delivery)
    assert json.loads(receiver.received[-1].body)["detail"] == "for staff"


def test_redeliver_sends_a_delivered_one_again(
    cast: Cast, property: Property, receiver: Receiver
) -> None:
    endpoint, _ = register(cast.owner, receiver)
    emit(property)
    delivery = WebhookDelivery.objects.get()
    attempt(delivery)

    webhook_redeliver(actor=cast.owner, endpoint_id=endpoint.pk, delivery_id=delivery.pk)
    attempt(delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.received) == 2


def test_the_sweep_fans_out_an_event_whose_fan_out_task_was_lost(
    cast: Cast, property: Property, receiver: Receiver
) -> None:
    register(cast.owner, receiver)
    # Its fan-out task, queued after commit, never runs: this test never commits.
    event = event_record(subject=property, payload={"type": "photo.reviewed"})

    assert webhooks_retry_due(now=event.created_at + timedelta(seconds=29)) == 0
    assert webhooks_retry_due(now=event.created_at + timedelta(seconds=31)) == 1
    assert webhooks_retry_due(now=event.created_at + timedelta(seconds=32)) == 0

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event_id == event.seq
    event.refresh_from_db()
    assert event.fanned_out


def test_an_endpoint_registered_after_an_event_does_not_hear_it(
    cast: Cast, property: Property, receiver: Receiver
) -> None:
    event = event_record(subject=property, payload={"type": "photo.reviewed"})
    register(cast.owner, receiver)

    assert webhooks_fan_out(event_id=event_public_id(event.seq)) == 0
    assert not WebhookDelivery.objects.exists()
