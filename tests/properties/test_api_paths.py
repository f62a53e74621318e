"""Every path of the properties API: with or without its final slash, and an unknown or malformed
property id is a JSON 404."""

from typing import Any
from uuid import uuid4

import pytest
from rest_framework.test import APIClient

from properties.models import Status
from properties.workflow import Action
from tests.cast import Cast, authenticated_client
from tests.properties.conftest import NEW_PROPERTY, URL, add_required_photos, property_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slash", ["/", ""], ids=["with-slash", "without-slash"])
def test_every_endpoint_answers_with_or_without_the_final_slash(
    slash: str, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    owner = authenticated_client(cast.owner)
    reviewer = authenticated_client(cast.reviewer)
    agent = authenticated_client(cast.assigned_agent)
    draft = property_in(Status.DRAFT, cast=cast)
    doomed = property_in(Status.DRAFT, cast=cast)
    submitted = property_in(Status.SUBMITTED, cast=cast)
    assigned = property_in(Status.ASSIGNED, cast=cast)
    declined = property_in(Status.ASSIGNED, cast=cast)
    inspecting = property_in(Status.INSPECTING, cast=cast)
    add_required_photos(inspecting, uploaded_by=cast.assigned_agent)
    in_review = [property_in(Status.IN_REVIEW, cast=cast) for _ in range(3)]
    to_assign = property_in(Status.SUBMITTED, cast=cast)
    calls: list[tuple[APIClient, str, str, dict[str, Any], int]] = [
        (owner, "get", "/api/v1/properties", {}, 200),
        (owner, "post", "/api/v1/properties", NEW_PROPERTY, 201),
        (owner, "get", f"/api/v1/properties/{draft.pk}", {}, 200),
        (owner, "patch", f"/api/v1/properties/{draft.pk}", {"city": "Thane"}, 200),
        (owner, "get", f"/api/v1/properties/{draft.pk}/history", {}, 200),
        (owner, "delete", f"/api/v1/properties/{doomed.pk}", {}, 204),
        (owner, "post", f"/api/v1/properties/{draft.pk}/submit", {}, 200),
        (owner, "post", f"/api/v1/properties/{submitted.pk}/cancel", {}, 200),
        (
            reviewer,
            "post",
            f"/api/v1/properties/{to_assign.pk}/assign",
            {"agent": str(cast.assigned_agent.pk)},
            200,
        ),
        (agent, "post", f"/api/v1/properties/{assigned.pk}/accept", {}, 200),
        (agent, "post", f"/api/v1/properties/{declined.pk}/decline", {"reason": "Ill."}, 200),
        (agent, "post", f"/api/v1/properties/{inspecting.pk}/complete", {}, 200),
        (
            reviewer,
            "post",
            f"/api/v1/properties/{in_review[0].pk}/request-revision",
            {"reason": "Blurred."},
            200,
        ),
        (
            reviewer,
            "post",
            f"/api/v1/properties/{in_review[1].pk}/approve",
            {"valuation_amount": "100"},
            200,
        ),
        (reviewer, "post", f"/api/v1/properties/{in_review[2].pk}/reject", {"reason": "No."}, 200),
        (reviewer, "get", "/api/v1/users", {"role": "agent"}, 200),
    ]

    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for client, method, path, data, _ in calls:
            format_ = None if method == "get" else "json"
            response = getattr(client, method)(path + slash, data, format=format_)
            answers.append((method, path, response.status_code))

    assert answers == [(method, path, expected) for _, method, path, _, expected in calls]


ACTION_BODIES: dict[str, dict[str, Any]] = {
    "assign": {"agent": str(uuid4())},
    "decline": {"reason": "Busy."},
    "request-revision": {"reason": "Blurred."},
    "approve": {"valuation_amount": "100.00"},
    "reject": {"reason": "No."},
}


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("get", "history/"),
        *[("post", f"{action}/") for action in Action],
    ],
)
@pytest.mark.parametrize(
    "property_id",
    [
        "unknown",
        "12345",
        "not-a-uuid",
        "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
        "--------------------------------1234",
        "0000000000000000000000000000000000000",
    ],
)
def test_an_unknown_or_malformed_property_id_is_a_json_404(
    method: str, suffix: str, property_id: str, cast: Cast
) -> None:
    property_in(Status.DRAFT, cast=cast)
    ids = {"unknown": str(uuid4())}
    body = ACTION_BODIES.get(suffix.rstrip("/"), {"city": "Pune"})

    response = getattr(authenticated_client(cast.reviewer), method)(
        f"{URL}{ids.get(property_id, property_id)}/{suffix}", body, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
