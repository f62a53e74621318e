"""benchmarks/event_log.py: a row per timing, and nothing left behind."""

import pytest

from benchmarks import event_log
from outbox.models import Event
from properties.models import Property

pytestmark = pytest.mark.django_db


def test_it_times_transitions_and_event_rows_then_rolls_back(capsys) -> None:
    event_log.main(["--transitions", "5"])

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("5 transitions on ")
    assert [line.split(" | ")[:2] for line in lines[3:]] == [
        ["| transition (with its event row)", "5"],
        ["| event row", "5"],
    ]
    assert (Property.objects.count(), Event.objects.count()) == (0, 0)
