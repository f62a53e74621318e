"""What a page of the property list costs a reviewer on a large table: the queries and median
latency of the first page and of a page near the end, through the API (cursor pages) and the
admin's review queue (numbered pages).

    python -m benchmarks.property_list [--properties 100000] [--photos-per-property 2] \
        [--requests 20] [--force]

With nothing set it runs on a throwaway SQLite database in a temporary folder; with DATABASE_URL
(DATABASE_URL=postgres://postgres@127.0.0.1:5432/propflow python -m benchmarks.property_list) on
that database, which must hold no properties (or pass --force). Every row it makes is rolled
back at the end.

Prints how many rows it made and in how long, then a table: list, page size, page, queries and
the median of the timed requests in ms.
"""

# Django is set up, on the database above, before the models are imported.
# ruff: noqa: I001

from benchmarks.database import on_a_database

import argparse
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.pagination import Cursor

from accounts.models import Role, User
from accounts.services import user_tokens
from benchmarks.stats import timings_ms
from photos.models import Category, Photo, QcStatus
from properties.admin import EstimatedCountPaginator, PropertyAdmin
from properties.models import Property, PropertyType, Status
from propflow.pagination import CursorPage

BATCH_SIZE = 5000
PAGE_SIZES = (20, 100)
CLIENTS = 1000
AGENTS = 50
# A year's worth of work: most properties are done, a tenth wait for a reviewer.
STATUS_MIX = (
    [Status.VALUED] * 11
    + [Status.IN_REVIEW] * 2
    + [Status.REJECTED, Status.CANCELLED, Status.DRAFT, Status.SUBMITTED]
    + [Status.ASSIGNED, Status.INSPECTING]
)
WITH_AGENT = frozenset(
    {Status.ASSIGNED, Status.INSPECTING, Status.IN_REVIEW, Status.VALUED, Status.REJECTED}
)
CITIES = (
    ("Mumbai", 19.0760, 72.8777),
    ("Pune", 18.5204, 73.8567),
    ("Bengaluru", 12.9716, 77.5946),
    ("Hyderabad", 17.3850, 78.4867),
    ("Chennai", 13.0827, 80.2707),
    ("Delhi", 28.6139, 77.2090),
)
QC_MIX = (QcStatus.PASS, QcStatus.PASS, QcStatus.PASS, QcStatus.WARN, QcStatus.FAIL)


@dataclass(frozen=True)
class Measurement:
    list_name: str
    page_size: int
    page: str
    queries: int
    median_ms: float


def main(argv: Sequence[str] | None = None) -> None:
    """Bulk-creates the rows, measures, prints the table; the rows are rolled back at the end,
    and a throwaway database is deleted."""
    arguments = _arguments(argv)
    with on_a_database(force=arguments.force):
        _measure_in_a_rolled_back_transaction(
            arguments.properties, arguments.photos_per_property, arguments.requests
        )


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Queries and median latency of the property list's pages, as a reviewer."
    )
    parser.add_argument("--properties", type=int, default=100_000)
    parser.add_argument("--photos-per-property", type=int, default=2)
    parser.add_argument("--requests", type=int, default=20, help="Timed requests per row.")
    parser.add_argument(
        "--force", action="store_true", help="Run even though the database has properties."
    )
    arguments = parser.parse_args(argv)
    if arguments.properties < 2 * max(PAGE_SIZES):
        parser.error(f"--properties must be at least {2 * max(PAGE_SIZES)}.")
    return arguments


def _measure_in_a_rolled_back_transaction(
    count: int, photos_per_property: int, requests: int
) -> None:
    """Creates the rows inside one transaction and rolls it back when done: nothing is left
    behind, even when interrupted, and other connections never see the rows."""
    with transaction.atomic():
        started = time.perf_counter()
        reviewer = _create_rows(count, photos_per_property)
        print(
            f"Created {count:,} properties and {count * photos_per_property:,} "
            f"photos in {time.perf_counter() - started:.1f} s "
            f"({connection.vendor}); rolled back at the end."
        )
        measurements = _measure(reviewer, requests)
        transaction.set_rollback(True)
    print(_table(measurements, requests))


