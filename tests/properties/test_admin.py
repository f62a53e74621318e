"""The back office through Django's test client: the review queue, a property's page, the
workflow buttons and the bulk assignment, and who may use any of it."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from photos.models import Category, QcStatus
from properties.admin import EstimatedCountPaginator
from properties.models import Property, Status, StatusChange
from tests.cast import Cast
from tests.factories import PhotoFactory, PropertyFactory, UserFactory
from tests.properties.conftest import DUE_DATE, Snapshot, property_in, row

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:properties_property_changelist")
EXPORT = reverse("admin:properties_property_export")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change_url(property: Property) -> str:
    return reverse("admin:properties_property_change", args=[property.pk])


def _workflow_url(property: Property, action: str) -> str:
    return reverse("admin:properties_property_workflow", args=[property.pk, action])


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _queue(response: Any) -> list[Property]:
    """The rows of the review queue's page, in order."""
    return list(response.context["cl"].result_list)


def _audit(property: Property) -> list[tuple[str, str, Any, str, str]]:
    return [
        (change.from_status, change.to_status, change.actor_id, change.actor_role, change.reason)
        for change in StatusChange.objects.filter(property=property)
    ]


# --- The review queue ------------------------------------------------------------------------


def test_the_queue_lists_in_review_first_then_the_oldest_due_date(cast: Cast) -> None:
    def make(status: Status, due_date: date | None) -> Property:
        return property_in(status, cast=cast, due_date=due_date)

    in_review_later = make(Status.IN_REVIEW, date(2031, 3, 20))
    submitted = make(Status.SUBMITTED, None)
    in_review_undated = make(Status.IN_REVIEW, None)
    inspecting = make(Status.INSPECTING, date(2031, 3, 5))
    in_review_sooner = make(Status.IN_REVIEW, date(2031, 3, 10))
    assigned = make(Status.ASSIGNED, date(2031, 3, 1))

    response = _signed_in(cast.reviewer).get(CHANGELIST)

    assert response.status_code == 200
    assert _queue(response) == [
        in_review_sooner,
        in_review_later,
        in_review_undated,
        assigned,
        inspecting,
        submitted,
    ]


def test_the_queue_shows_each_property_s_qc_counts(cast: Cast) -> None:
    checked = property_in(Status.IN_REVIEW, cast=cast)
    results = [QcStatus.PASS, QcStatus.PASS, QcStatus.WARN, QcStatus.FAIL]
    results += [QcStatus.PENDING, QcStatus.RUNNING, QcStatus.ERROR]
    for qc_status in results:
        PhotoFactory.create(property=checked, qc_status=qc_status, uploaded_by=cast.assigned_agent)
    unchecked = property_in(Status.SUBMITTED, cast=cast)

    response = _signed_in(cast.reviewer).get(CHANGELIST)

    html = response.content.decode()
    assert (
        '<td class="field-qc_counts"><span class="qc-badges">'
        '<span class="qc-badge qc-pass" title="2 passed">2</span> '
        '<span class="qc-badge qc-warn" title="1 warned">1</span> '
        '<span class="qc-badge qc-fail" title="1 failed">1</span> '
        '<span class="qc-badge qc-pending" title="2 pending">2</span> '
        '<span class="qc-badge qc-error" title="1 unreadable">1</span></span></td>'
    ) in html
    assert (
        '<td class="field-qc_counts"><span class="qc-badges">'
        '<span class="qc-badge qc-pass qc-zero" title="0 passed">0</span> '
        '<span class="qc-badge qc-warn qc-zero" title="0 warned">0</span> '
        '<span class="qc-badge qc-fail qc-zero" title="0 failed">0</span> '
        '<span class="qc-badge qc-pending qc-zero" title="0 pending">0</span></span></td>'
    ) in html
    assert [property.pk for property in _queue(response)] == [checked.pk, unchecked.pk]


