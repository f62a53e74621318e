"""A property's page in a real browser: the photo grid with its checks, the original behind the
access-checked URL, the map without tiles, the workflow buttons and the live bar."""

from typing import Any

from photos.qc import CHECK_NAMES
from tests.browser.conftest import INSPECTING_ADDRESS, photo_at, screenshot
from tests.support.live_clients import ApiUser

IN_REVIEW_WITH_A_WARNING = "A-12, Juhu Tara Road, Juhu"  # 4 photos: pass, pass, warn, pass
TO_SEND_BACK = "B-1104, Blue Ridge, Hinjewadi Phase 1"
TO_APPROVE = "B-1201, Brigade Gateway, Rajajinagar"


def _open(page: Any, address: str) -> None:
    page.fill("#searchbar", address)
    page.keyboard.press("Enter")
    page.locator("#result_list tbody tr").first.locator("a").first.click()
    page.wait_for_selector("#property_form")


def test_it_shows_the_photos_their_checks_and_a_map_without_tiles(reviewer_page: Any) -> None:
    page = reviewer_page
    _open(page, IN_REVIEW_WITH_A_WARNING)
    cards = page.locator("li.photo-card")
    page.wait_for_function(
        "[...document.querySelectorAll('li.photo-card img')]"
        ".every(image => image.complete && image.naturalWidth > 0)"
    )

    assert cards.count() == 4
    assert page.locator("li.photo-card.qc-warn").count() == 1
    assert page.locator("li.photo-card img[loading=lazy]").count() == 4
    warned = page.locator("li.photo-card.qc-warn .qc-check.qc-warn")
    assert warned.inner_text().startswith("gps_distance warn: 0.62 km from the property")
    assert page.locator("li.photo-card .qc-check").count() == 4 * len(CHECK_NAMES)
    # The map: the property, the 0.5 km circle and a dot per photo, while no tile loads.
    page.wait_for_selector("#property-map path.property-marker", state="attached")
    assert page.locator("#property-map path.property-marker").count() == 1
    assert page.locator("#property-map path.qc-radius").count() == 1
    assert page.locator("#property-map path.photo-marker").count() == 4
    assert page.locator("#property-map path.photo-marker-warn").count() == 1
    assert page.locator("#property-map img.leaflet-tile-loaded").count() == 0
    assert page.locator(".inline-group").filter(has_text="Status history").count() == 1
    screenshot(page, "property_page.png")


def test_the_preview_opens_the_original_from_the_keyboard(reviewer_page: Any) -> None:
    page = reviewer_page
    _open(page, IN_REVIEW_WITH_A_WARNING)
    first = page.locator("li.photo-card a.photo-original").first

    first.focus()
    with page.context.expect_page() as opened:
        page.keyboard.press("Enter")
    original = opened.value
    original.wait_for_load_state()

    assert "/api/v1/photos/" in original.url
    assert original.url.endswith("/file")
    size = original.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
    assert size == [1280, 960]


def test_a_reviewer_requests_a_revision_with_a_reason(reviewer_page: Any) -> None:
    page = reviewer_page
    _open(page, TO_SEND_BACK)

    page.locator("a.workflow-action", has_text="Request revision").click()
    page.fill("#id_reason", "The bedroom photo is missing; please add it.")
    page.locator("input[type=submit][value='Request revision']").click()

    # Back to the agent, to inspect again.
    assert "is now Inspecting" in page.locator("ul.messagelist").inner_text()
    history = page.locator(".inline-group").filter(has_text="Status history")
    assert "The bedroom photo is missing; please add it." in history.inner_text()


def test_a_reviewer_approves_with_a_valuation(reviewer_page: Any) -> None:
    page = reviewer_page
    _open(page, TO_APPROVE)

    page.locator("a.workflow-action", has_text="Approve with valuation").click()
    page.fill("#id_valuation_amount", "18700000")
    page.fill("#id_valuation_notes", "Consistent with Rajajinagar sales this quarter.")
    page.locator("input[type=submit][value='Approve with valuation']").click()

    assert "is now Valued" in page.locator("ul.messagelist").inner_text()
    assert "18700000" in page.locator(".field-valuation_amount").inner_text().replace(",", "")
    assert page.locator("a.workflow-action").count() == 0


def test_a_qc_result_for_the_open_property_shows_without_a_reload(
    reviewer_page: Any, agent: ApiUser
) -> None:
    page = reviewer_page
    _open(page, INSPECTING_ADDRESS)
    page.wait_for_selector('#live-events[data-state="connected"]', state="attached")
    page.evaluate("window.stillTheSamePage = true")
    photos_before = page.locator("li.photo-card").count()
    properties = agent.get("/api/v1/properties/").json()["results"]
    inspecting = next(p for p in properties if p["address"] == INSPECTING_ADDRESS)

    response = agent.post(
        f"/api/v1/properties/{inspecting['id']}/photos/",
        files={"file": ("IMG_0003.jpg", photo_at(inspecting), "image/jpeg")},
        data={"category": "BEDROOM"},
    )

    assert response.status_code == 202, response.text
    bar = page.locator("#live-events")
    bar.wait_for(state="visible")
    assert "New QC results" in bar.inner_text()
    assert page.evaluate("window.stillTheSamePage") is True
    bar.locator("button.live-reload").click()
    page.wait_for_function("window.stillTheSamePage === undefined")
    assert page.locator("li.photo-card").count() == photos_before + 1
