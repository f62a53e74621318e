"""A JSON body nested deeper than the parser can follow is bad input (400), on every endpoint
that reads JSON, signed in or not: never a RecursionError and a 500."""

import pytest

from properties.models import Property
from tests.cast import authenticated_client
from tests.factories import PropertyFactory, UserFactory

pytestmark = pytest.mark.django_db

# 1,200 nested arrays: 2.4 KB.
NESTED = "[" * 1200 + "]" * 1200
DETAIL = "JSON parse error - the document is nested too deeply."


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/otp/request/", "/api/v1/auth/otp/verify/", "/api/v1/auth/token/refresh/"]
)
def test_it_refuses_deeply_nested_json_before_sign_in(api_client, path):
    response = api_client.post(path, NESTED, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == DETAIL


def test_it_refuses_deeply_nested_json_from_a_signed_in_client(client_user):
    http = authenticated_client(client_user)

    created = http.post("/api/v1/properties/", NESTED, content_type="application/json")

    assert created.status_code == 400
    assert created.json()["detail"] == DETAIL
    assert not Property.objects.exists()


def test_it_refuses_deeply_nested_json_in_a_workflow_action():
    reviewer = UserFactory.create(role="reviewer")
    listed = PropertyFactory.create()

    response = authenticated_client(reviewer).post(
        f"/api/v1/properties/{listed.id}/reject/", NESTED, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == DETAIL
    listed.refresh_from_db()
    assert listed.status == "DRAFT"
