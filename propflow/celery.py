"""The Celery application: configured from Django settings (``CELERY_*``)."""

import logging
import os
from typing import Any

from celery import Celery, Task, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propflow.settings")

app = Celery("propflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


task_logger = logging.getLogger("propflow.task")


def _periodic_tasks() -> set[str]:
    return {entry["task"] for entry in app.conf.beat_schedule.values()}


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
