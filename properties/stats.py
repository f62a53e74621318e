"""The back office's figures at a glance (SPEC, Back office): the dashboard's and
``GET /api/v1/stats/``'s, from four aggregate queries, kept in the default cache.

No stale numbers: an entry's key holds a generation token, and every service that changes a
property, a photo or a review calls ``stats_invalidate``, which replaces the token once the
change has committed; the next read misses and counts afresh. The token is random, never a
counter: a token evicted from the cache cannot bring an old entry back, and a count that raced a
change is stored under the old token, where no one looks any more.
"""

import hashlib
import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from photos.selectors import AgentQc, photos_per_day, qc_verdicts_by_agent
from properties.models import Property, Status, StatusChange
from properties.selectors import overdue_condition

# The periods the figures cover: turnaround over the last WEEKS weeks (this one included, by
# the week the valuation was made), photos and their verdicts over the last DAYS days.
WEEKS = 12
DAYS = 30
# An entry's lifetime, as a bound on what no service reports (an agent's renamed name).
CACHE_SECONDS = 300
GENERATION_KEY = "stats:generation"


@dataclass(frozen=True)
class Turnaround:
    """Hours from a property's first submission to its valuation, for the valuations made in a
    period: the median, the 90th percentile (None without valuations) and how many."""

    p50: float | None
    p90: float | None
    n: int


@dataclass(frozen=True)
class WeekTurnaround:
    week: date  # its Monday
    turnaround: Turnaround


@dataclass(frozen=True)
class DayCount:
    date: date
    n: int


@dataclass(frozen=True)
class Stats:
    properties_by_status: dict[str, int]
    overdue: int
    turnaround_hours: Turnaround
    turnaround_by_week: list[WeekTurnaround]
    qc_by_agent: list[AgentQc]
    photos_per_day: list[DayCount]
    computed_at: datetime


# The figures' classes and fields: an entry a release with other fields cached is never read
# (unpickled, it would lack them), during a deploy or after one.
_FORMAT = hashlib.sha256(
    repr(
        [
            (kind.__name__, [field.name for field in fields(kind)])
            for kind in (Stats, Turnaround, WeekTurnaround, DayCount, AgentQc)
        ]
    ).encode()
).hexdigest()[:12]


def stats_current() -> Stats:
    """The figures as of the last change: from the cache, or counted and cached."""
    today = timezone.localdate(timezone=ZoneInfo(settings.PROPERTY_TIME_ZONE))
    # The day is in the key too: "overdue" and the periods move at midnight.
    key = _key(_generation(), today)
    stats: Stats | None = cache.get(key)
    if stats is None:
        stats = stats_count(today=today)
        cache.set(key, stats, CACHE_SECONDS)
    return stats


def stats_invalidate() -> None:
    """Called by every service that changes a property, a photo or a review. Side effects:
    after commit, a new generation token in the cache (the figures are counted again)."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, None), robust=True)


def _key(generation: str, today: date) -> str:
    return f"stats:{_FORMAT}:{generation}:{today.isoformat()}"


def _generation() -> str:
    token = uuid.uuid4().hex
    # add() keeps the token another process may have set meanwhile.
    if cache.add(GENERATION_KEY, token, None):
        return token
    return cache.get(GENERATION_KEY) or token


def stats_count(*, today: date) -> Stats:
    """The figures counted now, in four queries, the days being those of PROPERTY_TIME_ZONE."""
    time_zone = ZoneInfo(settings.PROPERTY_TIME_ZONE)
    by_status = dict.fromkeys(Status.values, 0)
    overdue = 0
    rows = (
        Property.objects.values_list("status")
        .annotate(count=Count("pk"), overdue=Count("pk", filter=overdue_condition()))
        .order_by()
    )
    for status, count, overdue_count in rows:
        by_status[status] = count
        overdue += overdue_count

    first_week = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    hours_by_week = _turnaround_hours_by_week(
        since=datetime.combine(first_week, time(), tzinfo=time_zone), time_zone=time_zone
    )
    weeks = [first_week + timedelta(weeks=index) for index in range(WEEKS)]

    first_day = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first_day, time(), tzinfo=time_zone)
    counts = photos_per_day(since=since, time_zone=time_zone)
    days = [first_day + timedelta(days=index) for index in range(DAYS)]
    return Stats(
        properties_by_status=by_status,
        overdue=overdue,
        turnaround_hours=turnaround_of(
            [hours for week in hours_by_week.values() for hours in week]
        ),
        turnaround_by_week=[
            WeekTurnaround(week=week, turnaround=turnaround_of(hours_by_week.get(week, [])))
            for week in weeks
        ],
        qc_by_agent=qc_verdicts_by_agent(since=since),
        photos_per_day=[DayCount(date=day, n=counts.get(day, 0)) for day in days],
        computed_at=timezone.now(),
    )


def _turnaround_hours_by_week(*, since: datetime, time_zone: ZoneInfo) -> dict[date, list[float]]:
    """Each property valued since the moment: hours from its first submission (a declined
    assignment sends it back to SUBMITTED; the client's wait began at the first) to its
    valuation, under the Monday of the valuation's week. One aggregate query."""
    valued_since = StatusChange.objects.filter(to_status=Status.VALUED, created_at__gte=since)
    rows = (
        StatusChange.objects.filter(
            property__in=valued_since.values("property"),
            to_status__in=(Status.SUBMITTED, Status.VALUED),
        )
        .values_list("property")
        .annotate(
            submitted=Min("created_at", filter=Q(to_status=Status.SUBMITTED)),
            valued=Max("created_at", filter=Q(to_status=Status.VALUED)),
        )
        .order_by()
    )
    by_week: dict[date, list[float]] = {}
    for _, submitted, valued in rows:
        if submitted is None:
            continue
        day = valued.astimezone(time_zone).date()
        week = day - timedelta(days=day.weekday())
        by_week.setdefault(week, []).append((valued - submitted).total_seconds() / 3600)
    return by_week


def turnaround_of(hours: list[float]) -> Turnaround:
    """The median and 90th percentile of the hours, rounded to a tenth of an hour."""
    ordered = sorted(hours)
    if not ordered:
        return Turnaround(p50=None, p90=None, n=0)
    return Turnaround(
        p50=round(percentile(ordered, 0.5), 1),
        p90=round(percentile(ordered, 0.9), 1),
        n=len(ordered),
    )


def percentile(ordered: list[float], fraction: float) -> float:
    """The percentile of sorted values by linear interpolation between the closest ranks, as
    PostgreSQL's percentile_cont and numpy's default compute it."""
    position = (len(ordered) - 1) * fraction
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
