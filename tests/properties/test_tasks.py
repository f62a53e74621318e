"""The agent's notifications: queued with ids, texted by the worker, and never logged."""

import logging

import pytest

from properties.models import Status, StatusChange
from properties.services import property_transition
from properties.tasks import notify_agent
from properties.workflow import ACTION_OF_CHANGE, TRANSITIONS, Action
from propflow import sms
from tests.cast import Cast
from tests.properties.conftest import DUE_DATE, property_in
from tests.support.event_log import latest_event_id
from tests.support.private_data import log_lines, task_runs, use_twilio

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "action", "details", "text"),
    [
        (
            Status.SUBMITTED,
            Action.ASSIGN,
            {"due_date": DUE_DATE},
            "PropFlow: new inspection at {address}, Pune, due 14 Mar 2031.",
        ),
        (
            Status.IN_REVIEW,
            Action.REQUEST_REVISION,
            {"reason": "The kitchen photo is blurred."},
            "PropFlow: revision requested for {address}, Pune: The kitchen photo is blurred.",
        ),
    ],
    ids=["assign", "request-revision"],
)
def test_the_agents_sms_goes_through_a_task_of_ids_and_stays_out_of_the_logs(
    cast: Cast,
    settings,
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,
    status,
    action,
    details,
    text,
):
    caplog.set_level(logging.DEBUG)
    posted = use_twilio(settings, monkeypatch)
    property = property_in(status, cast=cast)
    if action == Action.ASSIGN:
        details["agent_id"] = cast.assigned_agent.pk

    with django_capture_on_commit_callbacks(execute=True):
        property_transition(actor=cast.reviewer, property_id=property.pk, action=action, **details)

    phone = str(cast.assigned_agent.phone)
    body = text.format(address=property.address)
    assert [(message["To"], message["Body"]) for message in posted] == [(phone, body)]
    secrets = (phone, phone.removeprefix("+"), body, property.address, details.get("reason", body))
    assert [line for line in log_lines(caplog) if any(s in line for s in secrets)] == []
    change = StatusChange.objects.get(property=property)
    assert task_runs(caplog) == [
        ("outbox.fan_out_webhooks", {"event_id": latest_event_id()}),
        ("properties.notify_agent", {"status_change_id": change.pk}),
    ]


def test_an_agent_who_lost_the_assignment_meanwhile_is_not_texted(cast: Cast):
    property = property_in(Status.SUBMITTED, cast=cast)
    property_transition(
        actor=cast.reviewer,
        property_id=property.pk,
        action=Action.ASSIGN,
        agent_id=cast.assigned_agent.pk,
    )
    assigned = StatusChange.objects.get(property=property)
    property_transition(
        actor=cast.assigned_agent,
        property_id=property.pk,
        action=Action.DECLINE,
        reason="On leave this week.",
    )

    notify_agent(status_change_id=assigned.pk)

    assert sms.outbox == []


def test_a_change_the_agent_is_not_texted_about_sends_nothing(cast: Cast):
    property = property_in(Status.ASSIGNED, cast=cast)
    property_transition(actor=cast.assigned_agent, property_id=property.pk, action=Action.ACCEPT)

    notify_agent(status_change_id=StatusChange.objects.get(property=property).pk)

    assert sms.outbox == []


def test_the_worker_tells_each_status_change_by_its_action():
    # notify_agent knows an assignment from a revision request by the audit row's two statuses.
    pairs = [(source, t.target) for t in TRANSITIONS.values() for source in t.sources]

    assert len(ACTION_OF_CHANGE) == len(set(pairs)) == len(pairs)
    assert ACTION_OF_CHANGE[Status.IN_REVIEW, Status.INSPECTING] == Action.REQUEST_REVISION
