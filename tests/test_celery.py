"""propflow.celery: queueing that survives a broker out of reach, and the task log (a line per
task run, at DEBUG for a periodic sweep that found nothing, so that beat's every few seconds do
not drown the log)."""

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery import Celery, Task
from django.db import transaction
from django.utils import timezone

from outbox.models import Event
from outbox.tasks import fan_out_webhooks, prune_events, retry_webhooks
from propflow.celery import queue, queue_on_commit
from tests.cast import Cast
from tests.factories import PropertyFactory
from tests.support.private_data import task_runs

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_task() -> Iterator[Task[Any, Any]]:
    """A task of an app whose broker is a real address where nothing listens."""
    app = Celery("propflow-unreachable", broker="redis://127.0.0.1:1/0", set_as_current=False)

    @app.task(name="tests.unreachable")
    def unreachable(**kwargs: Any) -> None:
        raise AssertionError("never runs: it cannot be queued")

    yield unreachable
    app.close()


def test_a_task_the_broker_cannot_take_is_logged_not_raised(unreachable_task, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="propflow.task")

    assert queue(unreachable_task, photo_id="p-1") is False

    [record] = [r for r in caplog.records if r.name == "propflow.task"]
    assert record.getMessage().startswith("task tests.unreachable not queued")
    assert getattr(record, "task_kwargs") == {"photo_id": "p-1"}  # noqa: B009 - extra= field


def test_queue_on_commit_waits_for_the_commit_and_survives_the_broker(
    unreachable_task, caplog, django_capture_on_commit_callbacks
) -> None:
    caplog.set_level(logging.WARNING, logger="propflow.task")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        queue_on_commit(unreachable_task, event_id="evt_1")
        assert [r for r in caplog.records if r.name == "propflow.task"] == []

    assert len(callbacks) == 1
    assert [r.getMessage()[:30] for r in caplog.records if r.name == "propflow.task"] == [
        "task tests.unreachable not que"
    ]


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