def _queue_queries(reviewer: User, properties: int) -> int:
    for _ in range(properties):
        agent = UserFactory.create(role=Role.AGENT)
        property = PropertyFactory.create(
            status=Status.IN_REVIEW, assigned_agent=agent, due_date=DUE_DATE
        )
        PhotoFactory.create(property=property, qc_status=QcStatus.PASS)
    client = _signed_in(reviewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert len(_queue(response)) == properties
    return len(queries)


def test_the_queue_s_query_count_does_not_grow_with_its_rows(cast: Cast) -> None:
    five = _queue_queries(cast.reviewer, 5)
    Property.objects.all().delete()

    fifty = _queue_queries(cast.reviewer, 50)

    assert fifty == five


# One moment of one day: a test that reads the date twice fails when it runs across midnight.
@pytest.mark.time_machine(datetime(2031, 3, 10, 12, 0, tzinfo=UTC), tick=True)
def test_an_open_property_past_its_due_date_is_marked_and_filtered_as_overdue(
    cast: Cast,
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    late = property_in(Status.INSPECTING, cast=cast, due_date=yesterday)
    done = property_in(Status.VALUED, cast=cast, due_date=yesterday)
    on_time = property_in(Status.ASSIGNED, cast=cast, due_date=timezone.localdate())
    undated = property_in(Status.SUBMITTED, cast=cast)
    client = _signed_in(cast.reviewer)

    html = client.get(CHANGELIST).content.decode()
    overdue_only = _queue(client.get(CHANGELIST, {"overdue": "yes"}))
    not_overdue = _queue(client.get(CHANGELIST, {"overdue": "no"}))

    assert html.count("· overdue</strong>") == 1
    assert f'<strong class="overdue">{yesterday.isoformat()} · overdue</strong>' in html
    assert overdue_only == [late]
    assert {property.pk for property in not_overdue} == {done.pk, on_time.pk, undated.pk}


def test_the_queue_filters_by_city_and_agent_and_searches_the_owner_s_phone(cast: Cast) -> None:
    assigned = property_in(Status.ASSIGNED, cast=cast)
    other_owner = UserFactory.create(role=Role.CLIENT, phone="+919811122233")
    unassigned = PropertyFactory.create(owner=other_owner, status=Status.SUBMITTED, city="Mumbai")
    client = _signed_in(cast.reviewer)

    page = client.get(CHANGELIST)
    by_city = _queue(client.get(CHANGELIST, {"city": "Mumbai"}))
    by_agent = _queue(client.get(CHANGELIST, {"agent": str(cast.assigned_agent.pk)}))
    without_agent = _queue(client.get(CHANGELIST, {"agent": "none"}))
    by_phone = _queue(client.get(CHANGELIST, {"q": "9811122233"}))

    filters = {spec.title: spec for spec in page.context["cl"].filter_specs}
    assert filters["city"].lookup_choices == [("Mumbai", "Mumbai"), ("Pune", "Pune")]
    assert filters["assigned agent"].lookup_choices == [
        (str(cast.assigned_agent.pk), str(cast.assigned_agent)),
        (str(cast.unrelated_agent.pk), str(cast.unrelated_agent)),
        ("none", "Unassigned"),
    ]
    assert by_city == [unassigned]
    assert by_agent == [assigned]
    assert without_agent == [unassigned]
    assert by_phone == [unassigned]


@pytest.mark.parametrize(
    "agent",
    ["not-a-uuid", "0", "'", "x" * 10_000, "ঠিকানা"],
    ids=["not-a-uuid", "zero", "quote", "10000-characters", "unicode"],
)
def test_an_agent_filter_that_is_not_an_id_lists_nothing_in_the_queue_or_its_export(
    cast: Cast, agent: str
) -> None:
    property_in(Status.ASSIGNED, cast=cast)
    client = _signed_in(cast.reviewer)

    page = client.get(CHANGELIST, {"agent": agent})
    export, rows = _export(client, agent=agent)

    assert page.status_code == 200
    assert _queue(page) == []
    assert export.status_code == 200
    assert rows == []


def test_the_paginator_takes_postgresql_s_estimate_past_its_exact_limit(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's")
    PropertyFactory.create_batch(3, owner=cast.owner)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_limit", 0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE properties_property")

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(Property.objects.all(), 20).count

    assert count == 3
    assert [query["sql"].split(" ")[0] for query in queries.captured_queries] == ["EXPLAIN"]


# --- A property's page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        (Status.SUBMITTED, ["Assign agent"]),
        (Status.IN_REVIEW, ["Request revision", "Approve with valuation", "Reject"]),
        (Status.INSPECTING, []),
        (Status.VALUED, []),
    ],
)
def test_the_page_offers_a_button_per_action_the_status_allows(
    status: Status, buttons: list[str], cast: Cast
) -> None:
    property = property_in(status, cast=cast)

    response = _signed_in(cast.reviewer).get(_change_url(property))

    assert response.status_code == 200
    assert [label for label, url in response.context["workflow_buttons"]] == buttons
    assert response.content.decode().count('class="workflow-action"') == len(buttons)


