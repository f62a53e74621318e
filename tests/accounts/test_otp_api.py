import re

import pytest
from django.core.cache import cache
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import Role, User
from propflow import sms
from tests.cast import authenticated_client
from tests.factories import UserFactory

PHONE = "+919876543210"
REQUEST_URL = "/api/v1/auth/otp/request/"
VERIFY_URL = "/api/v1/auth/otp/verify/"

pytestmark = pytest.mark.django_db


def last_code() -> str:
    match = re.search(r"\b(\d{6})\b", sms.outbox[-1].body)
    assert match is not None
    return match.group(1)


def request_code(api_client, phone: str = PHONE, ip: str = "10.0.0.1"):
    return api_client.post(REQUEST_URL, {"phone": phone}, format="json", REMOTE_ADDR=ip)


def verify(api_client, code: str, phone: str = PHONE, ip: str = "10.0.0.1"):
    return api_client.post(
        VERIFY_URL, {"phone": phone, "code": code}, format="json", REMOTE_ADDR=ip
    )


def test_it_sends_a_code_and_signs_in_a_new_client(api_client):
    response = request_code(api_client)

    assert response.status_code == 202
    assert response.json()["expires_in"] == 300
    assert [message.to for message in sms.outbox] == [PHONE]

    response = verify(api_client, last_code())

    assert response.status_code == 200
    body = response.json()
    user = User.objects.get(phone=PHONE)
    assert body["user"] == {"id": str(user.pk), "phone": PHONE, "name": "", "role": "client"}
    assert set(body) == {"access", "refresh", "user"}
    assert not user.has_usable_password()


def test_it_normalises_national_numbers_to_e164(api_client):
    request_code(api_client, phone="098765 43210")

    assert sms.outbox[-1].to == PHONE
    assert verify(api_client, last_code(), phone="+91 98765-43210").status_code == 200


def test_it_signs_in_an_existing_user_without_creating_another(api_client):
    agent = UserFactory.create(phone=PHONE, role=Role.AGENT)
    request_code(api_client)

    response = verify(api_client, last_code())

    assert response.json()["user"]["id"] == str(agent.pk)
    assert response.json()["user"]["role"] == "agent"
    assert User.objects.count() == 1


def test_it_answers_the_same_for_known_and_unknown_numbers(api_client):
    UserFactory.create(phone=PHONE)
    known = request_code(api_client)
    unknown = request_code(api_client, phone="+919876500000")

    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


def test_it_refuses_a_wrong_code_and_creates_no_user(api_client):
    request_code(api_client)
    wrong = "000000" if last_code() != "000000" else "111111"

    response = verify(api_client, wrong)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "code": ["The code is wrong or has expired. Request a new one."]
    }
    assert User.objects.count() == 0


def test_it_kills_the_code_after_five_wrong_tries(api_client):
    request_code(api_client)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"

    for _ in range(5):
        assert verify(api_client, wrong).status_code == 400
    response = verify(api_client, code)

    assert response.status_code == 400
    assert User.objects.count() == 0


def test_it_accepts_the_right_code_on_the_fifth_try(api_client):
    request_code(api_client)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"

    for _ in range(4):
        verify(api_client, wrong)

    assert verify(api_client, code).status_code == 200


def test_a_code_works_only_once(api_client):
    request_code(api_client)
    code = last_code()

    assert verify(api_client, code).status_code == 200
    assert verify(api_client, code).status_code == 400


def test_a_new_request_invalidates_the_first_code(api_client):
    request_code(api_client)
    first = last_code()
    request_code(api_client)
    second = last_code()

    if first != second:
        assert verify(api_client, first).status_code == 400
    assert verify(api_client, second).status_code == 200


def test_a_code_expires(api_client, settings):
    settings.OTP_TTL_SECONDS = 1
    request_code(api_client)
    code = last_code()

    # Expiry is the cache's own timeout; removing the entry is what the timeout does.
    cache.delete(f"otp:code:{PHONE}")

    assert verify(api_client, code).status_code == 400


def test_the_code_is_stored_hashed_never_in_clear(api_client):
    request_code(api_client)
    code = last_code()

    stored = cache.get(f"otp:code:{PHONE}")

    assert stored is not None
    assert code not in stored
    assert len(stored) == 64


