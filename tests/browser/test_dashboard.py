"""The dashboard in a real browser: reached from the admin's home, its charts' numbers those of
the database (counted here independently of properties.stats), a new upload shown on the next
load; and the review queue fitting a 1,366 px laptop screen with all its columns."""

import json
from typing import Any

from tests.browser.conftest import INSPECTING_ADDRESS, Server, photo_at, screenshot
from tests.support.live_clients import ApiUser

# The database's own counts, by plain queries: what the charts must show.
COUNT_THE_DATA = """
import json
from datetime import timedelta
from zoneinfo import ZoneInfo
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from accounts.models import Role
from photos.models import Photo
from properties.models import Property
india = ZoneInfo(settings.PROPERTY_TIME_ZONE)
today = timezone.now().astimezone(india).date()
photos = list(Photo.objects.filter(created_at__gte=timezone.now() - timedelta(days=31)))
agents = {}
for photo in photos:
    day = photo.created_at.astimezone(india).date()
    if photo.uploaded_by.role == Role.AGENT and day > today - timedelta(days=30):
        agents[photo.uploaded_by.name] = agents.get(photo.uploaded_by.name, 0) + 1
print(json.dumps({
    "by_status": dict(Property.objects.values_list("status").annotate(n=Count("pk")).order_by()),
    "photos_today": sum(photo.created_at.astimezone(india).date() == today for photo in photos),
    "photos_by_agent": agents,
}))
"""
OPEN_WORK = {
    "SUBMITTED": "Submitted",
    "ASSIGNED": "Assigned",
    "INSPECTING": "Inspecting",
    "IN_REVIEW": "In review",
}


def _counted(server: Server) -> dict[str, Any]:
    # The last line: the shell may log before it.
    output = server.manage("shell", "-c", COUNT_THE_DATA).strip().splitlines()[-1]
    counts: dict[str, Any] = json.loads(output)
    return counts


def _chart_totals(page: Any, chart: str) -> dict[str, str]:
    """Each row's label and the total drawn at its end."""
    rows = page.locator(f"#chart-{chart} g.group")
    return {
        rows.nth(index).locator("text.label").text_content(): rows.nth(index)
        .locator("text.total")
        .text_content()
        for index in range(rows.count())
    }


def _photos_today(page: Any) -> str:
    return str(
        page.locator("#chart-photos-per-day g.group").last.locator("text.value").text_content()
    )


def test_the_dashboard_s_charts_show_the_data(reviewer_page: Any, server: Server) -> None:
    page = reviewer_page
    page.goto("/admin/")
    page.locator("a", has_text="Dashboard").click()
    page.wait_for_url("**/admin/dashboard/")
    data = _counted(server)

    open_work = _chart_totals(page, "open-work")
    assert open_work == {
        label: str(data["by_status"].get(status, 0)) for status, label in OPEN_WORK.items()
    }
    assert _chart_totals(page, "qc-by-agent") == {
        name: str(count) for name, count in data["photos_by_agent"].items()
    }
    assert _photos_today(page) == str(data["photos_today"])
    assert page.locator("#figure-open-work .figure-number").inner_text() == str(
        sum(data["by_status"].get(status, 0) for status in OPEN_WORK)
    )
    # The figures are text in the page, as a screen reader or a search finds them.
    description = page.locator("#open-work-desc").text_content()
    assert f"Submitted: {data['by_status'].get('SUBMITTED', 0)}" in description
    assert page.locator("#chart-turnaround svg").get_attribute("role") == "img"
    screenshot(page, "dashboard.png")


def test_a_new_photo_shows_on_the_dashboard_at_once(
    reviewer_page: Any, server: Server, agent: ApiUser
) -> None:
    page = reviewer_page
    page.goto("/admin/dashboard/")
    before = int(_photos_today(page))
    properties = agent.get("/api/v1/properties/").json()["results"]
    inspecting = next(p for p in properties if p["address"] == INSPECTING_ADDRESS)

    response = agent.post(
        f"/api/v1/properties/{inspecting['id']}/photos/",
        files={"file": ("IMG_0003.jpg", photo_at(inspecting, seed=11), "image/jpeg")},
        data={"category": "BEDROOM"},
    )
    page.reload()

    assert response.status_code == 202, response.text
    assert int(_photos_today(page)) == before + 1 == _counted(server)["photos_today"]


def test_the_review_queue_fits_a_laptop_screen_with_all_its_columns(reviewer_page: Any) -> None:
    page = reviewer_page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/admin/properties/property/")

    viewport = page.evaluate("document.documentElement.clientWidth")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    # The admin wraps the table in a box that scrolls sideways: what overflows it is hidden.
    results = page.evaluate(
        "(() => { const box = document.querySelector('#changelist .results');"
        " const edge = box.getBoundingClientRect();"
        " return {scroll: box.scrollWidth, client: box.clientWidth, right: edge.right}; })()"
    )
    table = page.locator("#result_list").bounding_box()
    headers = page.locator("#result_list thead th")
    last_header = headers.last.bounding_box()
    qc_column = page.locator("#result_list thead th.column-qc_counts").bounding_box()
    badges = page.locator("#result_list tbody td.field-qc_counts .qc-badges")
    widest_badges = max(
        badges.nth(index).bounding_box()["x"] + badges.nth(index).bounding_box()["width"]
        for index in range(badges.count())
    )
    screenshot(page, "review_queue_1366.png")

    assert headers.count() == 7  # the checkbox and six columns
    assert scroll_width <= viewport
    assert results["scroll"] <= results["client"]
    assert table["x"] + table["width"] <= viewport
    assert last_header == qc_column
    assert qc_column["x"] + qc_column["width"] <= min(viewport, results["right"])
    assert widest_badges <= min(viewport, results["right"])
