"""The event log: a row per event, written and rolled back with its change, its audience fixed
when written, its ids in commit order; pruned after the retention."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from outbox.models import DeliveryStatus, Event, WebhookDelivery, event_public_id, event_seq
from outbox.selectors import events_after
from outbox.services import event_record, events_prune, webhook_attempt, webhook_create
from outbox.tasks import prune_events
from properties.models import Property, Status
from properties.services import property_transition
from properties.workflow import Action
from propflow.realtime.replay import EventsGone, MalformedEventId
from tests.cast import Cast
from tests.factories import PropertyFactory
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(cast: Cast) -> Property:
    return PropertyFactory.create(owner=cast.owner, status=Status.SUBMITTED)


def assign(cast: Cast, property: Property) -> None:
    property_transition(
        actor=cast.reviewer,
        property_id=property.pk,
        action=Action.ASSIGN,
        agent_id=cast.assigned_agent.pk,
    )


def test_a_transition_writes_its_event_with_the_audience_of_that_moment(
    cast: Cast, submitted: Property
) -> None:
    assign(cast, submitted)

    event = Event.objects.get()
    assert (event.type, event.property_id) == ("property.status_changed", submitted.pk)
    assert (event.owner_id, event.agent_id) == (cast.owner.pk, cast.assigned_agent.pk)
    assert event.payload["to"] == Status.ASSIGNED
    assert event.staff_payload is None


def test_the_event_rolls_back_with_its_change(cast: Cast, submitted: Property) -> None:
    def assign_in_a_request_that_fails() -> None:
        with transaction.atomic():
            assign(cast, submitted)
            raise RuntimeError("the request failed after the transition")

    with pytest.raises(RuntimeError):
        assign_in_a_request_that_fails()

    assert not Event.objects.exists()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_public_ids_sort_as_their_sequence_and_parse_back() -> None:
    ids = [event_public_id(seq) for seq in (9, 10, 11, 100, 99)]

    assert sorted(ids) == [event_public_id(seq) for seq in (9, 10, 11, 99, 100)]
    assert [event_seq(public_id) for public_id in ids] == [9, 10, 11, 100, 99]
    for malformed in ("", "9", "evt_9", "evt_00000000000000\uff109", "abc_0000000000000009"):
        assert event_seq(malformed) is None


def test_pruning_deletes_only_the_events_past_the_retention(
    cast: Cast, submitted: Property, settings
) -> None:
    settings.EVENT_RETENTION_DAYS = 30
    assign(cast, submitted)
    old = Event.objects.get()
    old.created_at = timezone.now() - timedelta(days=31)
    old.save()
    kept = event_record(subject=submitted, payload={"type": "test.kept"})

    assert prune_events() == 1

    assert list(Event.objects.values_list("seq", flat=True)) == [kept.seq]
    assert events_prune() == 0


def test_an_after_that_was_pruned_is_gone_and_a_malformed_one_refused(
    cast: Cast, submitted: Property
) -> None:
    first = event_record(subject=submitted, payload={"type": "test.first"})
    event_record(subject=submitted, payload={"type": "test.second"})
    first_id = event_public_id(first.seq)
    assert [e.type for e in events_after(cast.owner, after=first_id, limit=10)] == ["test.second"]

    events_prune(now=timezone.now() + timedelta(days=31))

    with pytest.raises(EventsGone):
        events_after(cast.owner, after=first_id, limit=10)
    with pytest.raises(MalformedEventId):
        events_after(cast.owner, after="yesterday", limit=10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has one writer at a time, so transactions cannot commit "
    "out of order (run with DATABASE_URL=postgres://…)",
)
def test_ids_follow_commit_order_when_transactions_overlap(submitted: Property) -> None:
    """The first transaction writes its event and stays open; the second, started later, must
    wait for it (the log's lock) instead of committing first with a larger id, which a listener
    reading the log in between would then skip past the first's."""
    commits: list[str] = []
    second_seq: list[int] = []

    def second() -> None:
        try:
            with transaction.atomic():
                second_seq.append(event_record(subject=submitted, payload={"type": "b"}).seq)
            commits.append("second")
        finally:
            connection.close()

    with transaction.atomic():
        first = event_record(subject=submitted, payload={"type": "a"})
        thread = threading.Thread(target=second)
        thread.start()
        # The second writer is waiting for the log's lock, not done.
        waited = _wait_for_a_lock_waiter()
        commits.append("first")
    thread.join(timeout=10)

    assert waited
    assert commits == ["first", "second"]
    assert first.seq < second_seq[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has one writer at a time, and no row locks (run with "
    "DATABASE_URL=postgres://…)",
)
def test_a_writer_holding_the_logs_lock_waits_for_no_property_row(submitted: Property) -> None:
    """A transition locks its property, then writes its event; a QC result of that property,
    meanwhile, writes its own. The QC's writer, holding the log's lock, must not wait for the
    property's row (a foreign key check would): the transition would then wait for the log's
    lock, a deadlock that PostgreSQL ends by failing one of them (a 500 on `complete`, found by
    schemathesis on the live stack)."""
    errors: list[DatabaseError] = []

    def qc_writer() -> None:
        try:
            with transaction.atomic():
                event_record(subject=submitted, payload={"type": "photo"})
        except DatabaseError as error:  # a deadlock, which PostgreSQL ends by failing one
            errors.append(error)
        finally:
            connection.close()

    with transaction.atomic():
        Property.objects.select_for_update().get(pk=submitted.pk)
        thread = threading.Thread(target=qc_writer)
        thread.start()
        thread.join(timeout=10)
        written_while_the_property_was_locked = not thread.is_alive()
        event_record(subject=submitted, payload={"type": "transition"})
    thread.join(timeout=30)

    assert errors == []
    assert written_while_the_property_was_locked
    assert list(Event.objects.order_by("seq").values_list("type", flat=True)) == [
        "photo",
        "transition",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has one writer at a time, and no row locks (run with "
    "DATABASE_URL=postgres://…)",
)
def test_two_attempts_at_once_send_once(
    cast: Cast, submitted: Property, receiver: Receiver
) -> None:
    """The second task's claim starts while the first's claim is not committed yet, and waits
    for its row: once the first commits, the second must see the delivery claimed (it claimed
    it too when its conditions were read from its snapshot, behind a join)."""
    with transaction.atomic():
        event = event_record(subject=submitted, payload={"type": "photo.reviewed"})
    # Registered after the event, so that its fan-out (run at once in tests) made nothing.
    endpoint, _ = webhook_create(owner=cast.owner, url=receiver.url, event_types=[])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, next_attempt_at=timezone.now()
    )
    second: list[object] = []

    def second_task() -> None:
        try:
            second.append(webhook_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    with transaction.atomic():
        assert webhook_attempt(delivery_id=delivery.pk) is not None
        thread = threading.Thread(target=second_task)
        thread.start()
        waited = _wait_for_a_lock_waiter("transactionid")  # the second waits for the row
    thread.join(timeout=10)

    assert waited
    assert second == [None]
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)


def _wait_for_a_lock_waiter(locktype: str = "advisory") -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = %s AND NOT granted", [locktype]
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.01)
    return False
