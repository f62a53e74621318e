"""A property's history, /api/v1/properties/<id>/history/: every change in order."""

from typing import Any

import pytest

from properties.models import Status, StatusChange
from tests.cast import Cast, authenticated_client
from tests.properties.conftest import URL, api_timestamp, property_in

pytestmark = pytest.mark.django_db


def test_history_lists_each_change_in_order(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    with django_capture_on_commit_callbacks(execute=True):
        authenticated_client(cast.owner).post(f"{URL}{property.pk}/submit/")
        authenticated_client(cast.reviewer).post(
            f"{URL}{property.pk}/assign/", {"agent": str(cast.assigned_agent.pk)}, format="json"
        )
        authenticated_client(cast.assigned_agent).post(
            f"{URL}{property.pk}/decline/", {"reason": "Too far."}, format="json"
        )
    changes = list(StatusChange.objects.filter(property=property))

    response = authenticated_client(cast.owner).get(f"{URL}{property.pk}/history/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "from_status": from_status,
                "to_status": to_status,
                "actor": str(actor.pk),
                "actor_role": actor.role,
                "reason": reason,
                "created_at": api_timestamp(change.created_at),
            }
            for change, (from_status, to_status, actor, reason) in zip(
                changes,
                [
                    ("DRAFT", "SUBMITTED", cast.owner, ""),
                    ("SUBMITTED", "ASSIGNED", cast.reviewer, ""),
                    ("ASSIGNED", "SUBMITTED", cast.assigned_agent, "Too far."),
                ],
                strict=True,
            )
        ],
    }


def test_history_keeps_its_own_order_whatever_the_ordering_parameter(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    with django_capture_on_commit_callbacks(execute=True):
        authenticated_client(cast.owner).post(f"{URL}{property.pk}/submit/")
        authenticated_client(cast.owner).post(f"{URL}{property.pk}/cancel/")
    client = authenticated_client(cast.owner)

    answers = [
        client.get(f"{URL}{property.pk}/history/?ordering={ordering}")
        for ordering in ("city", "-status", "-created_at", "due_date")
    ]

    assert [answer.status_code for answer in answers] == [200] * 4
    assert {
        tuple(change["to_status"] for change in answer.json()["results"]) for answer in answers
    } == {("SUBMITTED", "CANCELLED")}
