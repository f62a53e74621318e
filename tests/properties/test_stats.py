"""The back office's figures (properties.stats, GET /api/v1/stats/): what they count, in how
many queries, who may read them, and that a change shows at once (the cache never serves a
figure from before it)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from photos.models import Category, Photo, QcStatus
from photos.services import ReviewDecision, photo_qc_rerun, photo_review, photo_upload
from properties import services, stats
from properties.models import Property, Status, StatusChange
from properties.stats import DAYS, WEEKS, Turnaround, percentile, stats_current, turnaround_of
from properties.workflow import Action
from tests.cast import ROLES, Cast
from tests.factories import PhotoFactory, PropertyFactory, UserFactory
from tests.properties.conftest import NEW_PROPERTY
from tests.support.images import make_jpeg

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"
INDIA = ZoneInfo("Asia/Kolkata")
QUERIES = 4  # by status with overdue, turnaround, QC by agent, photos per day


def _valued(cast: Cast, *, submitted: datetime, valued: datetime) -> Property:
    """A valued property whose audit trail says when it was first submitted and valued."""
    property = PropertyFactory.create(
        owner=cast.owner, status=Status.VALUED, assigned_agent=cast.assigned_agent
    )
    for from_status, to_status, moment in (
        (Status.DRAFT, Status.SUBMITTED, submitted),
        (Status.ASSIGNED, Status.SUBMITTED, submitted + timedelta(hours=1)),  # a decline
        (Status.IN_REVIEW, Status.VALUED, valued),
    ):
        change = StatusChange.objects.create(
            property=property,
            from_status=from_status,
            to_status=to_status,
            actor=cast.reviewer,
            actor_role=Role.REVIEWER,
        )
        StatusChange.objects.filter(pk=change.pk).update(created_at=moment)
    return property


def _photo(property: Property, *, by: object, qc_status: str, at: datetime | None = None) -> Photo:
    photo = PhotoFactory.create(property=property, uploaded_by=by, qc_status=qc_status)
    if at is not None:
        Photo.objects.filter(pk=photo.pk).update(created_at=at)
    return photo


def test_it_counts_properties_by_status_and_the_overdue_ones(cast: Cast) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    for status, due_date in (
        (Status.DRAFT, None),
        (Status.SUBMITTED, None),
        (Status.INSPECTING, yesterday),  # overdue
        (Status.ASSIGNED, yesterday),  # overdue
        (Status.INSPECTING, timezone.localdate()),  # due today: not yet
        (Status.VALUED, yesterday),  # closed: never overdue
    ):
        PropertyFactory.create(owner=cast.owner, status=status, due_date=due_date)

    stats = stats_current()

    assert stats.properties_by_status == {
        "DRAFT": 1,
        "SUBMITTED": 1,
        "ASSIGNED": 1,
        "INSPECTING": 2,
        "IN_REVIEW": 0,
        "VALUED": 1,
        "REJECTED": 0,
        "CANCELLED": 0,
    }
    assert stats.overdue == 2


def test_turnaround_runs_from_the_first_submission_to_the_valuation_by_week(cast: Cast) -> None:
    now = timezone.now()
    for hours in (10, 20, 30, 40, 100):
        _valued(cast, submitted=now - timedelta(hours=hours), valued=now)
    long_ago = now - timedelta(weeks=WEEKS + 1)
    _valued(cast, submitted=long_ago - timedelta(hours=5), valued=long_ago)  # out of the period

    stats = stats_current()

    assert (stats.turnaround_hours.p50, stats.turnaround_hours.p90) == (30.0, 76.0)
    assert stats.turnaround_hours.n == 5
    assert len(stats.turnaround_by_week) == WEEKS
    this_week = stats.turnaround_by_week[-1]
    today = now.astimezone(INDIA).date()
    assert this_week.week == today - timedelta(days=today.weekday())
    assert this_week.turnaround == stats.turnaround_hours
    assert all(week.turnaround.n == 0 for week in stats.turnaround_by_week[:-1])
    assert stats.turnaround_by_week[0].turnaround.p50 is None


def test_qc_verdicts_count_each_agent_s_photos_of_the_period(cast: Cast) -> None:
    property = PropertyFactory.create(owner=cast.owner, status=Status.INSPECTING)
    for qc_status in (QcStatus.PASS, QcStatus.PASS, QcStatus.WARN, QcStatus.FAIL, QcStatus.ERROR):
        _photo(property, by=cast.assigned_agent, qc_status=qc_status)
    _photo(property, by=cast.assigned_agent, qc_status=QcStatus.PENDING)
    _photo(property, by=cast.unrelated_agent, qc_status=QcStatus.FAIL)
    old = timezone.now() - timedelta(days=DAYS + 1)
    _photo(property, by=cast.unrelated_agent, qc_status=QcStatus.PASS, at=old)
    _photo(property, by=cast.owner, qc_status=QcStatus.PASS)  # a client's: no agent's

    response = cast.client("reviewer").get(URL)

    assert response.json()["qc_by_agent"] == [
        {
            "agent": str(cast.assigned_agent.pk),
            "name": "Assigned agent",
            "photos": 6,
            "pass": 2,
            "warn": 1,
            "fail": 1,
            "error": 1,
        },
        {
            "agent": str(cast.unrelated_agent.pk),
            "name": "Unrelated agent",
            "photos": 1,
            "pass": 0,
            "warn": 0,
            "fail": 1,
            "error": 0,
        },
    ]


def test_photos_are_counted_by_india_s_day_with_every_day_of_the_period(cast: Cast) -> None:
    property = PropertyFactory.create(owner=cast.owner, status=Status.INSPECTING)
    today = timezone.now().astimezone(INDIA).date()
    # 00:30 in India is still the day before in UTC: the photo is today's all the same.
    just_after_midnight = datetime.combine(today, datetime.min.time(), INDIA) + timedelta(
        minutes=30
    )
    for _ in range(3):
        _photo(property, by=cast.assigned_agent, qc_status=QcStatus.PASS, at=just_after_midnight)
    _photo(
        property,
        by=cast.assigned_agent,
        qc_status=QcStatus.PASS,
        at=just_after_midnight - timedelta(hours=1),
    )
    too_old = just_after_midnight - timedelta(days=DAYS)
    _photo(property, by=cast.assigned_agent, qc_status=QcStatus.PASS, at=too_old)

    days = cast.client("reviewer").get(URL).json()["photos_per_day"]

    assert len(days) == DAYS
    assert days[-1] == {"date": today.isoformat(), "n": 3}
    assert days[-2] == {"date": (today - timedelta(days=1)).isoformat(), "n": 1}
    assert days[0] == {"date": (today - timedelta(days=DAYS - 1)).isoformat(), "n": 0}
    assert sum(day["n"] for day in days) == 4


def test_the_api_answers_in_the_spec_s_exact_shape(cast: Cast) -> None:
    now = timezone.now()
    _valued(cast, submitted=now - timedelta(hours=48), valued=now)

    body = cast.client("admin").get(URL).json()

    assert set(body) == {
        "properties_by_status",
        "overdue",
        "turnaround_hours",
        "qc_by_agent",
        "photos_per_day",
    }
    assert body["properties_by_status"]["VALUED"] == 1
    assert set(body["properties_by_status"]) == set(Status.values)
    assert body["overdue"] == 0
    assert body["turnaround_hours"] == {"p50": 48.0, "p90": 48.0, "n": 1}
    assert body["qc_by_agent"] == []


@pytest.mark.parametrize(
    ("role", "expected"),
    list(zip(ROLES, (401, 403, 403, 403, 403, 200, 200), strict=True)),
)
def test_only_staff_read_the_figures_and_a_refusal_counts_nothing(
    cast: Cast, role: str, expected: int, django_assert_num_queries
) -> None:
    PropertyFactory.create(owner=cast.owner, status=Status.SUBMITTED)

    response = cast.client(role).get(URL)

    assert response.status_code == expected
    if expected != 200:
        assert (
            response.json()["code"]
            == {401: "not_authenticated", 403: "permission_denied"}[expected]
        )
        # Nothing was counted or cached on the refusal: the next read counts.
        with django_assert_num_queries(QUERIES):
            stats_current()
    else:
        assert response.json()["properties_by_status"]["SUBMITTED"] == 1


def test_the_figures_take_four_queries_then_none_from_the_cache(
    cast: Cast, django_assert_num_queries
) -> None:
    property = PropertyFactory.create(owner=cast.owner, status=Status.INSPECTING)
    for index in range(20):
        agent = UserFactory.create(role=Role.AGENT)
        _photo(property, by=agent, qc_status=QcStatus.PASS)
        _valued(cast, submitted=timezone.now() - timedelta(hours=index + 1), valued=timezone.now())

    with django_assert_num_queries(QUERIES):
        first = stats_current()
    with django_assert_num_queries(0):
        again = stats_current()

    assert again == first
    assert len(first.qc_by_agent) == 20
    assert first.turnaround_hours.n == 20


def test_a_change_made_through_a_service_shows_at_once(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    reviewer = cast.client("reviewer")
    assert reviewer.get(URL).json()["properties_by_status"]["DRAFT"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        property = services.property_create(owner=cast.owner, fields=NEW_PROPERTY)
    assert reviewer.get(URL).json()["properties_by_status"]["DRAFT"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.property_transition(
            actor=cast.owner, property_id=property.pk, action=Action.SUBMIT
        )
    by_status = reviewer.get(URL).json()["properties_by_status"]
    assert (by_status["DRAFT"], by_status["SUBMITTED"]) == (0, 1)

    draft = PropertyFactory.create(owner=cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.property_delete(actor=cast.owner, property_id=draft.pk)
    assert reviewer.get(URL).json()["properties_by_status"]["DRAFT"] == 0


def test_a_change_that_rolled_back_keeps_the_figures(
    cast: Cast, django_capture_on_commit_callbacks, django_assert_num_queries
) -> None:
    stats_current()

    with django_capture_on_commit_callbacks(execute=False):
        services.property_create(owner=cast.owner, fields=NEW_PROPERTY)

    with django_assert_num_queries(0):
        stats_current()


def test_a_photo_s_qc_and_review_changes_count_again(
    cast: Cast, django_capture_on_commit_callbacks, django_assert_num_queries
) -> None:
    property = PropertyFactory.create(
        owner=cast.owner, status=Status.IN_REVIEW, assigned_agent=cast.assigned_agent
    )
    photo = _photo(property, by=cast.assigned_agent, qc_status=QcStatus.PASS)
    assert stats_current().qc_by_agent[0].passed == 1

    with django_capture_on_commit_callbacks(execute=True):
        photo_review(actor=cast.reviewer, photo_id=photo.pk, decision=ReviewDecision.APPROVE)
    with django_assert_num_queries(QUERIES):
        stats_current()

    # Back to PENDING for a new run, which cannot decode the file: the photo ends unreadable.
    with django_capture_on_commit_callbacks(execute=True):
        photo_qc_rerun(photo_id=photo.pk)
    agent = stats_current().qc_by_agent[0]
    assert (agent.passed, agent.unreadable) == (0, 1)


def test_an_upload_counts_again(cast: Cast, django_capture_on_commit_callbacks) -> None:
    property = PropertyFactory.create(
        owner=cast.owner, status=Status.INSPECTING, assigned_agent=cast.assigned_agent
    )
    assert stats_current().qc_by_agent == []

    with django_capture_on_commit_callbacks(execute=True):
        photo_upload(
            actor=cast.assigned_agent,
            property_id=property.pk,
            category=Category.FRONT,
            file=SimpleUploadedFile("IMG_1.jpg", make_jpeg(seed=3), "image/jpeg"),
        )

    assert stats_current().qc_by_agent[0].photos == 1


def test_a_count_that_raced_a_change_is_never_served(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    """A read takes the generation and counts; a change commits meanwhile; the read then
    stores what it counted, under the generation the change replaced: no one reads it."""
    today = timezone.localdate(timezone=INDIA)
    generation = stats._generation()
    counted = stats.stats_count(today=today)
    with django_capture_on_commit_callbacks(execute=True):
        services.property_create(owner=cast.owner, fields=NEW_PROPERTY)
    cache.set(stats._key(generation, today), counted)

    assert counted.properties_by_status["DRAFT"] == 0
    assert stats_current().properties_by_status["DRAFT"] == 1


@pytest.mark.parametrize(
    ("values", "p50", "p90"),
    [
        ([7.0], 7.0, 7.0),
        ([1.0, 2.0], 1.5, 1.9),
        ([10.0, 20.0, 30.0, 40.0, 100.0], 30.0, 76.0),
        ([3.0, 1.0, 2.0, 4.0], 2.5, 3.7),
    ],
)
def test_percentiles_interpolate_between_the_closest_ranks(
    values: list[float], p50: float, p90: float
) -> None:
    turnaround = turnaround_of(values)

    assert (turnaround.p50, turnaround.p90, turnaround.n) == (p50, p90, len(values))
    assert percentile(sorted(values), 0.0) == min(values)
    assert percentile(sorted(values), 1.0) == max(values)


def test_no_valuations_give_no_percentiles() -> None:
    assert turnaround_of([]) == Turnaround(p50=None, p90=None, n=0)
