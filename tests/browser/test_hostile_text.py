"""What a client or a camera wrote stays text in the back office: a property whose address,
city, decline reason, valuation notes, photo review reason and photos' EXIF make and model are
HTML and script, shown on the review queue, the property page (photo cards, map tooltips, status
history, the live bar, a workflow page) and the photo admin, runs nothing and breaks no policy."""

from typing import Any

import pytest

from tests.browser.conftest import REVIEWER_PHONE, Server, photo_at
from tests.support.live_clients import ApiUser

# An event handler a tooltip written with innerHTML would run, and a tag break-out for pages
# that would paste text into an attribute or a script.
IMAGE_PAYLOAD = '<img src=x onerror="window.__xss=1">'
SCRIPT_PAYLOAD = '"><script>window.__xss=1</script>'
ADDRESS = f"7 Lantern Lane {IMAGE_PAYLOAD}"
CITY = f"Mumbai {SCRIPT_PAYLOAD}"
LABEL = f"{ADDRESS}, {CITY}"
DECLINE_REASON = f"Gate locked {IMAGE_PAYLOAD} {SCRIPT_PAYLOAD}"
REVIEW_REASON = f"Blurred {SCRIPT_PAYLOAD} {IMAGE_PAYLOAD}"
VALUATION_NOTES = f"Comparable sales {IMAGE_PAYLOAD} {SCRIPT_PAYLOAD}"
POSITION = (19.1136, 72.8697)
# Photos about 220 m from the property in three directions: within the QC distance and far
# enough apart on the map for each dot to be hovered on its own.
PHOTOS = (
    ("FRONT", 201, (0.002, 0.0)),
    ("LIVING", 202, (0.0, 0.002)),
    ("KITCHEN", 203, (-0.002, 0.0)),
)

# Elements a payload would have become: an image with a handler, or a script that sets __xss
# (the map's data is a JSON script holding the payloads as text).
INJECTED_ELEMENTS = """() => [
  ...document.querySelectorAll("img[onerror], script:not([type='application/json'])"),
].filter((node) => node.matches("img[onerror]") || node.textContent.includes("__xss")).length"""


def hovered_tooltip(page: Any, marker: Any) -> Any:
    """The tooltip a map marker opens when hovered (the one it is described by: a tooltip
    just closed fades out for a moment)."""
    marker.hover()
    page.wait_for_function(
        "(marker) => marker.hasAttribute('aria-describedby')", arg=marker.element_handle()
    )
    tooltip = page.locator(f"#{marker.get_attribute('aria-describedby')}")
    tooltip.wait_for(state="visible")
    return tooltip


def assert_inert(page: Any) -> None:
    assert page.evaluate(INJECTED_ELEMENTS) == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


@pytest.fixture
def reviewer_api(server: Server) -> ApiUser:
    return ApiUser(server.base_url, server.data_dir / "sms", REVIEWER_PHONE)


@pytest.fixture
def hostile_property(server: Server, agent: ApiUser, reviewer_api: ApiUser) -> dict[str, Any]:
    """A client's property in review with every hostile field set through the API, as a client,
    an agent's phone and a reviewer would set them; its photos under "photos"."""
    client = ApiUser(server.base_url, server.data_dir / "sms", "+919800000277")
    created = client.ok(
        "POST",
        "/api/v1/properties/",
        201,
        json={
            "property_type": "APARTMENT",
            "address": ADDRESS,
            "city": CITY,
            "postal_code": "400053",
            "area_sqft": "900",
            "latitude": POSITION[0],
            "longitude": POSITION[1],
        },
    )
    base = f"/api/v1/properties/{created['id']}"
    client.ok("POST", f"{base}/submit/")
    reviewer_api.ok("POST", f"{base}/assign/", json={"agent": agent.user["id"]})
    agent.ok("POST", f"{base}/decline/", json={"reason": DECLINE_REASON})
    reviewer_api.ok("POST", f"{base}/assign/", json={"agent": agent.user["id"]})
    agent.ok("POST", f"{base}/accept/")
    photos = [
        agent.ok(
            "POST",
            f"{base}/photos/",
            202,
            files={
                "file": (
                    f"IMG_{seed}.jpg",
                    photo_at(
                        created, seed=seed, shift=shift, make=IMAGE_PAYLOAD, model=SCRIPT_PAYLOAD
                    ),
                    "image/jpeg",
                )
            },
            data={"category": category},
        )
        for category, seed, shift in PHOTOS
    ]
    agent.ok("POST", f"{base}/complete/")
    return {**created, "photos": photos}


