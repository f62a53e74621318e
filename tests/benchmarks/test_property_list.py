"""benchmarks/property_list.py: a table of every list and page with its queries, and nothing
left behind."""

import pytest
from django.db import connection

from accounts.models import User
from benchmarks import property_list
from photos.models import Photo
from properties.models import Property
from tests.factories import PropertyFactory

pytestmark = pytest.mark.django_db


def test_it_measures_every_list_and_page_then_rolls_its_rows_back(capsys) -> None:
    property_list.main(["--properties", "200", "--requests", "1"])

    # On PostgreSQL a small result is counted twice: the planner's estimate, then exactly.
    queue_queries = "8" if connection.vendor == "postgresql" else "7"
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Created 200 properties and 400 photos in ")
    rows = [line.split(" | ")[:4] for line in lines[3:]]
    assert rows == [
        ["| API", "20", "first", "3"],
        ["| API", "20", "near the end", "3"],
        ["| admin queue", "20", "first", queue_queries],
        ["| admin queue", "20", "near the end (p=9)", queue_queries],
        ["| API", "100", "first", "3"],
        ["| API", "100", "near the end", "3"],
        ["| admin queue", "100", "first", queue_queries],
        ["| admin queue", "100", "near the end (p=1)", queue_queries],
    ]
    assert (Property.objects.count(), Photo.objects.count(), User.objects.count()) == (0, 0, 0)


def test_it_refuses_a_database_with_properties_unless_forced() -> None:
    property = PropertyFactory.create()

    with pytest.raises(SystemExit, match="The database has 1 properties"):
        property_list.main(["--properties", "200"])
    property_list.main(["--properties", "200", "--requests", "1", "--force"])

    assert list(Property.objects.all()) == [property]
