"""Two reviewers deciding the same property at the same moment: one wins, the other is told
the property has moved on, and the audit trail has one row."""

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from accounts.models import Role
from properties.models import Status, StatusChange
from properties.services import property_transition
from properties.workflow import Action
from propflow.errors import ConflictError
from tests.factories import PropertyFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers for the whole database, so two "
        "transactions never contend for one row (run with DATABASE_URL=postgres://…)",
    ),
]


def _race(*attempts: Callable[[], object]) -> list[object]:
    """Runs the attempts in threads released together; returns each one's result or error."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[object] = [None] * len(attempts)

    def run(index: int, attempt: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = attempt()
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, attempt))
        for index, attempt in enumerate(attempts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return outcomes


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Action.APPROVE, Action.REJECT),
        (Action.APPROVE, Action.APPROVE),
        (Action.REJECT, Action.REQUEST_REVISION),
    ],
)
def test_two_reviewers_deciding_at_once_one_wins_and_the_other_gets_a_conflict(
    first: Action, second: Action
) -> None:
    agent = UserFactory.create(role=Role.AGENT)
    property = PropertyFactory.create(status=Status.IN_REVIEW, assigned_agent=agent)
    reviewers = [UserFactory.create(role=Role.REVIEWER) for _ in range(2)]
    details: dict[Action, dict[str, Any]] = {
        Action.APPROVE: {"valuation_amount": Decimal("5100000.00")},
        Action.REJECT: {"reason": "Photos are of another house."},
        Action.REQUEST_REVISION: {"reason": "Retake the kitchen."},
    }

    outcomes = _race(
        *(
            lambda reviewer=reviewer, action=action: property_transition(
                actor=reviewer, property_id=property.pk, action=action, **details[action]
            )
            for reviewer, action in zip(reviewers, (first, second), strict=True)
        )
    )

    conflicts = [outcome for outcome in outcomes if isinstance(outcome, ConflictError)]
    wins = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert (len(wins), len(conflicts)) == (1, 1), outcomes
    assert conflicts[0].status_code == 409
    assert conflicts[0].extra["current_status"] != Status.IN_REVIEW
    winner = reviewers[outcomes.index(wins[0])]
    winning_action = (first, second)[outcomes.index(wins[0])]
    property.refresh_from_db()
    changes = list(StatusChange.objects.filter(property=property))
    assert [(change.from_status, change.to_status, change.actor_id) for change in changes] == [
        (Status.IN_REVIEW, property.status, winner.pk)
    ]
    assert conflicts[0].extra["current_status"] == property.status
    expected_status = {
        Action.APPROVE: Status.VALUED,
        Action.REJECT: Status.REJECTED,
        Action.REQUEST_REVISION: Status.INSPECTING,
    }[winning_action]
    assert property.status == expected_status
