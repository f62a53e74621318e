"""What the valuation report costs: a valued property with N photos (1024x768 previews of
generated scenes, every QC check, a status history), its PDF made on one core.

    python -m benchmarks.report [--photos 24] [--repetitions 5]

With nothing set it runs on a throwaway SQLite database and media folder in a temporary folder;
with DATABASE_URL (and the S3 variables) on those services. Its rows are rolled back and its
files deleted at the end.

The process is pinned to one CPU first (Typst would otherwise lay pages out on several). Rows:
the PDF alone (properties.report.render_pdf of a document read beforehand, each with a new
report id; the first compile of the process apart: it loads the fonts), then the whole report
as the approval's task makes it (property_report_make: the queries, reading the previews from
storage, the PDF, writing it to storage), each the median of the repetitions, with the PDF's
size and pages.
"""

# Django is set up, on the database above, before the models are imported.
# ruff: noqa: I001

from benchmarks.database import on_a_database

import argparse
import hashlib
import io
import os
import re
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from photos.models import Category, Photo, QcStatus
from photos.qc import CHECK_NAMES
from properties.models import Property, PropertyType, Status, StatusChange, ValuationReport
from properties.report import render_pdf
from properties.reports import property_report_make, report_document
from tests.support.images import make_image

PUNE = (18.5362, 73.8940)
PREVIEW_SIZE = (1024, 768)


@dataclass(frozen=True)
class Row:
    step: str
    milliseconds: float
    size_kb: float
    pages: int


def main(argv: Sequence[str] | None = None) -> None:
    """Pins the process to one CPU, makes the rows, measures, prints the table; nothing is
    left behind."""
    parser = argparse.ArgumentParser(description="The valuation report's cost, on one core.")
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--repetitions", type=int, default=5)
    arguments = parser.parse_args(argv)
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        # Its own property's report is what is timed: other properties do not change it.
        with on_a_database(force=True):
            rows = _measure(arguments.photos, arguments.repetitions)
    finally:
        os.sched_setaffinity(0, cpus)
    print(_table(rows, arguments.photos, arguments.repetitions))


def _measure(photos: int, repetitions: int) -> list[Row]:
    names: list[str] = []
    try:
        with transaction.atomic():
            property = _valued_property(photos, names)
            # A new report id each time: Typst memoises, and the same document again would
            # cost a fraction of a new one.
            documents = iter(
                [
                    report_document(property, report_id=uuid.uuid4(), draft=False)
                    for _ in range(repetitions + 1)
                ]
            )
            rows = [
                _timed("PDF alone, first of the process", 1, lambda: render_pdf(next(documents))),
                _timed("PDF alone", repetitions, lambda: render_pdf(next(documents))),
            ]

            def whole_report() -> bytes:
                ValuationReport.objects.filter(property=property).delete()
                report = property_report_make(property_id=property.pk)
                assert report is not None
                names.append(report.file.name)
                with default_storage.open(report.file.name, "rb") as stored:
                    return bytes(stored.read())

            rows.append(_timed("whole report (queries, storage, PDF)", repetitions, whole_report))
            transaction.set_rollback(True)
    finally:
        for name in names:
            default_storage.delete(name)
    return rows


def _timed(step: str, repetitions: int, make: Callable[[], bytes]) -> Row:
    timings = []
    for _ in range(repetitions):
        started = time.perf_counter()
        pdf = make()
        timings.append((time.perf_counter() - started) * 1000)
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    return Row(step, statistics.median(timings), len(pdf) / 1024, pages)


def _valued_property(photos: int, names: list[str]) -> Property:
    owner = User.objects.create_user(phone="+919811100001", role=Role.CLIENT, name="Asha Rao")
    agent = User.objects.create_user(phone="+919811100002", role=Role.AGENT, name="Vikram Joshi")
    reviewer = User.objects.create_user(
        phone="+919811100003", role=Role.REVIEWER, name="Meera Iyer"
    )
    property = Property.objects.create(
        owner=owner,
        property_type=PropertyType.APARTMENT,
        address="Flat 4B, Sunshine Towers, 12 Koregaon Park Road",
        city="Pune",
        postal_code="411001",
        area_sqft=Decimal("1250.00"),
        latitude=PUNE[0],
        longitude=PUNE[1],
        status=Status.VALUED,
        assigned_agent=agent,
        valuation_amount=Decimal("8500000.00"),
        valuation_notes="In line with recent sales on the street; photos consistent.",
    )
    for from_status, to_status, actor in (
        (Status.DRAFT, Status.SUBMITTED, owner),
        (Status.SUBMITTED, Status.ASSIGNED, reviewer),
        (Status.ASSIGNED, Status.INSPECTING, agent),
        (Status.INSPECTING, Status.IN_REVIEW, agent),
        (Status.IN_REVIEW, Status.VALUED, reviewer),
    ):
        StatusChange.objects.create(
            property=property,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            actor_role=actor.role,
        )
    categories = list(Category)
    for number in range(photos):
        _photo(property, agent, categories[number % len(categories)], number, names)
    return property


def _photo(
    property: Property, agent: User, category: Category, number: int, names: list[str]
) -> None:
    buffer = io.BytesIO()
    make_image(*PREVIEW_SIZE, seed=number).save(buffer, "JPEG", quality=80)
    preview = buffer.getvalue()
    north = 0.0001 * (number % 7)
    photo = Photo(
        property=property,
        category=category,
        uploaded_by=agent,
        content_type="image/jpeg",
        size=len(preview) * 8,
        sha256=hashlib.sha256(preview).hexdigest(),
        width=4000,
        height=3000,
        make="Google",
        model="Pixel 8",
        taken_at="2026-12-01T10:00:00",
        taken_at_offset="+05:30",
        gps_lat=PUNE[0] + north,
        gps_lon=PUNE[1] + 0.0001 * (number % 5),
        gps_accuracy_m=8.0,
        distance_km=0.02,
        qc_status=QcStatus.PASS,
        qc_checks=[
            {"name": name, "result": "pass", "detail": f"The {name} check passed."}
            for name in CHECK_NAMES
        ],
        processed_at=timezone.now(),
    )
    photo.file.save("original", ContentFile(b"not read by the report"), save=False)
    photo.preview.save("preview.jpg", ContentFile(preview), save=False)
    names.extend((photo.file.name or "", photo.preview.name or ""))
    photo.save()


def _table(rows: list[Row], photos: int, repetitions: int) -> str:
    lines = [
        f"Valuation report, {photos} photos, one CPU, median of {repetitions} "
        f"({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"{type(default_storage).__name__})",
        "",
        "| step | ms | PDF KB | pages |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {row.step} | {row.milliseconds:.0f} | {row.size_kb:.0f} | {row.pages} |" for row in rows
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
