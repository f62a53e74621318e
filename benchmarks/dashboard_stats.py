"""What the dashboard's figures cost on a large table: counting them (properties.stats, on a
cache miss: after every change), reading them from the cache, and the dashboard's page.

    python -m benchmarks.dashboard_stats [--properties 100000] [--photos-per-property 4] \
        [--repeats 10] [--force]

With nothing set it runs on a throwaway SQLite database in a temporary folder; with DATABASE_URL
(and REDIS_URL for the cache) on those, the database holding no properties (or pass --force).
The rows, spread over the last four months, are rolled back at the end.

Prints how many rows it made and in how long, then a table: what was measured, its queries and
the median and max ms of the repeats.
"""

# Django is set up, on the database above, before the models are imported.
# ruff: noqa: I001

from benchmarks.database import on_a_database

import argparse
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.models import Role, User
from benchmarks.property_list import AGENTS, QC_MIX, STATUS_MIX, WITH_AGENT, _batches
from benchmarks.stats import timings_ms
from photos.models import Category, Photo
from properties.models import Property, PropertyType, Status, StatusChange
from properties.stats import GENERATION_KEY, stats_count, stats_current, stats_invalidate

SPREAD_DAYS = 120


@dataclass(frozen=True)
class Measurement:
    name: str
    queries: int
    median_ms: float
    max_ms: float


def main(argv: Sequence[str] | None = None) -> None:
    """Bulk-creates the rows, measures, prints the table; the rows are rolled back at the end,
    and a throwaway database is deleted."""
    arguments = _arguments(argv)
    with on_a_database(force=arguments.force), transaction.atomic():
        started = time.perf_counter()
        reviewer = _create_rows(arguments.properties, arguments.photos_per_property)
        print(
            f"Created {arguments.properties:,} properties and "
            f"{arguments.properties * arguments.photos_per_property:,} photos in "
            f"{time.perf_counter() - started:.1f} s ({connection.vendor}, "
            f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}); "
            "rolled back at the end."
        )
        measurements = _measure(reviewer, arguments.repeats)
        transaction.set_rollback(True)
    # Outside the transaction, at once: the figures cached above were of rolled-back rows.
    stats_invalidate()
    print(_table(measurements, arguments.repeats))


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The cost of the dashboard's figures.")
    parser.add_argument("--properties", type=int, default=100_000)
    parser.add_argument("--photos-per-property", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=10, help="Timed runs per row.")
    parser.add_argument(
        "--force", action="store_true", help="Run even though the database has properties."
    )
    return parser.parse_args(argv)


@contextmanager
def _timestamps_as_given(*fields: models.DateTimeField[Any, Any]) -> Iterator[None]:
    """Lets bulk_create keep the rows' own created_at (auto_now_add would set it to now)."""
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def _create_rows(count: int, photos_per_property: int) -> User:
    """Bulk-inserts agents, properties with their submission and valuation, and photos by the
    agents, spread over the last SPREAD_DAYS days; returns the benchmark's reviewer."""
    reviewer = User.objects.create_user("+917000000000", role=Role.REVIEWER, name="Benchmark")
    client = User.objects.create_user("+917000000001", role=Role.CLIENT, name="Client")
    agents = User.objects.bulk_create(
        User(phone=f"+9170002{index:05d}", role=Role.AGENT, name=f"Agent {index}")
        for index in range(AGENTS)
    )
    now = timezone.now()
    today = timezone.localdate()

    def property_row(index: int) -> Property:
        status = STATUS_MIX[index % len(STATUS_MIX)]
        return Property(
            owner=client,
            property_type=PropertyType.APARTMENT,
            address=f"{index + 1} Benchmark Road",
            city="Pune",
            area_sqft=900,
            status=status,
            assigned_agent=agents[index % AGENTS] if status in WITH_AGENT else None,
            due_date=today + timedelta(days=index * 7919 % 120 - 60)
            if status in WITH_AGENT
            else None,
        )

    properties: list[Property] = []
    for batch in _batches(property_row(index) for index in range(count)):
        properties += Property.objects.bulk_create(batch)

    def history_rows() -> Iterator[StatusChange]:
        for index, property in enumerate(properties):
            if property.status != Status.VALUED:
                continue
            valued = now - timedelta(minutes=index * 7919 % (SPREAD_DAYS * 24 * 60))
            submitted = valued - timedelta(minutes=index * 104729 % (10 * 24 * 60) + 60)
            for to_status, moment in ((Status.SUBMITTED, submitted), (Status.VALUED, valued)):
                yield StatusChange(
                    property=property,
                    from_status=Status.DRAFT,
                    to_status=to_status,
                    actor=reviewer,
                    actor_role=Role.REVIEWER,
                    created_at=moment,
                )

    def photo_row(index: int) -> Photo:
        property = properties[index // photos_per_property]
        return Photo(
            property=property,
            category=Category.FRONT,
            uploaded_by=agents[index % AGENTS],
            file=f"benchmark/{index}",
            content_type="image/jpeg",
            size=1,
            sha256=f"{index:064x}",
            qc_status=QC_MIX[index % len(QC_MIX)],
            created_at=now - timedelta(minutes=index * 7919 % (SPREAD_DAYS * 24 * 60)),
        )

    created_at = (
        StatusChange._meta.get_field("created_at"),
        Photo._meta.get_field("created_at"),
    )
    with _timestamps_as_given(*created_at):
        for changes in _batches(history_rows()):
            StatusChange.objects.bulk_create(changes)
        for photos in _batches(photo_row(index) for index in range(count * photos_per_property)):
            Photo.objects.bulk_create(photos)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE properties_property, properties_statuschange, photos_photo")
    return reviewer


def _measure(reviewer: User, repeats: int) -> list[Measurement]:
    page = Client()
    page.force_login(reviewer)

    def counted() -> None:
        stats_count(today=timezone.localdate())

    def changed() -> None:
        # What a change's stats_invalidate does once it commits (these rows never commit).
        cache.delete(GENERATION_KEY)

    def page_read() -> None:
        response = page.get("/admin/dashboard/")
        if response.status_code != 200:
            raise SystemExit(f"The dashboard answered HTTP {response.status_code}.")

    def changed_then_page_read() -> None:
        changed()
        page_read()

    def changed_then_figures_read() -> None:
        changed()
        stats_current()

    # The test client's host name, and plain HTTP even where production settings redirect it.
    with override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], SECURE_SSL_REDIRECT=False
    ):
        stats_current()
        return [
            _run("figures counted (a cache miss)", repeats, counted),
            _run("figures from the cache", repeats, stats_current),
            _run("dashboard page, figures cached", repeats, page_read),
            _run("dashboard page after a change", repeats, changed_then_page_read),
            _run("a change, then the figures", repeats, changed_then_figures_read),
        ]


def _run(name: str, repeats: int, work: Callable[[], object]) -> Measurement:
    """Counts one run's queries (it warms what it can), then times ``repeats`` more."""
    with CaptureQueriesContext(connection) as queries:
        work()
    query_count = len(queries)
    timings = timings_ms(work, repeats)
    return Measurement(name, query_count, statistics.median(timings), max(timings))


def _table(measurements: list[Measurement], repeats: int) -> str:
    lines = [
        f"| measured | queries | median ms ({repeats} runs) | max ms |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {one.name} | {one.queries} | {one.median_ms:.2f} | {one.max_ms:.2f} |"
        for one in measurements
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