def test_the_page_shows_photos_with_previews_checks_and_links_and_the_history(
    cast: Cast,
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)
    checks = [
        {"name": "gps_distance", "result": "warn", "detail": "0.61 km from the property"},
        {"name": "sharpness", "result": "pass", "detail": "sharp"},
    ]
    photo = PhotoFactory.create(
        property=property,
        category=Category.KITCHEN,
        qc_status=QcStatus.WARN,
        qc_checks=checks,
        preview="photos/preview.jpg",
        uploaded_by=cast.assigned_agent,
    )
    PhotoFactory.create(property=property, uploaded_by=cast.assigned_agent)
    StatusChange.objects.create(
        property=property,
        from_status=Status.INSPECTING,
        to_status=Status.IN_REVIEW,
        actor=cast.assigned_agent,
        actor_role=Role.AGENT,
    )

    response = _signed_in(cast.reviewer).get(_change_url(property))

    html = response.content.decode()
    preview_url = reverse("photo-file", kwargs={"pk": photo.pk, "variant": "preview"})
    original_url = reverse("photo-file", kwargs={"pk": photo.pk, "variant": "file"})
    assert (
        f'<a href="{original_url}" class="photo-original" target="_blank" rel="noopener" '
        f'title="Open the original kitchen photo">'
        f'<img src="{preview_url}" alt="" width="160" loading="lazy"></a>'
    ) in html
    assert html.count("no preview yet") == 1
    assert (
        '<ul class="qc-checks"><li class="qc-check qc-warn"><strong>gps_distance</strong> warn: '
        '0.61 km from the property</li><li class="qc-check qc-pass"><strong>sharpness</strong> '
        "pass: sharp</li></ul>"
    ) in html
    assert f'<li class="photo-card qc-warn" id="photo-{photo.pk}"' in html
    assert f'href="{reverse("admin:photos_photo_change", args=[photo.pk])}"' in html
    history = response.context["inline_admin_formsets"][1]
    assert [form.original for form in history] == list(StatusChange.objects.all())
    assert (history.has_add_permission, history.has_change_permission) == (False, False)
    assert history.has_delete_permission is False


def _credentials(validation: str, *actions: str, ai_generated: bool = False) -> dict[str, Any]:
    return {
        "validation": validation,
        "signer": "Google LLC",
        "generator": "Pixel Camera 1.0",
        "signed_at": None,
        "actions": list(actions or ["c2pa.created"]),
        "ai_generated": ai_generated,
        "failures": ["assertion.dataHash.mismatch"] if validation == "invalid" else [],
    }


# Each badge, with the credentials and the provenance check's result that make it.
PROVENANCE_BADGES = {
    "trusted": (_credentials("trusted"), "pass"),
    "valid": (_credentials("valid"), "warn"),
    "invalid": (_credentials("invalid"), "fail"),
    "ai": (_credentials("trusted", ai_generated=True), "fail"),
    "remote": (_credentials("remote"), "warn"),
    "edited": (_credentials("trusted", "c2pa.created", "c2pa.edited"), "warn"),
    "none": (None, "pass"),
}


def test_each_photo_card_shows_its_provenance_badge(cast: Cast) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)
    for badge, (credentials, result) in PROVENANCE_BADGES.items():
        PhotoFactory.create(
            property=property,
            uploaded_by=cast.assigned_agent,
            qc_status=QcStatus.PASS,
            qc_checks=[{"name": "provenance", "result": result, "detail": badge}],
            content_credentials=credentials,
        )
    PhotoFactory.create(  # without credentials but with an edit trace
        property=property,
        uploaded_by=cast.assigned_agent,
        qc_status=QcStatus.WARN,
        qc_checks=[{"name": "provenance", "result": "warn", "detail": "Edited in GIMP 2.10"}],
    )
    PhotoFactory.create(property=property, uploaded_by=cast.assigned_agent)  # not checked yet

    html = _signed_in(cast.reviewer).get(_change_url(property)).content.decode()

    badges = re.findall(r'<span class="provenance-badge provenance-(\w+)">([^<]+)</span>', html)
    assert badges == [
        ("trusted", "Trusted credentials"),
        ("valid", "Credentials, signer not trusted"),
        ("invalid", "Invalid credentials"),
        ("ai", "AI-generated"),
        ("remote", "Remote credentials, not verified"),
        ("edited", "Edited"),
        ("none", "No credentials"),
        ("edited", "Edited"),
    ]
    assert html.count("<dt>Signer</dt><dd>Google LLC</dd>") == 6
    assert html.count("<dt>Failures</dt><dd>assertion.dataHash.mismatch</dd>") == 1


