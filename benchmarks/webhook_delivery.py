"""Webhook delivery at throughput: events recorded through the real service reach a real local
receiver through a real Celery worker and the retry sweep of a real beat, on PostgreSQL and
Redis.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python -m benchmarks.webhook_delivery \
        [--events 1000] [--endpoints 10] [--workers 2] [--timeout 600]

A client registers ``--endpoints`` endpoints on a receiver in this process (threads, one per
connection); the first answers 500 to the first two attempts of every delivery. ``--events``
events about the client's property are recorded by ``outbox.services.event_record``, each in a
committed transaction, so that the fan-out task runs as in production. A prefork worker of
``--workers`` processes makes the attempts; beat queues the retries (``outbox.retry_webhooks``)
every 0.5 s (WEBHOOK_SWEEP_SECONDS) on WEBHOOK_RETRY_SCHEDULE 1,2,4,8,16,32, both set for the
run. Every answer's signature is verified with standardwebhooks as it arrives.

Prints a table: events, endpoints, deliveries, attempts, failed-first attempts (the 500s), the
time from the first commit to the last delivery, deliveries per second, p50/p99 of an event's
commit to its arrival at the healthy endpoints, invalid signatures, duplicates (a delivery
accepted twice) and missing ones. Fails (exit status 1) unless every delivery is delivered once
in the database and at the receiver, signed, and the failing endpoint's extra attempts counted.
Its rows are deleted at the end; a database that already holds properties is refused.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from benchmarks.stats import percentile
from tests.support.vision_stub import Reply
from tests.support.webhook_receiver import Received

FAILURES_PER_DELIVERY = 2  # of the failing endpoint, before it accepts
SWEEP_SECONDS = "0.5"
RETRY_SCHEDULE = "1,2,4,8,16,32"
ACCEPTED = Reply(status=204, body=b"")
REFUSED = Reply(status=500, body=b"")


@dataclass
class Policy:
    """How the receiver answers: checks each request's signature, refuses the failing
    endpoint's first attempts, and notes what it accepted."""

    verifiers: dict[str, Webhook]  # path -> its endpoint's secret
    failing_path: str
    refused: Counter[str] = field(default_factory=Counter)  # webhook-id -> 500s sent
    accepted: list[Received] = field(default_factory=list)
    invalid_signatures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, received: Received) -> Reply:
        verifier = self.verifiers.get(received.path)
        try:
            if verifier is None:
                raise WebhookVerificationError("no endpoint at this path")
            verifier.verify(received.body, received.headers)
        except WebhookVerificationError:
            with self._lock:
                self.invalid_signatures += 1
            return REFUSED
        message_id = received.headers["webhook-id"]
        with self._lock:
            if (
                received.path == self.failing_path
                and self.refused[message_id] < FAILURES_PER_DELIVERY
            ):
                self.refused[message_id] += 1
                return REFUSED
            self.accepted.append(received)
        return ACCEPTED


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Webhook deliveries per second, end to end.")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="the worker's prefork processes")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for all")
    arguments = parser.parse_args(argv)
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    ):
        # Not a failure: `make benchmark` runs on the embedded default, which has neither.
        print(
            "webhook_delivery skipped: the worker, beat and this process share PostgreSQL and "
            "Redis, so it needs a PostgreSQL DATABASE_URL and REDIS_URL."
        )
        return
    if arguments.endpoints < 2 or arguments.events < 1:
        parser.error("at least one event and two endpoints (one of them failing)")
    from benchmarks.database import on_a_database

    with on_a_database(force=False):
        ok = _run(arguments.events, arguments.endpoints, arguments.workers, arguments.timeout)
    if not ok:
        raise SystemExit(1)


