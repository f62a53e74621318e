"""Fan-out of events to WebSocket listeners: N staff sockets on one real ASGI server process,
M QC-style events broadcast over Redis from this process, as a Celery worker broadcasts them.

    REDIS_URL=redis://127.0.0.1:6379/1 python -m benchmarks.websocket_fanout \
        [--clients 10,100,500] [--events 50] [--interval-ms 20]

The server is started as the end-to-end tests start it (tests/support/processes.py), on a throwaway
SQLite database in a temporary folder, with REDIS_URL for its channel layer. Each event goes
through ``propflow.realtime.broadcast.broadcast_on_commit`` to the staff group and carries the
time it was sent; a listener's latency is its receive time minus that (one machine, one clock).
"lost" is what had not arrived 10 s after the last event; "errors" counts the server log's error
lines (and channels-redis's "over capacity" notices, which mean dropped messages) during the
round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from benchmarks.stats import percentile
from tests.support.processes import asgi_server, embedded_environment

CONNECT_BATCH = 50
DRAIN_SECONDS = 10.0
WARM_UP = -1
ERROR_MARKERS = ('"level": "ERROR"', '"level": "CRITICAL"', "Traceback", "over capacity")


@dataclass
class Listener:
    connection: ClientConnection
    latencies_ms: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Round:
    clients: int
    events: int
    events_per_second: float
    delivered: int
    errors: int
    latencies_ms: list[float]

    @property
    def lost(self) -> int:
        return self.clients * self.events - self.delivered

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


def main() -> None:
    parser = argparse.ArgumentParser(description="WebSocket fan-out over Redis.")
    parser.add_argument("--clients", default="10,100,500", help="comma-separated listener counts")
    parser.add_argument("--events", type=int, default=50, help="events per round")
    parser.add_argument("--interval-ms", type=float, default=20, help="time between events")
    arguments = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        # Not a failure: `make benchmark` runs on the embedded default, which has no Redis.
        print(
            "websocket_fanout skipped: the fan-out goes through the Redis channel layer, so it "
            "needs REDIS_URL (REDIS_URL=redis://127.0.0.1:6379/1 make benchmark)."
        )
        return
    client_counts = [int(count) for count in arguments.clients.split(",")]

    with tempfile.TemporaryDirectory(prefix="propflow-fanout-") as folder:
        data_dir = Path(folder)
        environment = embedded_environment(data_dir, REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
        # This process shares the server's settings (its SQLite file, signing key and Redis), and
        # keeps its own log quiet.
        os.environ.update(environment, LOG_LEVEL="WARNING")
        import django

        django.setup()
        with asgi_server(environment) as base_url:
            tokens = staff_tokens(max(client_counts))
            ws_url = base_url.replace("http://", "ws://") + "/ws/events/"
            log = data_dir / "server.log"
            rounds = [
                asyncio.run(
                    run_round(ws_url, tokens[:count], arguments.events, arguments.interval_ms, log)
                )
                for count in client_counts
            ]
    print_table(rounds)


def staff_tokens(count: int) -> list[str]:
    """Access tokens of `count` new reviewers (rows written straight into the server's database)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Role, User

    users = [User(phone=f"+91970{index:07d}", role=Role.REVIEWER) for index in range(count)]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    return [str(AccessToken.for_user(user)) for user in users]


async def run_round(
    ws_url: str, tokens: list[str], event_count: int, interval_ms: float, log: Path
) -> Round:
    log_offset = log.stat().st_size
    listeners: list[Listener] = []
    for start in range(0, len(tokens), CONNECT_BATCH):
        batch = tokens[start : start + CONNECT_BATCH]
        listeners += await asyncio.gather(*(open_listener(ws_url, token) for token in batch))
    receivers = [asyncio.create_task(receive(listener)) for listener in listeners]

    # An untimed first event: this process's first broadcast loads the Redis client and its
    # thread pool (about 40 ms, once per process), which is not what a listener waits for.
    await asyncio.to_thread(broadcast, WARM_UP)
    await wait_until(lambda: all(WARM_UP in listener.latencies_ms for listener in listeners))
    started = time.monotonic()
    for sequence in range(event_count):
        # Paced by the clock, not by sleeping after each send: the rate is the one printed.
        await asyncio.sleep(max(0.0, started + sequence * interval_ms / 1000 - time.monotonic()))
        # In a thread, as from a Celery worker: sync code, no running event loop.
        await asyncio.to_thread(broadcast, sequence)
    await wait_until(
        lambda: all(len(listener.latencies_ms) == event_count + 1 for listener in listeners)
    )
    for task in receivers:
        task.cancel()
    await asyncio.gather(*(listener.connection.close() for listener in listeners))
    # Time for the server to log the closes, and any error they cause, before its log is read.
    await asyncio.sleep(0.5)

    with log.open() as server_log:
        server_log.seek(log_offset)
        errors = sum(
            any(marker in line for marker in ERROR_MARKERS) for line in server_log.readlines()
        )
    latencies = [
        latency
        for listener in listeners
        for sequence, latency in listener.latencies_ms.items()
        if sequence != WARM_UP
    ]
    return Round(len(tokens), event_count, 1000 / interval_ms, len(latencies), errors, latencies)


async def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def open_listener(ws_url: str, token: str) -> Listener:
    """A connected socket, proven to be listening: groups are joined before the server accepts,
    and the pong shows the server did not close it instead."""
    connection = await connect(f"{ws_url}?token={token}", proxy=None, open_timeout=30)
    await connection.send('{"action": "ping"}')
    answer = json.loads(await asyncio.wait_for(connection.recv(), timeout=30))
    if answer != {"type": "pong"}:
        raise RuntimeError(f"expected a pong, got {answer}")
    return Listener(connection)


async def receive(listener: Listener) -> None:
    async for message in listener.connection:
        received_at = time.time()
        event = json.loads(message)
        if event.get("type") == "photo.qc_completed":
            latency = (received_at - event["sent_at"]) * 1000
            listener.latencies_ms.setdefault(event["sequence"], latency)


def broadcast(sequence: int) -> None:
    """A photo.qc_completed event as the QC task sends it, numbered and timed."""
    from propflow.realtime.broadcast import STAFF_GROUP, broadcast_on_commit

    event: dict[str, Any] = {
        "type": "photo.qc_completed",
        "photo_id": str(uuid.uuid4()),
        "property_id": str(uuid.uuid4()),
        "qc_status": "PASS",
        "checks": [{"name": "resolution", "result": "pass", "detail": "4000x3000"}],
        "at": None,
        "sequence": sequence,
        "sent_at": time.time(),
    }
    # Outside a transaction, broadcast_on_commit sends at once.
    broadcast_on_commit([STAFF_GROUP], event)


def print_table(rounds: list[Round]) -> None:
    header = f"{'clients':>7} {'events':>6} {'per s':>5} {'delivered':>9} {'lost':>5}"
    print(f"{header} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for result in rounds:
        median = statistics.median(result.latencies_ms or [float("nan")])
        maximum = max(result.latencies_ms, default=float("nan"))
        print(
            f"{result.clients:>7} {result.events:>6} {result.events_per_second:>5.0f} "
            f"{result.delivered:>9} {result.lost:>5} {result.errors:>6} {median:>7.1f} "
            f"{result.percentile(0.99):>7.1f} {maximum:>7.1f}"
        )


if __name__ == "__main__":
    main()
