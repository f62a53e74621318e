"""``GET /api/v1/events/?after=``: the log as a cursor list, oldest first, each listener's own
events in every role, 410 past the retention."""

from datetime import timedelta

import pytest
from django.utils import timezone

from outbox.services import event_record, events_prune
from properties.models import Property
from tests.cast import Cast
from tests.support.event_log import HEARD_AFTER_SUBMIT, LATER, make_history

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


@pytest.fixture
def history(cast: Cast) -> dict[str, str]:
    return make_history(cast)


@pytest.mark.parametrize("role", list(HEARD_AFTER_SUBMIT))
def test_each_listener_lists_its_own_events_oldest_first(
    cast: Cast, history: dict[str, str], role: str
) -> None:
    response = cast.client(role).get(EVENTS)

    assert response.status_code == 200
    body = response.json()
    heard = ["submitted"] if HEARD_AFTER_SUBMIT[role] == LATER else []
    heard += HEARD_AFTER_SUBMIT[role]
    assert [event["id"] for event in body["results"]] == [history[name] for name in heard]
    assert (body["next"], body["previous"]) == (None, None)


def test_an_anonymous_request_is_refused(cast: Cast, history: dict[str, str]) -> None:
    response = cast.client("anonymous").get(EVENTS)

    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_the_pages_follow_after_and_the_staff_payload_is_the_staffs(
    cast: Cast, history: dict[str, str]
) -> None:
    property = Property.objects.get()
    event_record(
        subject=property,
        payload={"type": "test.detail", "detail": "yours"},
        staff_payload={"type": "test.detail", "detail": "everyone's"},
    )
    reviewer = cast.client("reviewer")

    first = reviewer.get(EVENTS, {"after": history["submitted"], "page_size": "2"}).json()
    second = reviewer.get(first["next"]).json()
    owners = cast.client("owner").get(EVENTS, {"after": history["reassigned"]}).json()

    assert [event["id"] for event in first["results"]] == [
        history["assigned"],
        history["declined"],
    ]
    assert second["results"][0]["id"] == history["reassigned"]
    assert second["results"][1]["detail"] == "everyone's"
    assert second["next"] is None
    assert owners["results"][0]["detail"] == "yours"


def test_an_after_past_the_retention_is_gone(cast: Cast, history: dict[str, str]) -> None:
    events_prune(now=timezone.now() + timedelta(days=31))

    response = cast.client("owner").get(EVENTS, {"after": history["submitted"]})

    assert (response.status_code, response.json()["code"]) == (410, "events_gone")


@pytest.mark.parametrize("page_size", ["0", "101", "x"])
def test_a_bad_page_size_is_refused(cast: Cast, history: dict[str, str], page_size: str) -> None:
    response = cast.client("owner").get(EVENTS, {"page_size": page_size})

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
