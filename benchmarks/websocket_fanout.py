"""Fan-out of event-log events to staff WebSocket listeners on several real ASGI server processes,
with listeners that drop their socket and resume with ``after=`` during the run.

    REDIS_URL=redis://127.0.0.1:6379/1 [DATABASE_URL=postgres://…] \
        python -m benchmarks.websocket_fanout [--clients 10,100,1000] [--processes 2] \
        [--events 50] [--interval-ms 100] [--reconnect 100] [--layer core|pubsub] \
        [--client-processes 1]

The servers are started as the end-to-end tests start them (tests/support/processes.py), each
with a log of its own, all on one database (DATABASE_URL's, or a throwaway SQLite file) and
REDIS_URL, with settings of their own (``benchmarks.fanout_settings``) that choose the channel
layer. Listeners are reviewers (staff), spread over the servers in turn, held by
``--client-processes`` client processes (their sockets shared out in turn).

Each event is a real one: ``outbox.services.event_record`` writes its row in a committed
transaction, from sync code as a Celery worker does, and broadcasts it after commit. The time
of the commit is kept in this process (a side table, by event id: an on-commit callback queued
before the event's own broadcast); a listener's latency is its receive time minus that (one
machine, one clock). An untimed first event warms each process's path.

After a third of the events, ``--reconnect`` listeners (at most half of them) abort their
socket (no close handshake, as when a phone loses its network); after five more events they
reconnect with ``after=<the last id they received>``. For them, "r lost" is an event they never
received and "r dup" one they received twice, replayed or live; they are left out of the
latencies, which are of the listeners that stayed connected. "lost" overall is what had not
arrived 10 s after the last event; "errors" counts the servers' error lines (and channels-redis's
"over capacity" notices, which mean dropped messages) and the sockets that failed to open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from benchmarks.stats import percentile
from tests.support.processes import asgi_server, embedded_environment

CONNECT_BATCH = 50
DRAIN_SECONDS = 10.0
# The reconnecting listeners drop their socket after this share of the events, and are away
# for this many events.
DROP_AT = 1 / 3
AWAY_EVENTS = 5
ERROR_MARKERS = ('"level": "ERROR"', '"level": "CRITICAL"', "Traceback", "over capacity")
LAYER_BACKENDS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
# The core layer drops messages silently beyond a channel's capacity (channels-redis's default
# is 100).
CORE_CAPACITY = 1000
SETTINGS_MODULE = "benchmarks.fanout_settings"
PHONE_PREFIX = "+91970"


def channel_layer(layer: str, production: dict[str, Any]) -> dict[str, Any]:
    """The production channel layer's Redis hosts on the named backend."""
    config: dict[str, Any] = {"hosts": production["CONFIG"]["hosts"]}
    if layer == "core":
        config["capacity"] = CORE_CAPACITY
    return {"BACKEND": LAYER_BACKENDS[layer], "CONFIG": config}


@dataclass(frozen=True)
class Round:
    clients: int
    processes: int
    layer: str
    events: int
    events_per_second: float
    delivered: int
    duplicated: int
    reconnected: int
    reconnected_lost: int
    reconnected_duplicated: int
    errors: int
    latencies_ms: list[float]

    @property
    def lost(self) -> int:
        return self.clients * self.events - self.delivered

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


@dataclass(frozen=True)
class Heard:
    """What one listener received: (event id, receive time) in order of arrival."""

    reconnected: bool
    messages: list[tuple[str, float]]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="WebSocket fan-out of event-log events.")
    parser.add_argument("--clients", default="10,100,1000", help="comma-separated listener counts")
    parser.add_argument("--processes", type=int, default=2, help="web server processes")
    parser.add_argument("--events", type=int, default=50, help="events per round")
    parser.add_argument("--interval-ms", type=float, default=100, help="time between events")
    parser.add_argument("--reconnect", type=int, default=100, help="listeners that reconnect")
    parser.add_argument("--layer", choices=sorted(LAYER_BACKENDS), default="pubsub")
    parser.add_argument("--client-processes", type=int, default=1, help="processes of listeners")
    arguments = parser.parse_args(argv)
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        # Not a failure: `make benchmark` runs on the embedded default, which has no Redis.
        print(
            "websocket_fanout skipped: the fan-out goes through the Redis channel layer, so it "
            "needs REDIS_URL (REDIS_URL=redis://127.0.0.1:6379/1 make benchmark)."
        )
        return
    with tempfile.TemporaryDirectory(prefix="propflow-fanout-") as folder:
        data_dir = Path(folder)
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'fanout.sqlite3'}"
        environment = embedded_environment(
            data_dir,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
            FANOUT_CHANNEL_LAYER=arguments.layer,
        )
        # This process shares the servers' settings (database, signing key and Redis), and keeps
        # its own log quiet.
        os.environ.update(environment, LOG_LEVEL="WARNING")
        import django

        django.setup()
        rounds = measure(
            data_dir,
            environment,
            client_counts=[int(count) for count in arguments.clients.split(",")],
            processes=arguments.processes,
            layer=arguments.layer,
            event_count=arguments.events,
            interval_ms=arguments.interval_ms,
            reconnect=arguments.reconnect,
            client_processes=arguments.client_processes,
        )
    print_table(rounds)


