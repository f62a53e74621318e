"""The task log (propflow.celery): a line per task run, at DEBUG for a periodic sweep that found
nothing, so that the beat's every few seconds do not drown the log."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from outbox.models import Event
from outbox.tasks import fan_out_webhooks, prune_events, retry_webhooks
from tests.cast import Cast
from tests.factories import PropertyFactory
from tests.support.private_data import task_runs

pytestmark = pytest.mark.django_db


def task_levels(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int]]:
    return [
        (getattr(record, "task"), record.levelno)  # noqa: B009 - an extra= field
        for record in caplog.records
        if record.name == "propflow.task"
    ]


def test_an_idle_sweep_logs_at_debug_and_other_tasks_at_info(caplog, cast: Cast) -> None:
    property = PropertyFactory.create(owner=cast.owner)
    Event.objects.create(
        type="photo.reviewed",
        property=property,
        owner=cast.owner,
        payload={},
        created_at=timezone.now() - timedelta(days=400),
    )
    caplog.set_level(logging.DEBUG, logger="propflow.task")

    retry_webhooks.delay()  # periodic, nothing due: 0
    prune_events.delay()  # periodic, one event pruned: 1
    fan_out_webhooks.delay(event_id="evt_0000000000000001")  # no such event: 0, not periodic

    assert task_levels(caplog) == [
        ("outbox.retry_webhooks", logging.DEBUG),
        ("outbox.prune_events", logging.INFO),
        ("outbox.fan_out_webhooks", logging.INFO),
    ]
    assert [name for name, _ in task_runs(caplog)] == [
        "outbox.retry_webhooks",
        "outbox.prune_events",
        "outbox.fan_out_webhooks",
    ]