def _run(events: int, endpoints: int, workers: int, timeout: float) -> bool:
    from django.conf import settings
    from django.db import transaction
    from django.db.models import Sum
    from django.test import override_settings

    from accounts.models import Role, User
    from outbox.models import (
        DeliveryStatus,
        Event,
        WebhookDelivery,
        WebhookEndpoint,
        event_public_id,
    )
    from outbox.services import event_record, webhook_create
    from tests.factories import PropertyFactory
    from tests.support.processes import (
        beat_process,
        database_url_of_this_test,
        services_environment,
        worker_process,
    )
    from tests.support.webhook_receiver import webhook_receiver

    client = User.objects.create_user("+917399999999", role=Role.CLIENT)
    property = PropertyFactory.create(owner=client)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="propflow-webhooks-") as folder,
            webhook_receiver() as receiver,
            override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True),
        ):
            verifiers: dict[str, Webhook] = {}
            for index in range(endpoints):
                _, secret = webhook_create(
                    owner=client, url=f"{receiver.url}/{index}", event_types=[]
                )
                verifiers[f"/hooks/{index}"] = Webhook(secret)
            policy = Policy(verifiers=verifiers, failing_path="/hooks/0")
            receiver.reply_to = policy
            environment = services_environment(
                Path(folder),
                DATABASE_URL=database_url_of_this_test(),
                WEBHOOK_ENCRYPTION_KEY=settings.WEBHOOK_ENCRYPTION_KEY,
                WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true",
                WEBHOOK_SWEEP_SECONDS=SWEEP_SECONDS,
                WEBHOOK_RETRY_SCHEDULE=RETRY_SCHEDULE,
            )
            with (
                worker_process(environment, pool="prefork", concurrency=workers),
                beat_process(environment),
            ):
                started = time.time()
                committed: dict[str, float] = {}  # event id -> when its transaction committed
                for index in range(events):
                    with transaction.atomic():
                        event = event_record(
                            subject=property, payload={"type": "photo.reviewed", "n": index}
                        )
                    committed[event_public_id(event.seq)] = time.time()
                deliveries = WebhookDelivery.objects.filter(endpoint__owner=client)
                deadline = time.monotonic() + timeout
                errors: Counter[str] = Counter()  # seen while polling: a delivery clears its own
                while time.monotonic() < deadline and (
                    deliveries.count() < events * endpoints
                    or deliveries.exclude(status=DeliveryStatus.DELIVERED).exists()
                ):
                    errors.update(
                        deliveries.exclude(last_error__in=("", "HTTP 500"))
                        .values_list("last_error", flat=True)
                        .distinct()
                    )
                    time.sleep(0.2)
            ok = _report(
                events,
                endpoints,
                policy,
                committed,
                started,
                delivered=deliveries.filter(status=DeliveryStatus.DELIVERED).count(),
                attempts=deliveries.aggregate(total=Sum("attempts"))["total"] or 0,
                failing_attempts=deliveries.filter(endpoint__url__endswith="/hooks/0").aggregate(
                    total=Sum("attempts")
                )["total"]
                or 0,
                deliveries=deliveries.count(),
            )
            for error, polls in errors.items():
                print(f"attempt error other than the 500s, seen in {polls} polls: {error}")
            return ok
    finally:
        WebhookEndpoint.objects.filter(owner=client).delete()
        Event.objects.filter(property_id=property.pk).delete()
        property.delete()
        client.delete()


def _report(
    events: int,
    endpoints: int,
    policy: Policy,
    committed: dict[str, float],
    started: float,
    *,
    delivered: int,
    attempts: int,
    failing_attempts: int,
    deliveries: int,
) -> bool:
    expected = events * endpoints
    accepted = {(request.path, request.headers["webhook-id"]) for request in policy.accepted}
    duplicates = len(policy.accepted) - len(accepted)
    missing = expected - len(accepted)
    latencies = [
        (request.arrived - committed[request.headers["webhook-id"]]) * 1000
        for request in policy.accepted
        if request.path != policy.failing_path
    ]
    last = max((request.arrived for request in policy.accepted), default=time.time())
    elapsed = last - started
    failed_first = sum(policy.refused.values())
    print(
        "| events | endpoints | deliveries | attempts | failed-first attempts | "
        "all delivered after s | deliveries/s | p50 ms | p99 ms | invalid signatures | "
        "duplicates | missing |"
    )
    print("| " + " | ".join(["---"] * 12) + " |")
    cells = [
        events,
        endpoints,
        deliveries,
        attempts,
        failed_first,
        f"{elapsed:.1f}",
        f"{len(accepted) / elapsed:.0f}",
        f"{percentile(latencies, 0.5):.0f}",
        f"{percentile(latencies, 0.99):.0f}",
        policy.invalid_signatures,
        duplicates,
        missing,
    ]
    print("| " + " | ".join(str(cell) for cell in cells) + " |")
    problems = [
        f"{deliveries - delivered} of {deliveries} deliveries not delivered in the database"
        if delivered != deliveries or deliveries != expected
        else "",
        f"{missing} deliveries missing at the receiver" if missing else "",
        f"{duplicates} accepted twice" if duplicates else "",
        f"{policy.invalid_signatures} invalid signatures" if policy.invalid_signatures else "",
        f"the failing endpoint took {failing_attempts} attempts, not "
        f"{events * (FAILURES_PER_DELIVERY + 1)}"
        if failing_attempts != events * (FAILURES_PER_DELIVERY + 1)
        or failed_first != events * FAILURES_PER_DELIVERY
        else "",
    ]
    for problem in filter(None, problems):
        print(f"FAILED: {problem}")
    return not any(problems)


if __name__ == "__main__":
    main()