def test_the_queue_filters_properties_with_invalid_or_ai_credentials(cast: Cast) -> None:
    flagged = {}
    for badge in ("invalid", "ai", "trusted", "edited"):
        property = property_in(Status.IN_REVIEW, cast=cast)
        PhotoFactory.create(property=property, content_credentials=PROVENANCE_BADGES[badge][0])
        flagged[badge] = property
    without_photos = property_in(Status.IN_REVIEW, cast=cast)
    client = _signed_in(cast.reviewer)

    everything = _queue(client.get(CHANGELIST))
    only_flagged = _queue(client.get(CHANGELIST, {"credentials": "flagged"}))

    assert len(everything) == 5
    assert without_photos in everything
    assert {property.pk for property in only_flagged} == {
        flagged["invalid"].pk,
        flagged["ai"].pk,
    }


def test_the_form_keeps_the_workflow_s_fields_read_only(cast: Cast) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)
    other_agent = UserFactory.create(role=Role.AGENT)

    response = _signed_in(cast.reviewer).post(
        _change_url(property),
        {
            "property_type": "VILLA",
            "address": "14 Lane 7, Koregaon Park",
            "city": "Pune",
            "postal_code": "411001",
            "area_sqft": "1200.00",
            "latitude": "18.5362",
            "longitude": "73.8940",
            "due_date": "2031-04-01",
            "status": Status.VALUED,
            "assigned_agent": str(other_agent.pk),
            "valuation_amount": "1",
            "revision_count": "9",
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
            "history-TOTAL_FORMS": "0",
            "history-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    saved = row(property)
    assert (saved["address"], saved["property_type"], saved["due_date"]) == (
        "14 Lane 7, Koregaon Park",
        "VILLA",
        date(2031, 4, 1),
    )
    assert (saved["status"], saved["assigned_agent_id"]) == (
        Status.IN_REVIEW,
        cast.assigned_agent.pk,
    )
    assert (saved["valuation_amount"], saved["revision_count"]) == (None, 0)
    assert StatusChange.objects.count() == 0


def test_reviewers_neither_add_nor_delete_properties(cast: Cast) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)
    client = _signed_in(cast.reviewer)

    add = client.get(reverse("admin:properties_property_add"))
    delete = client.post(reverse("admin:properties_property_delete", args=[property.pk]))

    assert (add.status_code, delete.status_code) == (403, 403)
    assert Property.objects.filter(pk=property.pk).exists()


# --- Workflow buttons ------------------------------------------------------------------------


def test_assign_through_its_button_gives_the_agent_the_property_with_a_history_row(
    cast: Cast,
) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)
    client = _signed_in(cast.reviewer)

    form = client.get(_workflow_url(property, "assign"))
    response = client.post(
        _workflow_url(property, "assign"),
        {"agent": str(cast.assigned_agent.pk), "due_date": "2031-05-02"},
    )

    assert form.status_code == 200
    assert list(form.context["form"].fields) == ["agent", "due_date"]
    assert response.status_code == 302
    assert response["Location"] == _change_url(property)
    saved = row(property)
    assert (saved["status"], saved["assigned_agent_id"], saved["due_date"]) == (
        Status.ASSIGNED,
        cast.assigned_agent.pk,
        date(2031, 5, 2),
    )
    assert _audit(property) == [
        (Status.SUBMITTED, Status.ASSIGNED, cast.reviewer.pk, Role.REVIEWER, "")
    ]
    assert _messages(response) == [
        f"Assign agent: done; {property} is now Assigned.",
    ]


