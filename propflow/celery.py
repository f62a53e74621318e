"""The Celery application: configured from Django settings (``CELERY_*``)."""

import logging
import os
from functools import cache, partial
from typing import Any

from celery import Celery, Task, signals
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propflow.settings")

app = Celery("propflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


task_logger = logging.getLogger("propflow.task")


def queue(task: Task[Any, Any], **kwargs: Any) -> bool:
    """Sends the task (ids in ``kwargs``); False, with a warning logged, when the broker cannot
    be reached: the change that asked for it has committed, and the sweep that covers the task,
    where there is one, sends it later."""
    try:
        task.delay(**kwargs)
    except OperationalError as error:
        task_logger.warning(
            "task %s not queued (the broker is unavailable): %s",
            task.name,
            error,
            extra={"task": task.name, "task_kwargs": kwargs},
        )
        return False
    return True


def queue_on_commit(task: Task[Any, Any], **kwargs: Any) -> None:
    """``queue`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(queue, task, **kwargs))


@cache
def _periodic_tasks() -> frozenset[str]:
    """The tasks of the beat schedule (read once: the schedule is settings)."""
    return frozenset(entry["task"] for entry in app.conf.beat_schedule.values())


@signals.task_postrun.connect
def log_task_run(
    task_id: str,
    task: Task[Any, Any],
    kwargs: dict[str, Any],
    state: str,
    retval: Any,
    **_: Any,
) -> None:
    """One log line per task run: name, id, final state and keyword arguments (ids only). A
    periodic sweep that found nothing to do (returned 0, every few seconds) logs at DEBUG."""
    idle_sweep = retval == 0 and task.name in _periodic_tasks()
    task_logger.log(
        logging.DEBUG if idle_sweep else logging.INFO,
        "task %s %s",
        task.name,
        state,
        extra={"task": task.name, "task_id": task_id, "state": state, "task_kwargs": kwargs},
    )
