import io
import json
import logging
import urllib.error
from email.message import Message
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ImproperlyConfigured

from propflow import sms


def test_the_file_backend_writes_one_json_file_per_message(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms"

    sms.send_sms(to="+919876543210", body="123456 is your PropFlow code.")
    sms.send_sms(to="+919876543211", body="second")

    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    first = json.loads(files[0].read_text())
    assert (first["to"], first["body"]) == ("+919876543210", "123456 is your PropFlow code.")


def test_the_console_backend_logs_the_message(settings, caplog):
    settings.SMS_BACKEND = "console"
    caplog.set_level(logging.INFO, logger="propflow.sms")

    sms.send_sms(to="+919876543210", body="hello")

    assert "SMS to +919876543210: hello" in caplog.text


def test_the_locmem_backend_keeps_messages_in_the_outbox():
    sms.send_sms(to="+919876543210", body="hello")

    assert sms.outbox == [sms.SmsMessage(to="+919876543210", body="hello")]


def test_an_unknown_backend_is_a_configuration_error(settings):
    settings.SMS_BACKEND = "pigeon"

    with pytest.raises(ImproperlyConfigured, match="Unknown SMS_BACKEND 'pigeon'"):
        sms.send_sms(to="+919876543210", body="hello")


def test_twilio_needs_its_credentials(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ""

    with pytest.raises(ImproperlyConfigured, match="TWILIO_ACCOUNT_SID"):
        sms.send_sms(to="+919876543210", body="hello")


class FakeTwilioResponse(io.BytesIO):
    status = 201


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC123"
    settings.TWILIO_AUTH_TOKEN = "secret"
    settings.TWILIO_FROM_NUMBER = "+15005550006"


def test_twilio_posts_the_message_to_its_rest_api(twilio, monkeypatch):
    # The paid third party is the one thing mocked: its HTTP call.
    calls = []

    def urlopen(request, timeout):
        calls.append((request, timeout))
        return FakeTwilioResponse(b"{}")

    monkeypatch.setattr("urllib.request.urlopen", urlopen)

    sms.send_sms(to="+919876543210", body="123456 is your code")

    ((request, timeout),) = calls
    assert request.full_url == "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
    assert request.get_method() == "POST"
    assert request.get_header("Authorization") == "Basic QUMxMjM6c2VjcmV0"
    assert parse_qs(request.data.decode()) == {
        "To": ["+919876543210"],
        "From": ["+15005550006"],
        "Body": ["123456 is your code"],
    }
    assert timeout == 10


def test_a_twilio_failure_is_a_delivery_error(twilio, monkeypatch):
    def urlopen(request, timeout):
        raise urllib.error.HTTPError(request.full_url, 400, "Bad Request", Message(), None)

    monkeypatch.setattr("urllib.request.urlopen", urlopen)

    with pytest.raises(sms.SmsDeliveryError, match="HTTP Error 400"):
        sms.send_sms(to="+919876543210", body="hello")


@pytest.mark.django_db
def test_a_failed_sms_answers_503_and_leaves_no_code(twilio, monkeypatch, api_client):
    from django.core.cache import cache

    def urlopen(request, timeout):
        raise urllib.error.URLError("no route")

    monkeypatch.setattr("urllib.request.urlopen", urlopen)

    response = api_client.post(
        "/api/v1/auth/otp/request/", {"phone": "+919876543210"}, format="json"
    )

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The code could not be sent; try again shortly.",
        "code": "sms_unavailable",
    }
    assert cache.get("otp:code:+919876543210") is None
