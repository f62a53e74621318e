"""The dashboard (/admin/dashboard/): a reviewer's and a manager's day at a glance, as figures
and charts drawn on the server as SVG, from the same figures as GET /api/v1/stats/
(properties.stats)."""

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from properties.admin.charts import (
    Chart,
    Datum,
    Series,
    grouped_columns,
    number_text,
    stacked_rows,
)
from properties.models import Status
from properties.stats import DAYS, WEEKS, Stats, stats_current

# The back office's open work: what waits on a reviewer or an agent (a draft is its client's).
OPEN_WORK = (Status.SUBMITTED, Status.ASSIGNED, Status.INSPECTING, Status.IN_REVIEW)
CLOSED = (Status.VALUED, Status.REJECTED, Status.CANCELLED)
COUNT = (Series("count", "Properties"),)
TURNAROUND = (Series("p50", "Median (p50)"), Series("p90", "90th percentile (p90)"))
VERDICTS = (
    Series("pass", "Passed"),
    Series("warn", "Warned"),
    Series("fail", "Failed"),
    Series("error", "Unreadable"),
    Series("pending", "Pending"),
)
PHOTOS = (Series("photos", "Photos"),)


def dashboard_view(request: HttpRequest) -> TemplateResponse:
    """The figures as of the last change (cached until a property, a photo or a review
    changes). Reads only."""
    stats = stats_current()
    queue = reverse("admin:properties_property_changelist")
    status_links = {
        status: f"{queue}?{urlencode({'status__exact': status})}" for status in OPEN_WORK
    }
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "stats": stats,
        "open_work": sum(stats.properties_by_status[status] for status in OPEN_WORK),
        "closed": [(status.label, stats.properties_by_status[status]) for status in CLOSED],
        "photos": sum(day.n for day in stats.photos_per_day),
        "p50": number_text(stats.turnaround_hours.p50),
        "p90": number_text(stats.turnaround_hours.p90),
        "weeks": WEEKS,
        "days": DAYS,
        "queue_url": queue,
        "overdue_url": f"{queue}?{urlencode({'overdue': 'yes'})}",
        "charts": charts(stats, status_links),
    }
    return TemplateResponse(request, "admin/properties/dashboard.html", context)


def charts(stats: Stats, status_links: dict[Status, str]) -> list[Chart]:
    by_status = stats.properties_by_status
    return [
        stacked_rows(
            slug="open-work",
            title="Open work by status",
            series=COUNT,
            data=[
                Datum(status, status.label, (by_status[status],), url=status_links[status])
                for status in OPEN_WORK
            ],
        ),
        grouped_columns(
            slug="turnaround",
            title=f"Turnaround in hours, submitted to valued, by week (last {WEEKS} weeks)",
            series=TURNAROUND,
            data=[
                Datum(
                    week.week.isoformat(),
                    f"{week.week:%-d %b}",
                    (week.turnaround.p50, week.turnaround.p90),
                )
                for week in stats.turnaround_by_week
            ],
        ),
        stacked_rows(
            slug="qc-by-agent",
            title=f"QC verdicts by agent (photos of the last {DAYS} days)",
            series=VERDICTS,
            data=[
                Datum(
                    str(agent.agent),
                    agent.name or "(no name)",
                    (agent.passed, agent.warned, agent.failed, agent.unreadable, agent.pending),
                )
                for agent in stats.qc_by_agent
            ],
        ),
        grouped_columns(
            slug="photos-per-day",
            title=f"Photos uploaded per day (last {DAYS} days)",
            series=PHOTOS,
            data=[
                Datum(day.date.isoformat(), f"{day.date:%-d %b}", (day.n,))
                for day in stats.photos_per_day
            ],
            label_every=5,
        ),
    ]
