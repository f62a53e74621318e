"""The admin's password sign-in locks out an account, and an address, after
ADMIN_LOGIN_FAILURE_LIMIT failures in 15 minutes: with a clear message, never a 500."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "staff-Pass-9134"
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
LOCKED = (
    "Too many failed sign-in attempts: signing in to this account, or from this address, "
    "is locked for 15 minutes."
)


def sign_in(address: str, phone: str, password: str):
    """A fresh browser at that address posting the admin's sign-in form."""
    return Client(REMOTE_ADDR=address).post(
        LOGIN, {"username": phone, "password": password, "next": "/admin/"}
    )


def is_signed_in(response) -> bool:
    return bool(response.status_code == 302 and response.url == "/admin/")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reviewer():
    return UserFactory.create(role=Role.REVIEWER, phone="+919800000001", password=PASSWORD)


@pytest.fixture
def other_reviewer():
    return UserFactory.create(role=Role.REVIEWER, phone="+919800000002", password=PASSWORD)


def fail(times: int, address: str, phone: str) -> None:
    for _ in range(times):
        assert not is_signed_in(sign_in(address, phone, "wrong-" + PASSWORD))


def test_the_right_password_is_refused_after_five_wrong_ones(settings, reviewer):
    fail(5, ATTACKER, str(reviewer.phone))

    response = sign_in(ATTACKER, str(reviewer.phone), PASSWORD)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    assert settings.ADMIN_LOGIN_FAILURE_LIMIT == 5


def test_four_wrong_passwords_do_not_lock(reviewer):
    fail(4, ATTACKER, str(reviewer.phone))

    assert is_signed_in(sign_in(ATTACKER, str(reviewer.phone), PASSWORD))


def test_the_lock_is_per_account_and_per_address(reviewer, other_reviewer):
    fail(5, ATTACKER, str(reviewer.phone))

    # The account, from anywhere, and however its number is written.
    assert sign_in(ELSEWHERE, str(reviewer.phone), PASSWORD).status_code == 429
    assert sign_in(ELSEWHERE, "098000 00001", PASSWORD).status_code == 429
    # The address, for any account.
    assert sign_in(ATTACKER, str(other_reviewer.phone), PASSWORD).status_code == 429
    # Another account from another address is not affected.
    assert is_signed_in(sign_in(ELSEWHERE, str(other_reviewer.phone), PASSWORD))


def test_the_lock_ends_after_15_minutes(reviewer):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail(5, ATTACKER, str(reviewer.phone))
        clock.shift(timedelta(minutes=14))
        assert sign_in(ATTACKER, str(reviewer.phone), PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=16))

        assert is_signed_in(sign_in(ATTACKER, str(reviewer.phone), PASSWORD))
