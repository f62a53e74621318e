"""One property's history in the event log, and which of its events each cast member hears:
the replay tests of the socket and of the events API share it."""

from typing import Any

from accounts.models import User
from outbox.models import Event, event_public_id
from properties.models import Status
from properties.services import property_transition
from properties.workflow import Action
from tests.cast import Cast
from tests.factories import PropertyFactory

STEPS = ("submitted", "assigned", "declined", "reassigned")
LATER = list(STEPS[1:])

# What each member hears of the steps after "submitted": the agent was assigned when the
# assignment was written, not when it declined (nor later); the other agent only its own.
HEARD_AFTER_SUBMIT = {
    "owner": LATER,
    "other_client": [],
    "assigned_agent": ["assigned"],
    "unrelated_agent": ["reassigned"],
    "reviewer": LATER,
    "admin": LATER,
}


def latest_event_id() -> str:
    return event_public_id(Event.objects.latest("seq").seq)


def make_history(cast: Cast) -> dict[str, str]:
    """A draft of the owner's submitted, assigned to the agent, declined by it, and assigned
    to the other agent; the id of each step's event."""
    property = PropertyFactory.create(owner=cast.owner, status=Status.DRAFT)
    steps: list[tuple[User, Action, dict[str, Any]]] = [
        (cast.owner, Action.SUBMIT, {}),
        (cast.reviewer, Action.ASSIGN, {"agent_id": cast.assigned_agent.pk}),
        (cast.assigned_agent, Action.DECLINE, {"reason": "Too far"}),
        (cast.admin, Action.ASSIGN, {"agent_id": cast.unrelated_agent.pk}),
    ]
    for actor, action, extra in steps:
        property_transition(actor=actor, property_id=property.pk, action=action, **extra)
    seqs = Event.objects.order_by("seq").values_list("seq", flat=True)
    return dict(zip(STEPS, (event_public_id(seq) for seq in seqs), strict=True))
