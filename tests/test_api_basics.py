import json
import logging

import pytest
from django.core.management import call_command

from tests.cast import authenticated_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_validates(tmp_path):
    output = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(output))

    text = output.read_text()
    for path in ("/api/v1/auth/otp/request/", "/api/v1/auth/otp/verify/", "/api/v1/auth/me/"):
        assert path in text


def test_the_schema_and_docs_are_served(client):
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_wrong_method_is_a_json_405():
    response = authenticated_client(UserFactory.create()).delete("/api/v1/auth/me/")

    assert response.status_code == 405
    assert response.json() == {
        "detail": 'Method "DELETE" not allowed.',
        "code": "method_not_allowed",
    }


def test_request_logs_hold_no_codes_tokens_or_query_strings(api_client, caplog):
    caplog.set_level(logging.INFO, logger="propflow.request")
    api_client.post(
        "/api/v1/auth/otp/request/?token=secret-token", {"phone": "+919876543210"}, format="json"
    )

    records = [record for record in caplog.records if record.name == "propflow.request"]
    assert [(record.method, record.path, record.status) for record in records] == [
        ("POST", "/api/v1/auth/otp/request/", 202)
    ]
    assert "secret-token" not in caplog.text


def test_the_json_formatter_writes_one_object_per_line():
    from propflow.logs import JsonFormatter

    record = logging.makeLogRecord(
        {"name": "propflow.request", "msg": "GET /health 200", "levelname": "INFO", "status": 200}
    )

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "GET /health 200"
    assert entry["status"] == 200
    assert entry["level"] == "INFO"


def test_a_form_body_to_a_json_endpoint_is_a_json_415(api_client):
    response = api_client.post(
        "/api/v1/auth/otp/request/", {"phone": "+919876543210"}, format="multipart"
    )

    assert response.status_code == 415
    assert response.json()["detail"].startswith("Unsupported media type")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=x", "page_size"),
        ("cursor=garbage", "cursor"),
    ],
)
def test_malformed_paging_is_a_400(query, field):
    response = authenticated_client(UserFactory.create(role="reviewer")).get(
        f"/api/v1/users/?{query}"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_errors_of_a_list_item_are_flat_messages_of_its_field():
    # The schema promises a list of strings per field; a list item's errors came nested.
    response = authenticated_client(UserFactory.create(role="client")).post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.com/", "event_types": ["x" * 65, "photo.reviewed"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "event_types": ["0: Ensure this field has no more than 64 characters."]
    }
