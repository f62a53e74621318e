"""benchmarks/dashboard_stats.py: a row per case with its queries, and nothing left behind."""

import pytest

from accounts.models import User
from benchmarks import dashboard_stats
from photos.models import Photo
from properties.models import Property, StatusChange
from properties.stats import stats_current

pytestmark = pytest.mark.django_db


def test_it_measures_each_case_then_rolls_its_rows_back(
    capsys, django_capture_on_commit_callbacks
) -> None:
    # The test's own transaction holds back what a script's commit would run at once.
    with django_capture_on_commit_callbacks(execute=True):
        dashboard_stats.main(["--properties", "60", "--photos-per-property", "2", "--repeats", "1"])

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Created 60 properties and 120 photos in ")
    rows = [line.split(" | ")[:2] for line in lines[3:]]
    assert rows == [
        ["| figures counted (a cache miss)", "4"],
        ["| figures from the cache", "0"],
        ["| dashboard page, figures cached", "2"],
        ["| dashboard page after a change", "6"],
        ["| a change, then the figures", "4"],
    ]
    assert (Property.objects.count(), Photo.objects.count(), User.objects.count()) == (0, 0, 0)
    assert StatusChange.objects.count() == 0
    # The figures it cached were of rows that never committed: none are served afterwards.
    assert sum(stats_current().properties_by_status.values()) == 0
