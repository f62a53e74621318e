"""benchmarks/report.py: its table, on one CPU, and nothing left behind."""

import os

import pytest

from benchmarks import report
from photos.models import Photo
from properties.models import Property, ValuationReport
from tests.photos.conftest import stored_files

pytestmark = pytest.mark.django_db


def test_it_times_the_report_on_one_cpu_then_removes_its_rows_and_files(capsys, media_root):
    cpus = os.sched_getaffinity(0)

    report.main(["--photos", "3", "--repetitions", "2"])

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Valuation report, 3 photos, one CPU, median of 2 (")
    steps = [line.split(" | ")[0] for line in lines[4:]]
    assert steps == [
        "| PDF alone, first of the process",
        "| PDF alone",
        "| whole report (queries, storage, PDF)",
    ]
    assert all(line.endswith(" | 3 |") for line in lines[4:])
    assert os.sched_getaffinity(0) == cpus
    assert (Property.objects.count(), Photo.objects.count(), ValuationReport.objects.count()) == (
        0,
        0,
        0,
    )
    assert stored_files(media_root) == []
