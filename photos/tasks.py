"""Photo tasks: thin, ids in, a service call each."""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from celery import Task, shared_task

from photos.decode_process import DecodeAbortedError
from photos.storage import TransientStorageError
from propflow.sms import sms_task

_P = ParamSpec("_P")
_R = TypeVar("_R")


def storage_task(
    name: str, *, also_retry_for: tuple[type[Exception], ...] = ()
) -> Callable[[Callable[_P, _R]], Task[_P, _R]]:
    """An idempotent task that reads or writes storage: acknowledged late (a worker killed
    mid-run leaves the message for another), retried with backoff while storage fails
    transiently (or one of ``also_retry_for`` is raised)."""
    return shared_task(
        name=name,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=(TransientStorageError, *also_retry_for),
        retry_backoff=2,
        retry_backoff_max=120,
        retry_jitter=True,
        max_retries=5,
    )


# Safe to run again: the service claims the photo with a conditional update.
@storage_task("photos.run_qc", also_retry_for=(DecodeAbortedError,))
def run_qc(*, photo_id: str) -> None:
    """Runs QC on one photo (see photos.services.photo_run_qc for its side effects); retries
    with backoff while storage fails transiently, or its decode went over its limits (until the
    service ends the photo ERROR at PHOTO_QC_MAX_ATTEMPTS)."""
    # Imported here, because the services import this module to queue the task.
    from photos.services import photo_run_qc

    photo_run_qc(photo_id=photo_id)


@shared_task(name="photos.requeue_stuck")
def requeue_stuck() -> None:
    """Re-queues QC of photos stuck in PENDING or RUNNING (run by beat every 5 minutes)."""
    from photos.services import photo_qc_requeue_stuck

    photo_qc_requeue_stuck()


@sms_task("photos.notify_reshoot")
def notify_reshoot(*, photo_id: str) -> None:
    """Asks for a re-shoot of one photo by SMS (see photos.services.photo_notify_reshoot);
    retries with backoff while the SMS provider refuses it."""
    from photos.services import photo_notify_reshoot

    photo_notify_reshoot(photo_id=photo_id)