@pytest.mark.parametrize(
    ("action", "data", "status", "fields"),
    [
        (
            "request-revision",
            {"reason": "The kitchen photo is blurred."},
            Status.INSPECTING,
            {"revision_count": 1, "valuation_amount": None},
        ),
        (
            "approve",
            {"valuation_amount": "8750000.00", "valuation_notes": "In line with the street."},
            Status.VALUED,
            {"revision_count": 0, "valuation_amount": Decimal("8750000.00")},
        ),
        (
            "reject",
            {"reason": "The building is not at this address."},
            Status.REJECTED,
            {"revision_count": 0, "valuation_amount": None},
        ),
    ],
)
def test_a_review_button_moves_the_property_through_the_service_with_a_history_row(
    action: str, data: dict[str, str], status: Status, fields: dict[str, Any], cast: Cast
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)

    response = _signed_in(cast.admin).post(_workflow_url(property, action), data)

    assert response.status_code == 302
    saved = row(property)
    assert saved["status"] == status
    assert {name: saved[name] for name in fields} == fields
    assert _audit(property) == [
        (Status.IN_REVIEW, status, cast.admin.pk, Role.ADMIN, data.get("reason", ""))
    ]


def test_approve_without_a_valuation_shows_the_service_s_refusal_and_changes_nothing(
    cast: Cast,
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)
    before = Snapshot.of(property)

    response = _signed_in(cast.reviewer).post(
        _workflow_url(property, "approve"), {"valuation_amount": "", "valuation_notes": "Fine."}
    )

    assert response.status_code == 200
    assert _messages(response) == ["A positive valuation amount is required to approve."]
    assert response.context["form"].data["valuation_notes"] == "Fine."
    assert Snapshot.of(property) == before


def test_an_action_the_status_does_not_allow_is_refused_and_changes_nothing(cast: Cast) -> None:
    property = property_in(Status.SUBMITTED, cast=cast)
    before = Snapshot.of(property)

    response = _signed_in(cast.reviewer).post(
        _workflow_url(property, "reject"), {"reason": "Not a real address."}
    )

    assert response.status_code == 302
    assert response["Location"] == _change_url(property)
    assert _messages(response) == [
        "Cannot reject a property that is SUBMITTED; allowed now: assign."
    ]
    assert Snapshot.of(property) == before


def test_an_action_that_is_not_a_reviewer_s_is_not_found(cast: Cast) -> None:
    property = property_in(Status.ASSIGNED, cast=cast)
    before = Snapshot.of(property)

    response = _signed_in(cast.reviewer).post(_workflow_url(property, "accept"))

    assert response.status_code == 404
    assert Snapshot.of(property) == before


# --- Bulk assignment -------------------------------------------------------------------------


def test_bulk_assign_asks_for_the_agent_then_assigns_each_through_the_service(
    cast: Cast,
) -> None:
    first = property_in(Status.SUBMITTED, cast=cast, address="3 MG Road")
    second = property_in(Status.SUBMITTED, cast=cast, address="9 MG Road")
    in_review = property_in(Status.IN_REVIEW, cast=cast, address="5 FC Road")
    in_review_before = Snapshot.of(in_review)
    selected = [str(property.pk) for property in (first, second, in_review)]
    client = _signed_in(cast.reviewer)

    page = client.post(CHANGELIST, {"action": "assign_to_agent", "_selected_action": selected})
    history_after_the_page = StatusChange.objects.count()
    response = client.post(
        CHANGELIST,
        {
            "action": "assign_to_agent",
            "_selected_action": selected,
            "apply": "yes",
            "agent": str(cast.assigned_agent.pk),
            "due_date": "2031-06-30",
        },
    )

    assert page.status_code == 200
    assert (page.context["count"], page.context["selected"]) == (3, selected)
    assert history_after_the_page == 0
    assert response.status_code == 302
    for property in (first, second):
        assert (row(property)["status"], row(property)["due_date"]) == (
            Status.ASSIGNED,
            date(2031, 6, 30),
        )
        assert _audit(property) == [
            (Status.SUBMITTED, Status.ASSIGNED, cast.reviewer.pk, Role.REVIEWER, "")
        ]
    assert sorted(_messages(response)) == [
        "5 FC Road, Pune: Cannot assign a property that is IN_REVIEW; allowed now: "
        "request-revision, approve, reject.",
        f"Assigned 2 properties to {cast.assigned_agent}.",
    ]
    assert Snapshot.of(in_review).property_row == in_review_before.property_row


