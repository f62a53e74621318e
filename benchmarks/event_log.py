"""What the event log costs a transition: the time of ``outbox.services.event_record`` (the
writers' lock on PostgreSQL and the row's insert) inside the transaction of a workflow
transition, beside the whole transition's.

    python -m benchmarks.event_log [--transitions 500]

With nothing set it runs on a throwaway SQLite database in a temporary folder; with DATABASE_URL
on that database. Everything happens in one transaction rolled back at the end: nothing is left
behind and nothing is broadcast (the broadcasts wait for a commit that never comes).

Prints a table: what was timed, n, p50, p95 and p99 in ms.
"""

# Django is set up, on the database above, before the models are imported.
# ruff: noqa: I001

from benchmarks.database import on_a_database

import argparse
import time
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection, transaction

from accounts.models import Role, User
from benchmarks.stats import percentile
from outbox.services import event_record
from properties.models import Property, PropertyType, Status
from properties.services import property_transition
from properties.workflow import Action


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The event row's cost in a transition.")
    parser.add_argument("--transitions", type=int, default=500)
    arguments = parser.parse_args(argv)
    # Its own rows, rolled back, are what is timed: other properties do not change it.
    with on_a_database(force=True), transaction.atomic():
        timings = _measure(arguments.transitions)
        transaction.set_rollback(True)
    print(f"{arguments.transitions} transitions on {connection.vendor}, rolled back at the end.")
    print("| timed | n | p50 ms | p95 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, values in timings.items():
        cells = " | ".join(f"{percentile(values, q) * 1000:.2f}" for q in (0.5, 0.95, 0.99))
        print(f"| {name} | {len(values)} | {cells} |")


def _measure(count: int) -> dict[str, list[float]]:
    """Times an assignment of each of ``count`` submitted properties, and one event row
    written for each in the same way as the transition writes its own."""
    reviewer = User.objects.create_user("+917300000000", role=Role.REVIEWER)
    owner = User.objects.create_user("+917300000001", role=Role.CLIENT)
    agent = User.objects.create_user("+917300000002", role=Role.AGENT)
    properties = Property.objects.bulk_create(
        Property(
            owner=owner,
            property_type=PropertyType.APARTMENT,
            address=f"{index + 1} Benchmark Lane",
            city="Pune",
            postal_code="411001",
            area_sqft=Decimal(900),
            latitude=18.5,
            longitude=73.9,
            status=Status.SUBMITTED,
        )
        for index in range(count)
    )
    timings: dict[str, list[float]] = {"transition (with its event row)": [], "event row": []}
    for property in properties:
        started = time.perf_counter()
        with transaction.atomic():
            property_transition(
                actor=reviewer, property_id=property.pk, action=Action.ASSIGN, agent_id=agent.pk
            )
        timings["transition (with its event row)"].append(time.perf_counter() - started)
        property.refresh_from_db()
        payload = {"type": "property.status_changed", "property_id": str(property.pk)}
        started = time.perf_counter()
        with transaction.atomic():
            event_record(subject=property, payload=payload)
        timings["event row"].append(time.perf_counter() - started)
    return timings


if __name__ == "__main__":
    main()
