"""benchmarks/archive_scale.py: its table on PostgreSQL, and nothing left behind; skipped on any
other database."""

import pytest
from django.db import connection

from accounts.models import User
from benchmarks import archive_scale
from photos.models import Photo
from properties.models import Property

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="it fills a PostgreSQL database")
@pytest.mark.django_db(transaction=True)  # it vacuums the table, which no transaction may do
def test_it_prints_a_row_per_size_then_deletes_its_rows(capsys) -> None:
    archive_scale.main(["--sizes", "300,30", "--runs", "1", "--hashes", "random"])

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" in ")[0] for line in lines[:2]] == [
        "Filled to 30 photos",
        "Filled to 300 photos",
    ]
    rows = [line.split(" | ") for line in lines if line.startswith("| 3")]
    assert [(row[0], row[-1]) for row in rows] == [("| 30", "pass |"), ("| 300", "pass |")]
    assert lines[-1].startswith("QC at 300 photos / QC at 30 photos: ")
    assert (Photo.objects.count(), Property.objects.count(), User.objects.count()) == (0, 0, 0)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's answer")
def test_it_says_it_needs_postgresql(capsys) -> None:
    archive_scale.main(["--sizes", "30"])

    assert capsys.readouterr().out == (
        "archive_scale: skipped, it fills a PostgreSQL database (set DATABASE_URL)\n"
    )
