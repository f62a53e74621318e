"""benchmarks/webhook_delivery.py at a tiny size on the real services: every delivery arrives
once, signed, the failing endpoint's retries counted, and nothing left behind."""

import pytest
from celery import current_app

from benchmarks import webhook_delivery
from outbox.models import Event, WebhookDelivery
from properties.models import Property
from tests.support.processes import needs_postgresql_and_redis

pytestmark = [pytest.mark.services, needs_postgresql_and_redis]


@pytest.mark.django_db(transaction=True)
def test_every_delivery_arrives_once_signed_through_a_worker_and_beat(capsys) -> None:
    current_app.conf.task_always_eager = False  # the worker it starts makes the attempts

    webhook_delivery.main(
        ["--events", "3", "--endpoints", "3", "--workers", "1", "--timeout", "120"]
    )

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| events | endpoints | deliveries | attempts |")
    cells = lines[2].strip("| ").split(" | ")
    # 3 events to 3 endpoints; the failing one takes 3 attempts a delivery, 2 of them refused.
    assert cells[:5] == ["3", "3", "9", "15", "6"]
    assert cells[9:] == ["0", "0", "0"]  # invalid signatures, duplicates, missing
    assert len(lines) == 3  # no FAILED line
    assert (Property.objects.count(), Event.objects.count(), WebhookDelivery.objects.count()) == (
        0,
        0,
        0,
    )