# --- Who may use the back office --------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CLIENT, Role.AGENT])
def test_clients_and_agents_are_sent_to_the_login_page_and_change_nothing(
    role: Role, cast: Cast
) -> None:
    user = cast.owner if role == Role.CLIENT else cast.assigned_agent
    submitted = property_in(Status.SUBMITTED, cast=cast)
    in_review = property_in(Status.IN_REVIEW, cast=cast)
    before = (Snapshot.of(submitted), Snapshot.of(in_review))
    client = _signed_in(user)

    responses = [
        client.get(CHANGELIST),
        client.get(_change_url(in_review)),
        client.post(_workflow_url(in_review, "approve"), {"valuation_amount": "100"}),
        client.get(EXPORT),
        client.post(
            CHANGELIST,
            {
                "action": "assign_to_agent",
                "_selected_action": [str(submitted.pk)],
                "apply": "yes",
                "agent": str(cast.assigned_agent.pk),
            },
        ),
    ]

    for response in responses:
        assert response.status_code == 302
        assert response["Location"].startswith(f"{reverse('admin:login')}?next=")
    assert (Snapshot.of(submitted), Snapshot.of(in_review)) == before


def test_a_reviewer_cannot_open_the_user_admin_but_an_admin_can(cast: Cast) -> None:
    users = reverse("admin:accounts_user_changelist")

    reviewer = _signed_in(cast.reviewer).get(users)
    admin = _signed_in(cast.admin).get(users)

    assert reviewer.status_code == 403
    assert admin.status_code == 200


# --- QC verdicts, the CSV export, the map and the live bar --------------------------------------


def _with_photos(cast: Cast, *results: QcStatus, **fields: Any) -> Property:
    property = property_in(Status.IN_REVIEW, cast=cast, **fields)
    for qc_status in results:
        PhotoFactory.create(property=property, qc_status=qc_status, uploaded_by=cast.assigned_agent)
    return property


def test_the_queue_filters_by_qc_verdict(cast: Cast) -> None:
    failing = _with_photos(cast, QcStatus.PASS, QcStatus.FAIL)
    warned = _with_photos(cast, QcStatus.WARN, QcStatus.PASS)
    passed = _with_photos(cast, QcStatus.PASS, QcStatus.PASS)
    pending = _with_photos(cast, QcStatus.PASS, QcStatus.PENDING)
    bare = _with_photos(cast)
    client = _signed_in(cast.reviewer)

    def verdict(value: str) -> set[Property]:
        return set(_queue(client.get(CHANGELIST, {"qc": value})))

    assert verdict("fail") == {failing}
    assert verdict("warn") == {warned}
    assert verdict("pass") == {passed}
    assert verdict("none") == {bare}
    assert set(_queue(client.get(CHANGELIST))) == {failing, warned, passed, pending, bare}


def _export(client: Client, **query: str) -> tuple[Any, list[dict[str, str]]]:
    response = client.get(EXPORT, query)
    assert response.streaming
    text = response.getvalue().decode()
    return response, list(csv.DictReader(io.StringIO(text)))


def test_the_csv_export_has_the_filtered_queue_in_its_order_with_qc_counts(cast: Cast) -> None:
    later = _with_photos(cast, QcStatus.PASS, QcStatus.FAIL, due_date=date(2031, 3, 20))
    sooner = _with_photos(cast, QcStatus.WARN, due_date=date(2031, 3, 10))
    between = _with_photos(cast, QcStatus.PASS, due_date=date(2031, 3, 14))
    property_in(Status.SUBMITTED, cast=cast, city="Nashik")
    client = _signed_in(cast.reviewer)

    everything, all_rows = _export(client)
    response, rows = _export(client, status__exact="IN_REVIEW", qc="fail")
    _, by_search = _export(client, q="Nashik")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="properties-')
    assert [row["id"] for row in rows] == [str(later.pk)]
    assert rows[0]["qc_pass"] == "1"
    assert rows[0]["qc_fail"] == "1"
    assert rows[0]["status"] == "IN_REVIEW"
    assert rows[0]["due_date"] == "2031-03-20"
    assert [row["id"] for row in all_rows[:3]] == [str(sooner.pk), str(between.pk), str(later.pk)]
    assert len(all_rows) == 4
    assert [row["city"] for row in by_search] == ["Nashik"]
    assert everything.status_code == 200