def test_hostile_text_stays_text_on_every_back_office_page(
    reviewer_page: Any, hostile_property: dict[str, Any], reviewer_api: ApiUser
) -> None:
    page = reviewer_page

    # The property page's map: each tooltip is the label as text, with no element inside.
    page.goto(f"/admin/properties/property/{hostile_property['id']}/change/")
    page.wait_for_selector("#property-map path.property-marker", state="attached")
    tooltip = hovered_tooltip(page, page.locator("#property-map path.property-marker"))
    assert tooltip.inner_text() == LABEL
    assert tooltip.locator("*").count() == 0
    assert_inert(page)
    photo_markers = page.locator("#property-map path.photo-marker-pass")
    assert photo_markers.count() == len(PHOTOS)
    for index in range(len(PHOTOS)):
        tooltip = hovered_tooltip(page, photo_markers.nth(index))
        assert f"{IMAGE_PAYLOAD} {SCRIPT_PAYLOAD}" in tooltip.inner_text()
        assert tooltip.locator("*").count() == 0
    assert_inert(page)

    # The photo cards name the camera; the history shows the decline reason.
    cameras = page.locator("li.photo-card .field-camera").all_inner_texts()
    assert cameras == [f"Camera: {IMAGE_PAYLOAD} {SCRIPT_PAYLOAD}"] * len(PHOTOS)
    history = page.locator(".inline-group").filter(has_text="Status history")
    assert DECLINE_REASON in history.inner_text()
    assert LABEL in page.locator("#content").inner_text()

    # A review with a hostile reason arrives on the open page as the live bar's own text.
    page.wait_for_selector('#live-events[data-state="connected"]', state="attached")
    reviewer_api.ok(
        "POST",
        f"/api/v1/photos/{hostile_property['photos'][0]['id']}/review/",
        json={"decision": "reject", "reason": REVIEW_REASON},
    )
    bar = page.locator("#live-events")
    bar.wait_for(state="visible")
    assert bar.locator(".live-message").inner_text() == (
        "A photo was reviewed — reload to see them."
    )
    assert bar.locator(".live-message *").count() == 0
    assert_inert(page)

    # Approving with hostile notes: the workflow page's title and the notes afterwards.
    page.locator("a.workflow-action", has_text="Approve with valuation").click()
    assert page.locator("#content h1").inner_text() == f"Approve with valuation: {LABEL}"
    assert_inert(page)
    page.fill("#id_valuation_amount", "9100000")
    page.fill("#id_valuation_notes", VALUATION_NOTES)
    page.locator("input[type=submit][value='Approve with valuation']").click()
    assert "is now Valued" in page.locator("ul.messagelist").inner_text()
    assert page.locator(".field-valuation_notes .readonly").inner_text() == VALUATION_NOTES
    assert_inert(page)

    # The review queue: the row and the city filter.
    page.goto("/admin/properties/property/?q=Lantern+Lane")
    assert page.locator("#result_list tbody .field-address_and_city").all_inner_texts() == [LABEL]
    assert page.locator("#changelist-filter").filter(has_text=CITY).count() == 1
    assert_inert(page)

    # The photo admin: the list, a photo's page with its camera and review reason, and the
    # page that asks for a reason.
    page.goto("/admin/photos/photo/?q=Lantern+Lane")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == len(PHOTOS)
    assert all(LABEL in text for text in rows.all_inner_texts())
    assert_inert(page)
    rows.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "reject")
    page.locator("button[name=index]").click()
    page.wait_for_selector("textarea[name=reason]")
    assert LABEL in page.locator("#content").inner_text()
    assert_inert(page)
    page.goto(f"/admin/photos/photo/{hostile_property['photos'][0]['id']}/change/")
    assert page.locator(".field-make .readonly").inner_text() == IMAGE_PAYLOAD
    assert page.locator(".field-model .readonly").inner_text() == SCRIPT_PAYLOAD
    assert page.locator(".field-review_reason .readonly").inner_text() == REVIEW_REASON
    assert_inert(page)


def test_the_api_docs_render_under_their_policy(page: Any) -> None:
    response = page.goto("/api/v1/docs/")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 10