def _batches(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _create_rows(count: int, photos_per_property: int) -> User:
    """Bulk-inserts the benchmark's people, properties and photos; returns its reviewer."""
    reviewer = User.objects.create_user("+917000000000", role=Role.REVIEWER, name="Benchmark")
    clients = User.objects.bulk_create(
        User(phone=f"+9170001{index:05d}", role=Role.CLIENT) for index in range(CLIENTS)
    )
    agents = User.objects.bulk_create(
        User(phone=f"+9170002{index:05d}", role=Role.AGENT) for index in range(AGENTS)
    )
    today = timezone.localdate()

    def property_row(index: int) -> Property:
        status = STATUS_MIX[index % len(STATUS_MIX)]
        city, latitude, longitude = CITIES[index % len(CITIES)]
        has_agent = status in WITH_AGENT
        return Property(
            owner=clients[index % CLIENTS],
            property_type=PropertyType.APARTMENT,
            address=f"{index % 900 + 1} Benchmark Road, Block {index // 900}",
            city=city,
            postal_code="400001",
            area_sqft=Decimal(600 + index % 2400),
            latitude=latitude,
            longitude=longitude,
            status=status,
            assigned_agent=agents[index % AGENTS] if has_agent else None,
            # Spread over two months either side of today: some of the work is overdue.
            due_date=today + timedelta(days=index * 7919 % 120 - 60) if has_agent else None,
            valuation_amount=Decimal(9_500_000) if status == Status.VALUED else None,
        )

    properties: list[Property] = []
    for batch in _batches(property_row(index) for index in range(count)):
        properties += Property.objects.bulk_create(batch)

    def photo_row(index: int) -> Photo:
        property = properties[index // photos_per_property]
        return Photo(
            property=property,
            category=Category.FRONT,
            uploaded_by=property.owner,
            file=f"benchmark/{index}",
            content_type="image/jpeg",
            size=1,
            sha256=f"{index:064x}",
            qc_status=QC_MIX[index % len(QC_MIX)],
        )

    for batch in _batches(photo_row(index) for index in range(count * photos_per_property)):
        Photo.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        # What autovacuum would do soon after such an insert: the planner's estimates use it.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE properties_property, photos_photo, accounts_user")
    return reviewer


def _measure(reviewer: User, requests: int) -> list[Measurement]:
    api = Client(headers={"Authorization": f"Bearer {user_tokens(user=reviewer)['access']}"})
    back_office = Client()
    back_office.force_login(reviewer)
    api_url = reverse("property-list")
    queue_url = reverse("admin:properties_property_changelist")
    total = Property.objects.count()
    measurements = []
    # The test client's host name, and plain HTTP even where production settings redirect it.
    with override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], SECURE_SSL_REDIRECT=False
    ):
        for size in PAGE_SIZES:
            near_end = _cursor(size, _created_at_at(total - 2 * size))
            last_page = EstimatedCountPaginator(Property.objects.all(), size).num_pages
            # The admin has no page-size parameter: the queue's own setting is swapped.
            with mock.patch.object(PropertyAdmin, "list_per_page", size):
                measurements += [
                    _run("API", size, "first", requests, api, api_url, {"page_size": size}),
                    _run("API", size, "near the end", requests, api, api_url, near_end),
                    _run("admin queue", size, "first", requests, back_office, queue_url, {}),
                    _run(
                        "admin queue",
                        size,
                        f"near the end (p={last_page - 1})",
                        requests,
                        back_office,
                        queue_url,
                        {"p": last_page - 1},
                    ),
                ]
    return measurements


def _created_at_at(position: int) -> str:
    """The API's cursor position of the row at this place in its order (newest first)."""
    created_at = Property.objects.order_by("-created_at").values_list("created_at", flat=True)
    return str(created_at[position])


def _cursor(size: int, position: str) -> dict[str, Any]:
    """The query of the API page that starts after this position, as a next link has it."""
    paginator = CursorPage()
    paginator.base_url = "/"
    # DRF's positions are strings (str() of the ordering field); the stubs say int.
    cursor = Cursor(offset=0, reverse=False, position=position)  # type: ignore[arg-type]
    url = paginator.encode_cursor(cursor)
    return {"page_size": size, **parse_qs(urlsplit(url).query)}


def _run(
    list_name: str,
    size: int,
    page: str,
    requests: int,
    client: Client,
    url: str,
    query: dict[str, Any],
) -> Measurement:
    """Counts one request's queries (it warms the caches too), then times ``requests`` more."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query)
    # Read now: the captured queries are a slice of the connection's log, which the next
    # request clears.
    query_count = len(queries)
    if response.status_code != 200:
        raise SystemExit(f"{list_name} {page}: HTTP {response.status_code}.")
    timings = timings_ms(lambda: client.get(url, query), requests)
    return Measurement(list_name, size, page, query_count, statistics.median(timings))


def _table(measurements: list[Measurement], requests: int) -> str:
    lines = [
        f"| list | page size | page | queries | median ms ({requests} requests) |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {m.list_name} | {m.page_size} | {m.page} | {m.queries} | {m.median_ms:.1f} |"
        for m in measurements
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
