"""The review queue in a real browser: signing in, filtering, the CSV export, the live bar, and
that a client's password does not open the admin."""

import csv
import io
from pathlib import Path
from typing import Any

from tests.browser.conftest import CLIENT_PHONE, INSPECTING_ADDRESS, photo_at, screenshot, sign_in
from tests.support.live_clients import ApiUser


def _rows(page: Any) -> Any:
    return page.locator("#result_list tbody tr")


def test_it_lists_in_review_first_with_qc_badges_and_overdue_marks(reviewer_page: Any) -> None:
    page = reviewer_page

    statuses = page.locator("#result_list tbody td.field-status").all_inner_texts()

    # The demo has 6 in review; the property page's tests may have moved two on already.
    in_review = statuses.count("In review")
    assert in_review >= 4
    assert statuses[:in_review] == ["In review"] * in_review
    assert page.locator(".qc-badge.qc-pass:not(.qc-zero)").count() >= 6
    assert page.locator("strong.overdue").count() >= 1
    screenshot(page, "review_queue.png")


def test_it_filters_by_qc_verdict_and_exports_what_it_shows(reviewer_page: Any) -> None:
    page = reviewer_page

    page.locator("#changelist-filter a", has_text="Has failing photos").click()
    page.wait_for_url("**qc=fail**")
    shown = _rows(page).count()
    with page.expect_download() as download_info:
        page.locator("a.export-csv").click()
    exported = _csv_rows(download_info.value.path())

    assert shown == 5
    for index in range(shown):
        assert _rows(page).nth(index).locator(".qc-badge.qc-fail:not(.qc-zero)").count() == 1
    assert download_info.value.suggested_filename.startswith("properties-")
    assert len(exported) == shown
    assert all(int(row["qc_fail"]) >= 1 for row in exported)
    shown_rows = page.locator("#result_list tbody .field-address_and_city").all_inner_texts()
    assert all(row["address"] in text for row, text in zip(exported, shown_rows, strict=True))


def test_it_searches_and_keeps_the_search_in_the_export(reviewer_page: Any) -> None:
    page = reviewer_page

    page.fill("#searchbar", "Pune")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=Pune**")
    with page.expect_download() as download_info:
        page.locator("a.export-csv").click()
    exported = _csv_rows(download_info.value.path())

    assert {row["city"] for row in exported} == {"Pune"}
    assert len(exported) == 10


def test_a_new_qc_result_shows_on_the_open_queue_without_a_reload(
    reviewer_page: Any, agent: ApiUser
) -> None:
    page = reviewer_page
    bar = page.locator("#live-events")
    page.wait_for_selector('#live-events[data-state="connected"]', state="attached")
    page.evaluate("window.stillTheSamePage = true")
    assert bar.is_hidden()
    properties = agent.get("/api/v1/properties/").json()["results"]
    inspecting = next(p for p in properties if p["address"] == INSPECTING_ADDRESS)

    response = agent.post(
        f"/api/v1/properties/{inspecting['id']}/photos/",
        files={"file": ("IMG_0002.jpg", photo_at(inspecting), "image/jpeg")},
        data={"category": "KITCHEN"},
    )

    assert response.status_code == 202, response.text
    bar.wait_for(state="visible")
    assert "New QC results" in bar.inner_text()
    assert page.evaluate("window.stillTheSamePage") is True
    bar.locator("button.live-reload").press("Enter")
    page.wait_for_function("window.stillTheSamePage === undefined")
    assert page.locator("#live-events").is_hidden()


def test_a_client_s_password_does_not_open_the_admin(page: Any) -> None:
    sign_in(page, CLIENT_PHONE)

    assert "/admin/login/" in page.url
    assert "staff account" in page.locator(".errornote").inner_text()
    page.goto("/admin/properties/property/")
    assert "/admin/login/" in page.url


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
