"""The property list, GET /api/v1/properties/: filters, search, ordering, cursor pages, and the
query parameters it refuses."""

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from photos.models import QcStatus
from properties.api.views import PropertyViewSet
from properties.models import Property, PropertyType, Status
from tests.cast import Cast, authenticated_client
from tests.factories import PhotoFactory, PropertyFactory, UserFactory
from tests.properties.conftest import DUE_DATE, URL, property_in

pytestmark = pytest.mark.django_db


# --- Filters, search, ordering ----------------------------------------------------------------


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def test_filtering_by_several_statuses(cast: Cast) -> None:
    draft = property_in(Status.DRAFT, cast=cast)
    property_in(Status.SUBMITTED, cast=cast)
    in_review = property_in(Status.IN_REVIEW, cast=cast)

    response = authenticated_client(cast.reviewer).get(f"{URL}?status=DRAFT&status=IN_REVIEW")

    assert set(_ids(response.json()["results"])) == {str(draft.pk), str(in_review.pk)}


def test_filtering_by_property_type(cast: Cast) -> None:
    villa = property_in(Status.DRAFT, cast=cast, property_type=PropertyType.VILLA)
    plot = property_in(Status.DRAFT, cast=cast, property_type=PropertyType.PLOT)
    property_in(Status.DRAFT, cast=cast, property_type=PropertyType.HOUSE)

    one = authenticated_client(cast.owner).get(f"{URL}?property_type=VILLA")
    two = authenticated_client(cast.owner).get(f"{URL}?property_type=VILLA&property_type=PLOT")

    assert _ids(one.json()["results"]) == [str(villa.pk)]
    assert set(_ids(two.json()["results"])) == {str(villa.pk), str(plot.pk)}


def test_filtering_by_city_ignores_case_but_not_the_rest_of_the_name(cast: Cast) -> None:
    pune = property_in(Status.DRAFT, cast=cast, city="Pune")
    property_in(Status.DRAFT, cast=cast, city="Pune East")
    property_in(Status.DRAFT, cast=cast, city="Mumbai")

    response = authenticated_client(cast.owner).get(f"{URL}?city=pUNE")

    assert _ids(response.json()["results"]) == [str(pune.pk)]


def test_filtering_by_agent(cast: Cast) -> None:
    mine = property_in(Status.INSPECTING, cast=cast)
    property_in(Status.INSPECTING, cast=cast, assigned_agent=cast.unrelated_agent)
    property_in(Status.SUBMITTED, cast=cast)

    response = authenticated_client(cast.reviewer).get(f"{URL}?agent={cast.assigned_agent.pk}")

    assert _ids(response.json()["results"]) == [str(mine.pk)]


def test_filtering_by_creation_range(cast: Cast) -> None:
    created = {}
    for day in (1, 10, 20):
        property = property_in(Status.DRAFT, cast=cast)
        Property.objects.filter(pk=property.pk).update(
            created_at=datetime(2025, 4, day, 12, tzinfo=UTC)
        )
        created[day] = property.pk
    client = authenticated_client(cast.owner)

    after = client.get(f"{URL}?created_after=2025-04-10T12:00:00Z")
    before = client.get(f"{URL}?created_before=2025-04-10T12:00:00Z")
    between = client.get(f"{URL}?created_after=2025-04-02T00:00:00Z&created_before=2025-04-15")

    assert _ids(after.json()["results"]) == [str(created[20]), str(created[10])]
    assert _ids(before.json()["results"]) == [str(created[1])]
    assert _ids(between.json()["results"]) == [str(created[10])]


def test_filtering_by_qc_state_finds_properties_with_a_photo_in_that_state(cast: Cast) -> None:
    failing = property_in(Status.IN_REVIEW, cast=cast)
    PhotoFactory.create(property=failing, qc_status=QcStatus.PASS, uploaded_by=cast.owner)
    PhotoFactory.create(property=failing, qc_status=QcStatus.FAIL, uploaded_by=cast.owner)
    passing = property_in(Status.IN_REVIEW, cast=cast)
    PhotoFactory.create(property=passing, qc_status=QcStatus.PASS, uploaded_by=cast.owner)
    property_in(Status.IN_REVIEW, cast=cast)
    client = authenticated_client(cast.reviewer)

    failed = client.get(f"{URL}?qc_status=FAIL")
    passed = client.get(f"{URL}?qc_status=PASS")

    assert _ids(failed.json()["results"]) == [str(failing.pk)]
    assert _ids(passed.json()["results"]) == [str(passing.pk), str(failing.pk)]


