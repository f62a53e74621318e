"""The embedded default's beat. Without a broker (``CELERY_TASK_ALWAYS_EAGER``) no beat process
runs, so the ASGI server runs Celery beat's own scheduler on ``CELERY_BEAT_SCHEDULE`` while it
serves: the webhook retries, the stuck-photo sweep, the event log's pruning and the token flush.

Each tick runs in a worker thread, where the due tasks run in-process as every task of the
embedded default does; their broadcasts go back through the server's event loop to its
in-memory channel layer. Started and stopped by the ASGI lifespan protocol (uvicorn's
``--lifespan on``); with a broker, a beat process of its own does this and the lifespan does
nothing.
"""

import asyncio
import logging
from contextlib import suppress
from typing import Any

from asgiref.sync import sync_to_async
from celery.beat import Scheduler
from django.conf import settings
from django.db import close_old_connections

from propflow.celery import app as celery_app

logger = logging.getLogger(__name__)

# The longest sleep between ticks: a schedule's first entry may be hours away.
MAX_SLEEP_SECONDS = 60.0

Scope = dict[str, Any]


async def lifespan(scope: Scope, receive: Any, send: Any) -> None:
    """The ASGI lifespan application: starts the scheduler at start-up when tasks run
    in-process, stops it at shutdown (uvicorn's Ctrl-C), a tick under way finishing first."""
    runner: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.CELERY_TASK_ALWAYS_EAGER:
                runner = asyncio.create_task(_run(Scheduler(app=celery_app)))
                logger.info("embedded beat started: %s", ", ".join(settings.CELERY_BEAT_SCHEDULE))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if runner is not None:
                runner.cancel()
                with suppress(asyncio.CancelledError):
                    await runner
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _run(scheduler: Scheduler) -> None:
    while True:
        # Not thread-sensitive: a slow task (a webhook's attempt) must not hold up the requests
        # that run in the server's one sync thread.
        seconds = await sync_to_async(_tick, thread_sensitive=False)(scheduler)
        await asyncio.sleep(min(seconds, MAX_SLEEP_SECONDS))


def _tick(scheduler: Scheduler) -> float:
    """Runs the due entries (a failing task is logged by the scheduler, and the next tick comes
    as planned); the seconds until the next is due."""
    close_old_connections()
    try:
        return float(scheduler.tick())
    finally:
        close_old_connections()
