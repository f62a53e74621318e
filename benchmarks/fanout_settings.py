"""Settings of the processes ``benchmarks.websocket_fanout`` starts, and of the benchmark itself
when run as a script: PropFlow's own, on the channel layer named by FANOUT_CHANNEL_LAYER
(``core`` or ``pubsub``) over PropFlow's Redis hosts, with Celery tasks run in-process so that a
run leaves no queued task in Redis."""

import os

from benchmarks.websocket_fanout import channel_layer
from propflow.settings import *  # noqa: F403
from propflow.settings import CHANNEL_LAYERS as PRODUCTION_LAYERS

CHANNEL_LAYERS = {
    "default": channel_layer(os.environ["FANOUT_CHANNEL_LAYER"], PRODUCTION_LAYERS["default"])
}
CELERY_TASK_ALWAYS_EAGER = True