def test_search_looks_in_address_and_city(cast: Cast) -> None:
    by_address = property_in(Status.DRAFT, cast=cast, address="9 Baner Hill Road", city="Pune")
    by_city = property_in(Status.DRAFT, cast=cast, address="3 MG Road", city="Baner")
    property_in(Status.DRAFT, cast=cast, address="1 FC Road", city="Pune")

    response = authenticated_client(cast.owner).get(f"{URL}?search=baner")

    assert set(_ids(response.json()["results"])) == {str(by_address.pk), str(by_city.pk)}


def test_filters_only_narrow_what_the_user_may_see(cast: Cast) -> None:
    property_in(Status.DRAFT, cast=cast, city="Pune")

    response = authenticated_client(cast.other_client).get(f"{URL}?city=Pune&status=DRAFT")

    assert response.json()["results"] == []


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_ordering_by_last_update(descending: bool, cast: Cast) -> None:
    properties = [property_in(Status.DRAFT, cast=cast, city=city) for city in ("Agra", "Pune")]
    properties[0].city = "Nagpur"
    properties[0].save()  # updated last now

    response = authenticated_client(cast.owner).get(
        f"{URL}?ordering={'-' if descending else ''}updated_at"
    )

    expected = ["Pune", "Nagpur"] if not descending else ["Nagpur", "Pune"]
    assert [item["city"] for item in response.json()["results"]] == expected


def test_ordering_by_a_field_with_ties_falls_back_to_newest_first(cast: Cast) -> None:
    properties = [property_in(Status.DRAFT, cast=cast, city=city) for city in ("Pune", "Agra")]

    response = authenticated_client(cast.owner).get(f"{URL}?ordering=city")

    assert [item["id"] for item in response.json()["results"]] == [
        str(property.pk) for property in reversed(properties)
    ]


def test_the_default_order_is_newest_first(cast: Cast) -> None:
    properties = [property_in(Status.DRAFT, cast=cast) for _ in range(4)]

    response = authenticated_client(cast.owner).get(URL)

    assert _ids(response.json()["results"]) == [str(p.pk) for p in reversed(properties)]


# --- Cursor pages -----------------------------------------------------------------------------


def _many_properties(cast: Cast) -> list[Property]:
    """Eleven properties with many ties in city, status and due date, some without one."""
    statuses = [Status.DRAFT, Status.SUBMITTED, Status.ASSIGNED]
    return [
        property_in(
            statuses[index % 3],
            cast=cast,
            city=["Pune", "Agra"][index % 2],
            due_date=None if index % 3 == 0 else DUE_DATE,
        )
        for index in range(11)
    ]


ORDERINGS = [
    "",
    *PropertyViewSet.ordering_fields,
    *(f"-{field}" for field in PropertyViewSet.ordering_fields),
]


def _forward_pages(client: APIClient, url: str) -> tuple[list[list[str]], dict[str, Any]]:
    pages: list[list[str]] = []
    next_url: str | None = url
    while next_url:
        body = client.get(next_url).json()
        pages.append(_ids(body["results"]))
        next_url = body["next"]
    return pages, body


@pytest.mark.parametrize("ordering", ORDERINGS, ids=[o or "default" for o in ORDERINGS])
def test_next_links_visit_every_property_exactly_once(ordering: str, cast: Cast) -> None:
    expected = {str(property.pk) for property in _many_properties(cast)}

    pages, _ = _forward_pages(
        authenticated_client(cast.reviewer), f"{URL}?page_size=3&ordering={ordering}"
    )

    forwards = [item for page in pages for item in page]
    assert sorted(forwards) == sorted(expected), "a property is missing or appears twice"
    assert [len(page) for page in pages] == [3, 3, 3, 2]