def test_the_csv_export_quotes_what_a_spreadsheet_would_run(cast: Cast) -> None:
    property_in(Status.SUBMITTED, cast=cast, address='=HYPERLINK("http://evil")')

    _, rows = _export(_signed_in(cast.reviewer))

    assert rows[0]["address"] == '\'=HYPERLINK("http://evil")'


def _export_queries(reviewer: User, properties: int) -> int:
    for _ in range(properties):
        agent = UserFactory.create(role=Role.AGENT)
        property = PropertyFactory.create(
            status=Status.IN_REVIEW, assigned_agent=agent, due_date=DUE_DATE
        )
        PhotoFactory.create(property=property, qc_status=QcStatus.PASS)
    client = _signed_in(reviewer)
    with CaptureQueriesContext(connection) as queries:
        _, rows = _export(client)
    assert len(rows) == properties
    return len(queries)


def test_the_csv_export_s_query_count_does_not_grow_with_its_rows(cast: Cast) -> None:
    five = _export_queries(cast.reviewer, 5)
    Property.objects.all().delete()

    fifty = _export_queries(cast.reviewer, 50)

    assert fifty == five


def test_the_queue_links_the_export_with_its_filters_and_carries_the_live_bar(cast: Cast) -> None:
    _with_photos(cast, QcStatus.FAIL)

    html = _signed_in(cast.reviewer).get(CHANGELIST, {"qc": "fail"}).content.decode()

    assert f'<a href="{EXPORT}?qc=fail" class="export-csv">Export CSV</a>' in html
    assert '<div id="live-events" class="live-bar" role="status" aria-live="polite"' in html
    assert 'data-property-id=""' in html
    assert "properties/live.js" in html


def test_the_page_s_map_has_the_property_its_photos_and_the_qc_radius(
    cast: Cast, settings: Any
) -> None:
    settings.LEAFLET_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    property = property_in(Status.IN_REVIEW, cast=cast, latitude=18.5, longitude=73.8)
    located = PhotoFactory.create(
        property=property,
        category=Category.KITCHEN,
        qc_status=QcStatus.WARN,
        gps_lat=18.505,
        gps_lon=73.8,
        distance_km=0.56,
        uploaded_by=cast.assigned_agent,
    )
    PhotoFactory.create(property=property, uploaded_by=cast.assigned_agent)

    response = _signed_in(cast.reviewer).get(_change_url(property))

    html = response.content.decode()
    assert response.context["map_data"] == {
        "property": {"lat": 18.5, "lon": 73.8, "label": str(property)},
        "radius_m": 500.0,
        "tile_url": "https://tiles.example/{z}/{x}/{y}.png",
        "attribution": settings.LEAFLET_TILE_ATTRIBUTION,
        "photos": [
            {
                "id": str(located.pk),
                "label": "Kitchen photo, 0.56 km away",
                "qc_status": "WARN",
                "lat": 18.505,
                "lon": 73.8,
            }
        ],
    }
    assert '<script id="property-map-data" type="application/json">' in html
    assert "leaflet/leaflet.js" in html
    assert f'data-property-id="{property.pk}"' in html


def test_the_map_and_the_photo_cards_name_the_camera(cast: Cast) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast, latitude=18.5, longitude=73.8)
    PhotoFactory.create(
        property=property,
        category=Category.FRONT,
        gps_lat=18.501,
        gps_lon=73.8,
        distance_km=0.11,
        make="Google",
        model="Pixel 8",
        uploaded_by=cast.assigned_agent,
    )
    PhotoFactory.create(
        property=property,
        category=Category.KITCHEN,
        gps_lat=18.502,
        gps_lon=73.8,
        uploaded_by=cast.assigned_agent,
    )

    response = _signed_in(cast.reviewer).get(_change_url(property))

    labels = [photo["label"] for photo in response.context["map_data"]["photos"]]
    assert labels == ["Front photo, Google Pixel 8, 0.11 km away", "Kitchen photo"]
    html = response.content.decode()
    assert '<span class="photo-label">Camera:</span> Google Pixel 8</div>' in html
    assert '<span class="photo-label">Camera:</span> —</div>' in html


