"""benchmarks/websocket_fanout.py: its accounting (lost, duplicated, the reconnecting listeners),
and a small run over two real servers on the test database and Redis, on each layer: every
event heard once by every listener, across a reconnect; nothing left behind."""

import os

import pytest
from django.conf import settings

from accounts.models import User
from benchmarks import websocket_fanout
from benchmarks.websocket_fanout import Heard, Pacing, tally
from outbox.models import Event
from properties.models import Property
from tests.support.processes import database_url_of_this_test, services_environment

needs_services = pytest.mark.skipif(
    not os.environ.get("REDIS_URL")
    or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs REDIS_URL and a PostgreSQL DATABASE_URL: the servers share the test database "
    "and Redis with the test",
)


@pytest.fixture(autouse=True)
def _channel_layer() -> None:
    """The channel layer settings.py configures (Redis where REDIS_URL is set), in place of the
    fresh in-memory one of the other tests (tests/conftest.py): the benchmark's servers are
    other processes, and its events cross Redis."""


def test_it_counts_the_lost_the_duplicated_and_the_reconnected_apart() -> None:
    committed = {"evt_1": 10.0, "evt_2": 11.0, "evt_3": 12.0}
    heard = [
        Heard(reconnected=False, messages=[("evt_1", 10.01), ("evt_2", 11.02), ("evt_3", 12.03)]),
        # A warm-up event is not counted; one heard twice is, and one never heard is lost.
        Heard(reconnected=False, messages=[("evt_0", 9.0), ("evt_1", 10.5), ("evt_1", 10.6)]),
        # Replayed late after its reconnect: lost and duplicated apart, no latency.
        Heard(reconnected=True, messages=[("evt_1", 10.0), ("evt_3", 15.0), ("evt_3", 15.1)]),
    ]

    result = tally(heard, list(committed), committed, Pacing(3, 100, 1), 0, processes=2, layer="x")

    assert (result.clients, result.delivered, result.lost, result.duplicated) == (3, 6, 3, 2)
    assert (result.reconnected, result.reconnected_lost, result.reconnected_duplicated) == (1, 1, 1)
    assert sorted(round(latency) for latency in result.latencies_ms) == [10, 20, 30, 500]


def test_it_says_it_needs_redis(capsys, monkeypatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)

    websocket_fanout.main(["--clients", "10"])

    assert capsys.readouterr().out.startswith("websocket_fanout skipped: ")


@pytest.mark.services
@needs_services
@pytest.mark.parametrize("layer", ["core", "pubsub"])
@pytest.mark.django_db(transaction=True)
def test_every_listener_hears_every_event_once_across_a_reconnect(tmp_path, layer) -> None:
    environment = services_environment(
        tmp_path, DATABASE_URL=database_url_of_this_test(), SECRET_KEY=settings.SECRET_KEY
    )

    [result] = websocket_fanout.measure(
        tmp_path,
        environment,
        client_counts=[12],
        processes=2,
        layer=layer,
        event_count=60,
        interval_ms=5,
        reconnect=6,
        client_processes=2,
    )

    assert (result.clients, result.processes, result.layer) == (12, 2, layer)
    assert (result.delivered, result.lost, result.duplicated, result.errors) == (720, 0, 0, 0)
    assert (result.reconnected, result.reconnected_lost, result.reconnected_duplicated) == (6, 0, 0)
    assert len(result.latencies_ms) == 6 * 60
    assert (User.objects.count(), Property.objects.count(), Event.objects.count()) == (0, 0, 0)