def measure(
    data_dir: Path,
    environment: dict[str, str],
    *,
    client_counts: list[int],
    processes: int,
    layer: str,
    event_count: int,
    interval_ms: float,
    reconnect: int,
    client_processes: int,
) -> list[Round]:
    """A round per listener count on `processes` servers started in `environment` (its
    DATABASE_URL must be this process's database), the events written by this process on the
    same layer; every row it wrote is deleted at the end."""
    from django.conf import settings
    from django.test import override_settings

    server_environment = dict(
        environment, DJANGO_SETTINGS_MODULE=SETTINGS_MODULE, FANOUT_CHANNEL_LAYER=layer
    )
    writer_layers = {"default": channel_layer(layer, settings.CHANNEL_LAYERS["default"])}
    with ExitStack() as stack:
        logs = []
        ws_urls = []
        for index in range(processes):
            server_dir = data_dir / f"server-{index}"
            server_dir.mkdir()
            base_url = stack.enter_context(
                asgi_server(dict(server_environment, DATA_DIR=str(server_dir)))
            )
            ws_urls.append(base_url.replace("http://", "ws://") + "/ws/events/")
            logs.append(server_dir / "server.log")
        stack.enter_context(override_settings(CHANNEL_LAYERS=writer_layers))
        subject, tokens = stack.enter_context(listeners_and_subject(max(client_counts)))
        return [
            run_round(
                ws_urls,
                tokens[:count],
                subject,
                Pacing(event_count, interval_ms, min(reconnect, count // 2)),
                logs,
                client_processes=client_processes,
                layer=layer,
            )
            for count in client_counts
        ]


@contextmanager
def listeners_and_subject(count: int) -> Iterator[tuple[Any, list[str]]]:
    """A property of a new client, and access tokens of `count` new reviewers; deletes them and
    the events about the property at the end."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Role, User
    from outbox.models import Event
    from properties.models import Property, PropertyType

    owner = User.objects.create(phone=f"{PHONE_PREFIX}9999999", role=Role.CLIENT)
    subject = Property.objects.create(
        owner=owner,
        property_type=PropertyType.APARTMENT,
        address="1 Fan-out Road",
        city="Pune",
        area_sqft=950,
    )
    users = [User(phone=f"{PHONE_PREFIX}{index:07d}", role=Role.REVIEWER) for index in range(count)]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    try:
        yield subject, [str(AccessToken.for_user(user)) for user in users]
    finally:
        Event.objects.filter(property_id=subject.pk).delete()
        subject.delete()
        User.objects.filter(pk__in=[owner.pk, *(user.pk for user in users)]).delete()


@dataclass(frozen=True)
class Pacing:
    events: int
    interval_ms: float
    reconnect: int

    @property
    def drop_at(self) -> int:
        return int(self.events * DROP_AT)


def run_round(
    ws_urls: list[str],
    tokens: list[str],
    subject: Any,
    pacing: Pacing,
    logs: list[Path],
    *,
    client_processes: int,
    layer: str,
) -> Round:
    log_offsets = [log.stat().st_size for log in logs]
    # The reconnecting listeners are spread evenly over the list, hence over servers and clients.
    step = len(tokens) / pacing.reconnect if pacing.reconnect else 0
    reconnecting = {int(index * step) for index in range(pacing.reconnect)}
    context = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    clients = []
    for number in range(client_processes):
        indexes = range(number, len(tokens), client_processes)
        ours, theirs = context.Pipe()
        clients.append(
            context.Process(
                target=listen_in_process,
                args=(
                    [ws_urls[index % len(ws_urls)] for index in indexes],
                    [tokens[index] for index in indexes],
                    [position for position, index in enumerate(indexes) if index in reconnecting],
                    theirs,
                ),
            )
        )
        pipes.append(ours)
    for client in clients:
        client.start()
    try:
        for pipe in pipes:
            pipe.recv()  # their sockets are open
        committed: dict[str, float] = {}
        # Untimed: each process's first broadcast loads its Redis client and thread pool.
        warm_up = write_event(subject, committed)
        command(pipes, ("wait", [warm_up]))
        ids = []
        started = time.monotonic()
        for sequence in range(pacing.events):
            # Paced by the clock, not by sleeping after each event: the rate is the one printed.
            time.sleep(max(0.0, started + sequence * pacing.interval_ms / 1000 - time.monotonic()))
            if pacing.reconnect and sequence == pacing.drop_at:
                command(pipes, ("drop",), answer=False)
            if pacing.reconnect and sequence == pacing.drop_at + AWAY_EVENTS:
                command(pipes, ("reconnect",), answer=False)
            ids.append(write_event(subject, committed))
        command(pipes, ("wait", ids))
        answers = command(pipes, ("finish",))
    finally:
        for client in clients:
            client.join(timeout=30)
            if client.is_alive():
                client.kill()
    # Time for the servers to log the closes, and any error they cause, before their logs are read.
    time.sleep(0.5)
    heard = [listener for _, listeners in answers for listener in listeners]
    errors = sum(failures for failures, _ in answers) + sum(
        error_lines(log, offset) for log, offset in zip(logs, log_offsets, strict=True)
    )
    return tally(heard, ids, committed, pacing, errors, processes=len(ws_urls), layer=layer)


def tally(
    heard: list[Heard],
    ids: list[str],
    committed: dict[str, float],
    pacing: Pacing,
    errors: int,
    *,
    processes: int,
    layer: str,
) -> Round:
    timed = set(ids)
    delivered = duplicated = reconnected_lost = reconnected_duplicated = 0
    latencies: list[float] = []
    for listener in heard:
        received = [event_id for event_id, _ in listener.messages if event_id in timed]
        unique = set(received)
        delivered += len(unique)
        duplicated += len(received) - len(unique)
        if listener.reconnected:
            reconnected_lost += len(timed - unique)
            reconnected_duplicated += len(received) - len(unique)
            continue
        first: dict[str, float] = {}
        for event_id, received_at in listener.messages:
            first.setdefault(event_id, received_at)
        latencies += [(first[event_id] - committed[event_id]) * 1000 for event_id in unique]
    return Round(
        clients=len(heard),
        processes=processes,
        layer=layer,
        events=pacing.events,
        events_per_second=1000 / pacing.interval_ms,
        delivered=delivered,
        duplicated=duplicated,
        reconnected=pacing.reconnect,
        reconnected_lost=reconnected_lost,
        reconnected_duplicated=reconnected_duplicated,
        errors=errors,
        latencies_ms=latencies,
    )


def command(pipes: list[Connection], message: tuple[Any, ...], *, answer: bool = True) -> list[Any]:
    """Sends the command to every client process; their answers, unless answer=False."""
    for pipe in pipes:
        pipe.send(message)
    return [pipe.recv() for pipe in pipes] if answer else []


def write_event(subject: Any, committed: dict[str, float]) -> str:
    """A photo.qc_completed event about the subject, committed; its id. Its commit time goes
    into `committed`, from a callback that runs before the event's broadcast (queued first)."""
    from django.db import transaction

    from outbox.models import event_public_id
    from outbox.services import event_record

    event_id = ""
    with transaction.atomic():
        transaction.on_commit(lambda: committed.__setitem__(event_id, time.time()))
        event = event_record(
            subject=subject,
            payload={
                "type": "photo.qc_completed",
                "photo_id": "00000000-0000-0000-0000-000000000000",
                "property_id": str(subject.pk),
                "qc_status": "PASS",
                "checks": [{"name": "resolution", "result": "pass", "detail": "4000x3000"}],
                "at": None,
            },
        )
        event_id = event_public_id(event.seq)
    return event_id


def error_lines(log: Path, offset: int) -> int:
    with log.open() as server_log:
        server_log.seek(offset)
        return sum(any(marker in line for marker in ERROR_MARKERS) for line in server_log)


# --- The client processes --------------------------------------------------------------------


@dataclass
class Listener:
    url: str
    token: str
    reconnects: bool
    messages: list[tuple[str, float]] = field(default_factory=list)
    connection: ClientConnection | None = None
    reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Connects (with ``after=`` the last event received, if any) and waits for the pong:
        groups are joined and the replay sent before the server answers a ping."""
        query = f"?token={self.token}"
        if self.messages:
            query += f"&after={self.messages[-1][0]}"
        self.connection = await connect(self.url + query, proxy=None, open_timeout=30)
        pong = asyncio.Event()
        self.reader = asyncio.create_task(self.read(self.connection, pong))
        await self.connection.send('{"action": "ping"}')
        await asyncio.wait_for(pong.wait(), timeout=30)

    async def read(self, connection: ClientConnection, pong: asyncio.Event) -> None:
        try:
            async for message in connection:
                received_at = time.time()
                event = json.loads(message)
                if event.get("type") == "pong":
                    pong.set()
                elif "id" in event:
                    self.messages.append((event["id"], received_at))
        except ConnectionClosed:
            return

    def drop(self) -> None:
        """The socket is gone without a close handshake."""
        assert self.connection is not None
        assert self.reader is not None
        self.reader.cancel()
        self.connection.transport.abort()

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.connection is not None:
            await self.connection.close()


def listen_in_process(
    urls: list[str], tokens: list[str], reconnecting: list[int], pipe: Connection
) -> None:
    """A client process: its listeners, driven by the benchmark's commands over the pipe."""
    listeners = [
        Listener(url, token, reconnects=index in reconnecting)
        for index, (url, token) in enumerate(zip(urls, tokens, strict=True))
    ]
    asyncio.run(listen(listeners, pipe))


async def listen(listeners: list[Listener], pipe: Connection) -> None:
    """Opens the sockets and says so, then obeys: ``wait`` until every listener
    has the ids (at most DRAIN_SECONDS), ``drop`` and ``reconnect`` the reconnecting ones,
    ``finish``: close all and answer how many sockets failed to open in all, and what each
    listener heard."""
    failures = await open_all(listeners)
    pipe.send(None)
    reconnecting = [listener for listener in listeners if listener.reconnects]
    while True:
        message = await asyncio.to_thread(pipe.recv)
        match message:
            case ("wait", ids):
                await wait_until(
                    lambda: all(set(ids) <= {m[0] for m in lst.messages} for lst in listeners)
                )
                pipe.send(None)
            case ("drop",):
                for listener in reconnecting:
                    listener.drop()
            case ("reconnect",):
                failures += await open_all(reconnecting)
            case ("finish",):
                await asyncio.gather(*(listener.close() for listener in listeners))
                heard = [Heard(listener.reconnects, listener.messages) for listener in listeners]
                pipe.send((failures, heard))
                return


async def open_all(listeners: list[Listener]) -> int:
    """Opens the listeners' sockets, some at a time; how many failed."""
    failed = 0
    for start in range(0, len(listeners), CONNECT_BATCH):
        batch = listeners[start : start + CONNECT_BATCH]
        results = await asyncio.gather(
            *(listener.open() for listener in batch), return_exceptions=True
        )
        failed += sum(isinstance(result, BaseException) for result in results)
    return failed


async def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def print_table(rounds: list[Round]) -> None:
    print(
        f"{'clients':>7} {'procs':>5} {'layer':>6} {'events':>6} {'per s':>5} {'delivered':>9} "
        f"{'lost':>5} {'dup':>4} {'reconn':>6} {'r lost':>6} {'r dup':>5} {'errors':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for result in rounds:
        median = statistics.median(result.latencies_ms or [float("nan")])
        maximum = max(result.latencies_ms, default=float("nan"))
        print(
            f"{result.clients:>7} {result.processes:>5} {result.layer:>6} {result.events:>6} "
            f"{result.events_per_second:>5.0f} {result.delivered:>9} {result.lost:>5} "
            f"{result.duplicated:>4} {result.reconnected:>6} {result.reconnected_lost:>6} "
            f"{result.reconnected_duplicated:>5} {result.errors:>6} {median:>7.1f} "
            f"{result.percentile(0.99):>7.1f} {maximum:>7.1f}"
        )


if __name__ == "__main__":
    main()