def test_the_map_data_is_escaped_for_the_page(cast: Cast) -> None:
    property = property_in(
        Status.IN_REVIEW, cast=cast, address="</script><script>alert(1)</script>"
    )

    html = _signed_in(cast.reviewer).get(_change_url(property)).content.decode()

    start = html.index('<script id="property-map-data" type="application/json">')
    payload = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    assert "<script>alert(1)" not in payload
    assert json.loads(payload)["property"]["label"].startswith("</script><script>")


def _page_queries(cast: Cast, photos: int) -> int:
    property = property_in(Status.IN_REVIEW, cast=cast, latitude=18.5, longitude=73.8)
    for index in range(photos):
        PhotoFactory.create(
            property=property,
            qc_status=QcStatus.PASS,
            qc_checks=[{"name": "sharpness", "result": "pass", "detail": "Sharp."}],
            preview="photos/preview.jpg",
            gps_lat=18.5 + index / 10_000,
            gps_lon=73.8,
            uploaded_by=cast.assigned_agent,
        )
        StatusChange.objects.create(
            property=property,
            from_status=Status.INSPECTING,
            to_status=Status.IN_REVIEW,
            actor=cast.assigned_agent,
            actor_role=Role.AGENT,
        )
    client = _signed_in(cast.reviewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_change_url(property))
    assert response.content.decode().count('class="photo-card') == photos
    return len(queries)


def test_the_page_s_query_count_does_not_grow_with_photos_or_history(cast: Cast) -> None:
    assert _page_queries(cast, 2) == _page_queries(cast, 20)


def test_with_a_content_backend_the_photo_cards_show_the_strongest_labels_as_text(
    cast: Cast, settings: Any
) -> None:
    property = property_in(Status.IN_REVIEW, cast=cast)
    hostile = "</li><script>alert(1)</script>"
    PhotoFactory.create(
        property=property,
        category=Category.KITCHEN,
        uploaded_by=cast.assigned_agent,
        content_labels=[
            {"description": hostile, "score": 0.99},
            *({"description": f"Label {index}", "score": 0.5} for index in range(5)),
        ],
    )
    PhotoFactory.create(property=property, uploaded_by=cast.assigned_agent)
    client = _signed_in(cast.reviewer)

    without_backend = client.get(_change_url(property)).content.decode()
    settings.PHOTO_CONTENT_BACKEND = "locmem"
    html = client.get(_change_url(property)).content.decode()

    assert "Labels:" not in without_backend
    labels = ", ".join(f"Label {index} 0.50" for index in range(4))
    assert (
        '<span class="photo-label">Labels:</span> '
        f"&lt;/li&gt;&lt;script&gt;alert(1)&lt;/script&gt; 0.99, {labels}</div>"
    ) in html
    assert '<span class="photo-label">Labels:</span> none</div>' in html
    assert "<script>alert(1)" not in html


def test_the_queue_filters_the_properties_with_a_photo_of_an_unrecognised_category(
    cast: Cast,
) -> None:
    def with_content_check(result: str, labels: list[dict[str, Any]] | None) -> Property:
        property = property_in(Status.IN_REVIEW, cast=cast)
        PhotoFactory.create(property=property, uploaded_by=cast.assigned_agent)
        PhotoFactory.create(
            property=property,
            uploaded_by=cast.assigned_agent,
            qc_status=QcStatus.WARN if result == "warn" else QcStatus.PASS,
            qc_checks=[
                {"name": "sharpness", "result": "pass", "detail": "sharp"},
                {"name": "content", "result": result, "detail": "…"},
            ],
            content_labels=labels,
        )
        return property

    living_room = [{"description": "Living room", "score": 0.93}]
    unrecognised = with_content_check("warn", living_room)
    with_content_check("pass", [{"description": "Kitchen", "score": 0.97}])
    with_content_check("warn", None)  # Vision gave no answer: not an opinion on the category
    _with_photos(cast, QcStatus.WARN)
    client = _signed_in(cast.reviewer)

    response = client.get(CHANGELIST, {"content": "unrecognised"})

    assert _queue(response) == [unrecognised]
    assert "Category not recognised" in response.content.decode()
    assert len(_queue(client.get(CHANGELIST))) == 4