def test_it_limits_requests_per_phone_with_retry_after(api_client, settings):
    settings.OTP_REQUEST_LIMIT_PER_PHONE = "3/600"
    for index in range(3):
        assert request_code(api_client, ip=f"10.0.1.{index}").status_code == 202

    response = request_code(api_client, ip="10.0.1.99")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert response.json()["detail"].startswith("Too many requests.")
    assert len(sms.outbox) == 3


def test_it_limits_requests_per_ip_with_retry_after(api_client, settings):
    settings.OTP_REQUEST_LIMIT_PER_IP = "2/60"
    assert request_code(api_client, phone="+919876500001").status_code == 202
    assert request_code(api_client, phone="+919876500002").status_code == 202

    response = request_code(api_client, phone="+919876500003")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert request_code(api_client, phone="+919876500003", ip="10.9.9.9").status_code == 202


def test_it_limits_verify_attempts_per_ip(api_client, settings):
    settings.OTP_VERIFY_LIMIT_PER_IP = "2/60"
    request_code(api_client)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    verify(api_client, wrong)
    verify(api_client, wrong)

    response = verify(api_client, code)

    assert response.status_code == 429
    assert "Retry-After" in response
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("12345", "Enter a valid phone number."),
        ("not a phone", "Enter a valid phone number."),
        ("", "This field may not be blank."),
        # A Mumbai landline: valid, but it cannot receive an SMS.
        ("+912223456789", "Enter a mobile phone number: it must receive SMS."),
    ],
)
def test_it_rejects_bad_and_non_mobile_numbers(api_client, phone, message):
    response = request_code(api_client, phone=phone)

    assert response.status_code == 400
    assert response.json()["errors"]["phone"] == [message]
    assert sms.outbox == []


@pytest.mark.parametrize(
    "body",
    [{}, {"phone": PHONE}, {"phone": PHONE, "code": "12345"}, {"phone": PHONE, "code": "abcdef"}],
)
def test_it_rejects_malformed_verify_bodies(api_client, body):
    response = api_client.post(VERIFY_URL, body, format="json")

    assert response.status_code == 400
    assert "errors" in response.json()


def test_it_answers_non_json_bodies_with_a_json_400(api_client):
    response = api_client.post(REQUEST_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_it_refuses_a_disabled_account(api_client):
    UserFactory.create(phone=PHONE, is_active=False)
    request_code(api_client)

    response = verify(api_client, last_code())

    assert response.status_code == 403
    assert response.json() == {"detail": "This account is disabled.", "code": "account_disabled"}


def test_paths_work_without_their_final_slash(api_client):
    assert (
        api_client.post(REQUEST_URL.rstrip("/"), {"phone": PHONE}, format="json").status_code == 202
    )
    assert verify(api_client, last_code()).status_code == 200


def signed_in(api_client):
    request_code(api_client)
    return verify(api_client, last_code()).json()


def test_refresh_rotates_and_blacklists_the_old_refresh_token(api_client):
    tokens = signed_in(api_client)

    response = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert response.json()["refresh"] != tokens["refresh"]
    reused = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert reused.status_code == 401


def test_logout_blacklists_the_refresh_token(api_client):
    tokens = signed_in(api_client)

    response = api_client.post(
        "/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json"
    )

    assert response.status_code == 204
    assert BlacklistedToken.objects.count() == 1
    refused = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refused.status_code == 401


def test_logout_with_a_bad_token_is_a_400(api_client):
    response = api_client.post("/api/v1/auth/logout/", {"refresh": "nonsense"}, format="json")

    assert response.status_code == 400
    assert BlacklistedToken.objects.count() == 0


@pytest.mark.parametrize("role", ["client", "agent", "reviewer", "admin"])
def test_me_returns_the_signed_in_user(role):
    user = UserFactory.create(role=role, name="Asha Rao")

    response = authenticated_client(user).get("/api/v1/auth/me/")

    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.pk),
        "phone": str(user.phone),
        "name": "Asha Rao",
        "role": role,
    }


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic abc"])
def test_me_needs_a_valid_token(api_client, authorization):
    if authorization:
        api_client.credentials(HTTP_AUTHORIZATION=authorization)

    response = api_client.get("/api/v1/auth/me/")

    assert response.status_code == 401
    assert "detail" in response.json()


def test_an_access_token_of_a_disabled_user_is_refused():
    user = UserFactory.create(role="client")
    client = authenticated_client(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert client.get("/api/v1/auth/me/").status_code == 401