@pytest.mark.parametrize("ordering", ORDERINGS, ids=[o or "default" for o in ORDERINGS])
def test_previous_links_lead_back_through_the_same_pages(ordering: str, cast: Cast) -> None:
    _many_properties(cast)
    client = authenticated_client(cast.reviewer)
    pages, last = _forward_pages(client, f"{URL}?page_size=3&ordering={ordering}")
    backwards: list[list[str]] = []
    previous_url = last["previous"]
    while previous_url:
        body = client.get(previous_url).json()
        backwards.append(_ids(body["results"]))
        previous_url = body["previous"]

    assert backwards == pages[-2::-1]


def test_the_first_page_has_no_previous_link_and_the_last_no_next(cast: Cast) -> None:
    _many_properties(cast)
    client = authenticated_client(cast.reviewer)

    first = client.get(f"{URL}?page_size=10").json()
    last = client.get(first["next"]).json()

    assert (first["previous"], len(first["results"])) == (None, 10)
    assert (last["next"], len(last["results"])) == (None, 1)
    assert last["previous"] is not None


def test_a_page_holds_up_to_a_hundred_properties(cast: Cast) -> None:
    owner = UserFactory.create(role="client")
    Property.objects.bulk_create(PropertyFactory.build_batch(105, owner=owner))

    response = authenticated_client(owner).get(f"{URL}?page_size=100")

    assert len(response.json()["results"]) == 100
    assert response.json()["next"] is not None


# --- Malformed parameters: a 400 naming the parameter, never a 500 ----------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=FOO", "status"),
        ("status=DRAFT&status=NOPE", "status"),
        ("property_type=CASTLE", "property_type"),
        ("agent=not-a-uuid", "agent"),
        ("created_after=yesterday", "created_after"),
        ("created_before=2024-13-01", "created_before"),
        ("qc_status=MAYBE", "qc_status"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_the_filter(
    query: str, field: str, cast: Cast
) -> None:
    response = authenticated_client(cast.reviewer).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    "query",
    ["ordering=owner__phone", "ordering=nonsense", "ordering=", "ordering=due_date"],
)
def test_an_unknown_ordering_falls_back_to_the_default(query: str, cast: Cast) -> None:
    properties = [property_in(Status.DRAFT, cast=cast) for _ in range(3)]

    response = authenticated_client(cast.owner).get(f"{URL}?{query}")

    assert response.status_code == 200
    assert _ids(response.json()["results"]) == [str(p.pk) for p in reversed(properties)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=garbage", "cursor"),
        ("cursor=bz0tMQ==", "cursor"),
        ("page_size=abc", "page_size"),
        ("page_size=-3", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
    ],
)
def test_malformed_paging_is_a_400_naming_the_parameter(query: str, field: str, cast: Cast) -> None:
    response = authenticated_client(cast.owner).get(f"{URL}?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    ("ordering", "position"),
    [
        ("", "2024"),
        ("", "yesterday"),
        ("-updated_at", "2024-13-45T99:00:00"),
        ("city", "Pune\x00"),
        ("status", "\x00"),
    ],
)
def test_a_forged_cursor_with_an_impossible_position_is_a_400_not_a_500(
    ordering: str, position: str, cast: Cast
) -> None:
    # A cursor is base64 of a query string; p= is the value of the ordering field to resume
    # after. A creation time that is not a time, or a NUL PostgreSQL cannot compare, is no
    # cursor this API ever handed out.
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    property_in(Status.DRAFT, cast=cast)
    client = authenticated_client(cast.owner)
    client.raise_request_exception = False

    response = client.get(f"{URL}?ordering={ordering}&cursor={cursor}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize(
    "query",
    [
        # Python accepts offsets up to ±23:59; PostgreSQL refuses past ±15:59.
        "created_after=2025-01-01T00:00:00-19:30",
        "created_before=2025-01-01T00:00:00%2B20:00",
        f"cursor={base64.b64encode(b'p=2025-01-01T00:00:00-19:30').decode()}",
    ],
)
def test_a_time_with_an_offset_the_database_refuses_is_no_500(query: str, cast: Cast) -> None:
    property_in(Status.DRAFT, cast=cast)
    client = authenticated_client(cast.owner)
    client.raise_request_exception = False

    response = client.get(f"{URL}?{query}")

    # The instant is fine once converted to UTC: an ordinary answer.
    assert response.status_code == 200
    assert "results" in response.json()
