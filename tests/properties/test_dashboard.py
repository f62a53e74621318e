"""The dashboard (/admin/dashboard/): staff only, linked from the branded admin home, its charts'
numbers those of properties.stats, hostile names escaped, nothing inline for the CSP to block."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from photos.models import QcStatus
from properties.models import Status
from tests.cast import ROLES, Cast
from tests.factories import PhotoFactory, PropertyFactory

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"
HOSTILE = '<img src=x onerror="alert(1)">Ravi'


def _signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


class _Svg(HTMLParser):
    """The texts of each chart, by class: {chart: {class: [text, …]}}, and every inline style
    or script the page carries."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, list[str]]] = {}
        self.inline: list[str] = []
        self._chart = ""
        self._text_class: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes or any(name.startswith("on") for name in attributes):
            self.inline.append(tag)
        if tag == "script" and not attributes.get("src"):
            self.inline.append("script")
        if tag == "style":
            self.inline.append("style")
        if tag == "figure" and (attributes.get("id") or "").startswith("chart-"):
            self._chart = (attributes.get("id") or "").removeprefix("chart-")
            self.charts[self._chart] = {}
        if tag == "text" and self._chart:
            self._text_class = attributes.get("class") or ""

    def handle_data(self, data: str) -> None:
        if self._text_class is not None:
            texts = self.charts[self._chart].setdefault(self._text_class, [])
            texts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "text":
            self._text_class = None
        if tag == "figure":
            self._chart = ""


def _page(user: User) -> tuple[Any, _Svg]:
    response = _signed_in(user).get(URL)
    assert response.status_code == 200
    parsed = _Svg()
    parsed.feed(response.content.decode())
    return response, parsed


@pytest.mark.parametrize(
    ("role", "opens"),
    list(zip(ROLES, (False, False, False, False, False, True, True), strict=True)),
)
def test_only_staff_open_the_dashboard(cast: Cast, role: str, opens: bool) -> None:
    response = _signed_in(cast.user(role)).get(URL)

    if opens:
        assert response.status_code == 200
        assert b"Open work by status" in response.content
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_admin_is_branded_propflow_and_its_home_links_the_dashboard(cast: Cast) -> None:
    response = _signed_in(cast.reviewer).get("/admin/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "Django administration" not in page
    assert "<title>Back office | PropFlow</title>" in page
    assert '<div id="site-name"><a href="/admin/">PropFlow</a></div>' in page
    assert f'<a href="{URL}">Dashboard</a>' in page


def test_the_charts_show_the_figures_as_text(cast: Cast) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    for status, count in ((Status.SUBMITTED, 3), (Status.INSPECTING, 2), (Status.IN_REVIEW, 1)):
        for _ in range(count):
            PropertyFactory.create(owner=cast.owner, status=status, due_date=yesterday)
    property = PropertyFactory.create(owner=cast.owner, status=Status.VALUED)
    for qc_status in (QcStatus.PASS, QcStatus.PASS, QcStatus.FAIL, QcStatus.PENDING):
        PhotoFactory.create(property=property, uploaded_by=cast.assigned_agent, qc_status=qc_status)

    response, page = _page(cast.reviewer)

    assert page.charts["open-work"]["label"] == ["Submitted", "Assigned", "Inspecting", "In review"]
    assert page.charts["open-work"]["total"] == ["3", "0", "2", "1"]
    assert page.charts["qc-by-agent"]["label"] == ["Assigned agent"]
    assert page.charts["qc-by-agent"]["total"] == ["4"]
    assert page.charts["qc-by-agent"]["value inside"] == ["2", "1", "1"]  # pass, fail, pending
    photos = page.charts["photos-per-day"]["value"]
    assert (len(photos), photos[-1], set(photos[:-1])) == (30, "4", {"0"})
    assert set(page.charts["turnaround"]["value"]) == {"—"}
    figures = response.content.decode()
    assert re.search(r'id="figure-overdue".*?<span class="figure-number">6</span>', figures, re.S)
    assert re.search(r'id="figure-open-work".*?<span class="figure-number">6</span>', figures, re.S)
    assert "Submitted: 3" in figures  # the chart's description, for screen readers


def test_a_hostile_agent_name_is_text_and_the_page_has_nothing_inline(cast: Cast) -> None:
    User.objects.filter(pk=cast.assigned_agent.pk).update(name=HOSTILE)
    property = PropertyFactory.create(owner=cast.owner, status=Status.INSPECTING)
    PhotoFactory.create(property=property, uploaded_by=cast.assigned_agent, qc_status="PASS")

    response, page = _page(cast.admin)

    body = response.content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Ravi" in body
    assert page.charts["qc-by-agent"]["label"] == [HOSTILE[:23] + "…"]  # shortened
    assert page.inline == []
