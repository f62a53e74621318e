"""The admin's password sign-in locks out an account, and an address, after
ADMIN_LOGIN_FAILURE_LIMIT failures in 15 minutes: with a clear message, never a 500."""

import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from tests.factories import UserFactory
from tests.support.processes import ROOT, asgi_server, embedded_environment

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "staff-Pass-9134"
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
LOCKED = (
    "Too many failed sign-in attempts: signing in to this account, or from this address, "
    "is locked for 15 minutes."
)
MAKE_REVIEWER = (
    "from accounts.models import User; "
    f"User.objects.create_user('+919800000001', '{PASSWORD}', role='reviewer')"
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


def test_the_real_server_answers_a_locked_out_sign_in_with_its_page(tmp_path):
    # uvicorn runs django-axes' middleware in its async mode, which the test client does not.
    environment = embedded_environment(tmp_path)
    with asgi_server(environment) as base_url, httpx.Client(base_url=base_url) as browser:
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", MAKE_REVIEWER],
            cwd=ROOT,
            env=environment,
            check=True,
            capture_output=True,
            timeout=60,
        )
        answers = []
        for password in ["wrong-" + PASSWORD] * 5 + [PASSWORD]:
            csrf_token = browser.get(LOGIN).cookies["csrftoken"]
            answers.append(
                browser.post(
                    LOGIN,
                    data={
                        "username": "+919800000001",
                        "password": password,
                        "next": "/admin/",
                        "csrfmiddlewaretoken": csrf_token,
                    },
                    # A Secure cookie (DEBUG off), which httpx keeps to HTTPS: sent by hand.
                    headers={"Cookie": f"csrftoken={csrf_token}"},
                )
            )

    assert [answer.status_code for answer in answers[:4]] == [200, 200, 200, 200]
    assert [answer.status_code for answer in answers[4:]] == [429, 429]
    assert LOCKED in answers[-1].text
