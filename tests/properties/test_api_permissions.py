"""The role matrix for every properties endpoint and the staff user list: who gets what, and a
denied request changes nothing (row, audit trail, events, SMS)."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from properties.models import Property, Status
from propflow import sms
from tests.cast import ROLES, Cast, authenticated_client
from tests.events import EventListener, audience_groups
from tests.factories import UserFactory
from tests.properties.conftest import Snapshot, add_required_photos, property_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/properties/"
NEW_PROPERTY = {
    "property_type": "PLOT",
    "address": "Survey 42, Hinjewadi",
    "city": "Pune",
    "area_sqft": "5000",
}


# The code of each refusal these endpoints give, whatever the endpoint.
REFUSAL_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


def _matrix(*codes: int) -> list[tuple[str, int]]:
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


def _call_changing_nothing_unless_allowed(
    *,
    role: str,
    cast: Cast,
    property: Property,
    method: str,
    url: str,
    body: dict[str, Any] | None,
    expected: int,
    capture: Any,
) -> Any:
    """Makes the request; when it is refused, asserts that nothing changed anywhere."""
    listener = EventListener.anywhere(audience_groups(cast))
    before = Snapshot.of(property)

    with capture(execute=True) as callbacks:
        response = getattr(cast.client(role), method)(url, body, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert isinstance(response.json()["detail"], str)
        assert Snapshot.of(property) == before
        assert callbacks == []
        assert not listener.received_anything()
        assert sms.outbox == []
    return response


# --- List, create, retrieve, edit, delete, history --------------------------------------------


#                                   anon other owner unrel assigned reviewer admin
@pytest.mark.parametrize(("role", "expected"), _matrix(401, 200, 200, 200, 200, 200, 200))
def test_list_shows_each_role_only_what_it_may_see(role: str, expected: int, cast: Cast) -> None:
    assigned = property_in(Status.INSPECTING, cast=cast)
    declined_by_agent = property_in(Status.SUBMITTED, cast=cast)
    someone_elses = property_in(
        Status.SUBMITTED, cast=cast, owner=UserFactory.create(role=Role.CLIENT)
    )
    visible = {
        "other_client": set(),
        "owner": {assigned, declined_by_agent},
        "unrelated_agent": set(),
        "assigned_agent": {assigned},
        "reviewer": {assigned, declined_by_agent, someone_elses},
        "admin": {assigned, declined_by_agent, someone_elses},
    }

    response = cast.client(role).get(URL)

    assert response.status_code == expected
    if role == "anonymous":
        assert response.json() == {
            "detail": "Authentication credentials were not provided.",
            "code": "not_authenticated",
        }
    else:
        assert {item["id"] for item in response.json()["results"]} == {
            str(property.pk) for property in visible[role]
        }


#                                   anon other owner unrel assigned reviewer admin
@pytest.mark.parametrize(("role", "expected"), _matrix(401, 201, 201, 403, 403, 403, 403))
def test_only_clients_create_properties_and_own_what_they_create(
    role: str, expected: int, cast: Cast
) -> None:
    response = cast.client(role).post(URL, NEW_PROPERTY, format="json")

    assert response.status_code == expected
    if expected == 201:
        assert list(Property.objects.values_list("owner_id", flat=True)) == [
            cast.everyone()[role].pk
        ]
    else:
        assert isinstance(response.json()["detail"], str)
        assert Property.objects.count() == 0


#                                   anon other owner unrel assigned reviewer admin
@pytest.mark.parametrize(("role", "expected"), _matrix(401, 404, 200, 404, 200, 200, 200))
def test_retrieve_is_a_404_for_anyone_who_may_not_see_the_property(
    role: str, expected: int, cast: Cast
) -> None:
    property = property_in(Status.INSPECTING, cast=cast)

    response = cast.client(role).get(f"{URL}{property.pk}/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["id"] == str(property.pk)
    else:
        assert set(response.json()) == {"detail", "code"}
        assert response.json()["code"] == REFUSAL_CODES[expected]


#                                   anon other owner unrel assigned reviewer admin
@pytest.mark.parametrize(("role", "expected"), _matrix(401, 404, 200, 404, 200, 200, 200))
def test_history_is_a_404_for_anyone_who_may_not_see_the_property(
    role: str, expected: int, cast: Cast
) -> None:
    property = property_in(Status.INSPECTING, cast=cast)

    response = cast.client(role).get(f"{URL}{property.pk}/history/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json() == {"results": [], "next": None, "previous": None}
    else:
        assert set(response.json()) == {"detail", "code"}
        assert response.json()["code"] == REFUSAL_CODES[expected]


EDIT_MATRIX = [
    #                           anon other owner unrel assigned reviewer admin
    *[(Status.DRAFT, *row) for row in _matrix(401, 404, 200, 404, 404, 403, 403)],
    *[(Status.INSPECTING, *row) for row in _matrix(401, 404, 409, 404, 403, 403, 403)],
]


@pytest.mark.parametrize(("status", "role", "expected"), EDIT_MATRIX)
def test_only_the_owner_edits_and_only_a_draft(
    status: Status, role: str, expected: int, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(status, cast=cast, city="Pune")

    _call_changing_nothing_unless_allowed(
        role=role,
        cast=cast,
        property=property,
        method="patch",
        url=f"{URL}{property.pk}/",
        body={"city": "Satara"},
        expected=expected,
        capture=django_capture_on_commit_callbacks,
    )

    if expected == 200:
        assert Property.objects.get(pk=property.pk).city == "Satara"


DELETE_MATRIX = [
    #                           anon other owner unrel assigned reviewer admin
    *[(Status.DRAFT, *row) for row in _matrix(401, 404, 204, 404, 404, 403, 403)],
    *[(Status.INSPECTING, *row) for row in _matrix(401, 404, 409, 404, 403, 403, 403)],
]


@pytest.mark.parametrize(("status", "role", "expected"), DELETE_MATRIX)
def test_only_the_owner_deletes_and_only_a_draft(
    status: Status, role: str, expected: int, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    property = property_in(status, cast=cast)

    if expected == 204:
        response = cast.client(role).delete(f"{URL}{property.pk}/")
        assert response.status_code == 204
        assert not Property.objects.filter(pk=property.pk).exists()
        return
    _call_changing_nothing_unless_allowed(
        role=role,
        cast=cast,
        property=property,
        method="delete",
        url=f"{URL}{property.pk}/",
        body=None,
        expected=expected,
        capture=django_capture_on_commit_callbacks,
    )


# --- Workflow actions -------------------------------------------------------------------------

ACTION_MATRIX = {
    #                                              anon other owner unrel assigned reviewer admin
    ("submit", Status.DRAFT): _matrix(401, 404, 200, 404, 404, 403, 403),
    ("cancel", Status.DRAFT): _matrix(401, 404, 200, 404, 404, 403, 403),
    ("cancel", Status.SUBMITTED): _matrix(401, 404, 200, 404, 404, 403, 403),
    ("assign", Status.SUBMITTED): _matrix(401, 404, 403, 404, 404, 200, 200),
    ("accept", Status.ASSIGNED): _matrix(401, 404, 403, 404, 200, 403, 403),
    ("decline", Status.ASSIGNED): _matrix(401, 404, 403, 404, 200, 403, 403),
    ("complete", Status.INSPECTING): _matrix(401, 404, 403, 404, 200, 403, 403),
    ("request-revision", Status.IN_REVIEW): _matrix(401, 404, 403, 404, 403, 200, 200),
    ("approve", Status.IN_REVIEW): _matrix(401, 404, 403, 404, 403, 200, 200),
    ("reject", Status.IN_REVIEW): _matrix(401, 404, 403, 404, 403, 200, 200),
}


def _body(action: str, cast: Cast) -> dict[str, Any]:
    return {
        "assign": {"agent": str(cast.assigned_agent.pk)},
        "decline": {"reason": "On leave."},
        "request-revision": {"reason": "Retake the kitchen."},
        "approve": {"valuation_amount": "4200000.00"},
        "reject": {"reason": "Wrong address."},
    }.get(action, {})


@pytest.mark.parametrize(
    ("action", "status", "role", "expected"),
    [
        (action, status, role, expected)
        for (action, status), row in ACTION_MATRIX.items()
        for role, expected in row
    ],
)
def test_each_action_is_taken_only_by_its_actor(
    action: str,
    status: Status,
    role: str,
    expected: int,
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    property = property_in(status, cast=cast)
    if action == "complete":
        add_required_photos(property, uploaded_by=cast.assigned_agent)

    response = _call_changing_nothing_unless_allowed(
        role=role,
        cast=cast,
        property=property,
        method="post",
        url=f"{URL}{property.pk}/{action}/",
        body=_body(action, cast),
        expected=expected,
        capture=django_capture_on_commit_callbacks,
    )

    if expected == 200:
        assert response.json()["status"] != status
        assert Property.objects.get(pk=property.pk).status == response.json()["status"]


# --- Tokens -----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_bad_token_is_a_401_on_properties(header: str, cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    listed = client.get(URL)
    submitted = client.post(f"{URL}{property.pk}/submit/")

    assert (listed.status_code, submitted.status_code) == (401, 401)
    assert Property.objects.get(pk=property.pk).status == Status.DRAFT


def test_a_deactivated_users_token_no_longer_works(cast: Cast) -> None:
    property = property_in(Status.DRAFT, cast=cast)
    client = authenticated_client(cast.owner)
    cast.owner.is_active = False
    cast.owner.save(update_fields=["is_active"])

    response = client.post(f"{URL}{property.pk}/submit/")

    assert response.status_code == 401
    assert Property.objects.get(pk=property.pk).status == Status.DRAFT


# --- Staff user list --------------------------------------------------------------------------


#                                   anon other owner unrel assigned reviewer admin
@pytest.mark.parametrize(("role", "expected"), _matrix(401, 403, 403, 403, 403, 200, 200))
def test_only_staff_list_users(role: str, expected: int, cast: Cast) -> None:
    response = cast.client(role).get("/api/v1/users/?role=agent")

    assert response.status_code == expected
    if expected != 200:
        assert set(response.json()) == {"detail", "code"}
        assert response.json()["code"] == REFUSAL_CODES[expected]


def test_staff_list_the_active_agents(cast: Cast) -> None:
    UserFactory.create(role=Role.AGENT, is_active=False)
    agents = sorted([cast.assigned_agent, cast.unrelated_agent], key=lambda user: str(user.phone))

    response = authenticated_client(cast.reviewer).get("/api/v1/users/?role=agent")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {"id": str(agent.pk), "phone": str(agent.phone), "name": agent.name, "role": "agent"}
            for agent in agents
        ],
    }


def test_an_unknown_role_filter_is_a_400(cast: Cast) -> None:
    response = authenticated_client(cast.reviewer).get("/api/v1/users/?role=wizard")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["role"]
