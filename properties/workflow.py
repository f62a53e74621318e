"""The one table of status transitions: which action moves a property from where to where,
and who may take it."""

from dataclasses import dataclass
from enum import StrEnum

from properties.models import Status


class Action(StrEnum):
    SUBMIT = "submit"
    CANCEL = "cancel"
    ASSIGN = "assign"
    ACCEPT = "accept"
    DECLINE = "decline"
    COMPLETE = "complete"
    REQUEST_REVISION = "request-revision"
    APPROVE = "approve"
    REJECT = "reject"


class Actor(StrEnum):
    """Who may take an action: the property's owner, its assigned agent, or staff."""

    OWNER = "the owner"
    ASSIGNED_AGENT = "the assigned agent"
    STAFF = "staff"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status
    actor: Actor
    needs_reason: bool = False


TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: Transition(frozenset({Status.DRAFT}), Status.SUBMITTED, Actor.OWNER),
    Action.CANCEL: Transition(
        frozenset({Status.DRAFT, Status.SUBMITTED}), Status.CANCELLED, Actor.OWNER
    ),
    Action.ASSIGN: Transition(frozenset({Status.SUBMITTED}), Status.ASSIGNED, Actor.STAFF),
    Action.ACCEPT: Transition(
        frozenset({Status.ASSIGNED}), Status.INSPECTING, Actor.ASSIGNED_AGENT
    ),
    Action.DECLINE: Transition(
        frozenset({Status.ASSIGNED}), Status.SUBMITTED, Actor.ASSIGNED_AGENT, needs_reason=True
    ),
    Action.COMPLETE: Transition(
        frozenset({Status.INSPECTING}), Status.IN_REVIEW, Actor.ASSIGNED_AGENT
    ),
    Action.REQUEST_REVISION: Transition(
        frozenset({Status.IN_REVIEW}), Status.INSPECTING, Actor.STAFF, needs_reason=True
    ),
    Action.APPROVE: Transition(frozenset({Status.IN_REVIEW}), Status.VALUED, Actor.STAFF),
    Action.REJECT: Transition(
        frozenset({Status.IN_REVIEW}), Status.REJECTED, Actor.STAFF, needs_reason=True
    ),
}

# A property is still being worked on while some action can move it on: the terminal statuses
# (valued, rejected, cancelled) are never overdue.
OPEN_STATUSES = frozenset(
    source for transition in TRANSITIONS.values() for source in transition.sources
)

# The action behind each status change the table allows: no two actions share a (from, to) pair.
ACTION_OF_CHANGE: dict[tuple[str, str], Action] = {
    (source, transition.target): action
    for action, transition in TRANSITIONS.items()
    for source in transition.sources
}


def actions_from(status: str, actors: frozenset[Actor]) -> list[Action]:
    """The actions that these actors may take on a property in this status, in table order."""
    return [
        action
        for action, transition in TRANSITIONS.items()
        if status in transition.sources and transition.actor in actors
    ]
