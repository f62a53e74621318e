"""seed_demo: every status reached through the workflow, history that tells how, no duplicates."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User
from photos.models import Photo
from properties.models import Property, Status, StatusChange
from properties.workflow import TRANSITIONS, Actor
from tests.factories import PropertyFactory

pytestmark = pytest.mark.django_db

PASSWORD = "demo-passphrase-42"
# Who takes each step, by the workflow table: the owner is a client, the agent an agent.
ROLE_OF = {Actor.OWNER: Role.CLIENT, Actor.ASSIGNED_AGENT: Role.AGENT, Actor.STAFF: Role.REVIEWER}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


def _seed(*arguments: str) -> str:
    output = io.StringIO()
    call_command("seed_demo", *arguments, stdout=output)
    return output.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "properties": Property.objects.count(),
        "history": StatusChange.objects.count(),
        "photos": Photo.objects.count(),
    }


def test_it_creates_staff_agents_clients_and_properties_in_every_status() -> None:
    output = _seed("--password", PASSWORD)

    roles = {role: User.objects.filter(role=role).count() for role in Role}
    assert roles == {Role.CLIENT: 8, Role.AGENT: 3, Role.REVIEWER: 1, Role.ADMIN: 1}
    reviewer = User.objects.get(phone="+919800000001")
    assert (reviewer.role, reviewer.check_password(PASSWORD)) == (Role.REVIEWER, True)
    assert User.objects.get(phone="+919800000002").check_password(PASSWORD)
    assert set(Property.objects.values_list("status", flat=True)) == set(Status)
    assert Property.objects.count() == 30
    assert set(Property.objects.values_list("city", flat=True)) == {"Mumbai", "Pune", "Bengaluru"}
    assert output.splitlines() == [
        "Created 30 demo properties: 3 draft, 3 submitted, 4 assigned, 5 inspecting, "
        "6 in review, 4 valued, 3 rejected, 2 cancelled.",
        "Sign in to /admin/ as the reviewer +919800000001 or the admin +919800000002 with "
        f"the password: {PASSWORD}",
    ]


def test_each_property_s_history_leads_from_draft_to_its_status_by_the_right_people() -> None:
    _seed("--password", PASSWORD)

    for property in Property.objects.all():
        changes = list(StatusChange.objects.filter(property=property).select_related("actor"))
        path = [Status.DRAFT] + [change.to_status for change in changes]
        assert [change.from_status for change in changes] == path[:-1]
        assert path[-1] == property.status
        for change in changes:
            transition = next(
                transition
                for transition in TRANSITIONS.values()
                if change.from_status in transition.sources
                and transition.target == change.to_status
            )
            assert change.actor.role == change.actor_role == ROLE_OF[transition.actor]
            assert bool(change.reason) is transition.needs_reason
    in_review = Property.objects.filter(status=Status.IN_REVIEW)
    assert all(property.photos.count() >= 3 for property in in_review)
    valued = Property.objects.filter(status=Status.VALUED)
    assert all(property.valuation_amount for property in valued)


def test_running_it_twice_creates_nothing_the_second_time() -> None:
    _seed("--password", PASSWORD)
    first = _counts()

    output = _seed("--password", "another-passphrase-7")

    assert output == "Demo data skipped: 13 of its 13 accounts exist already (+919800000001 …).\n"
    assert _counts() == first
    assert User.objects.get(phone="+919800000001").check_password(PASSWORD)


def test_it_prints_the_password_it_generates() -> None:
    output = _seed()

    password = output.splitlines()[-1].rsplit(": ", 1)[1]
    assert len(password) == 16
    assert User.objects.get(phone="+919800000001").check_password(password)


def test_if_empty_skips_a_database_that_has_properties() -> None:
    PropertyFactory.create()
    before = _counts()

    output = _seed("--if-empty")

    assert output == "Demo data skipped: the database already has properties.\n"
    assert _counts() == before


def test_it_refuses_to_text_made_up_numbers_through_twilio(settings: Any) -> None:
    settings.SMS_BACKEND = "twilio"

    with pytest.raises(CommandError, match="SMS_BACKEND=twilio"):
        _seed("--password", PASSWORD)

    assert _counts() == {"users": 0, "properties": 0, "history": 0, "photos": 0}


def test_it_refuses_a_weak_password_and_creates_nothing() -> None:
    with pytest.raises(CommandError, match=r"This password is too short\."):
        _seed("--password", "short")

    assert _counts() == {"users": 0, "properties": 0, "history": 0, "photos": 0}
