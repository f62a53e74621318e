"""The report's pure core: Indian digit grouping, text made printable, the map drawn from the
numbers, and hostile text that neither injects markup into Typst nor runs off the page."""

import io
import xml.etree.ElementTree as ElementTree
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from properties.report import (
    ReportCheck,
    ReportDocument,
    ReportHistoryRow,
    ReportPhoto,
    indian_rupees,
    map_svg,
    printable,
    render_pdf,
)
from tests.support.pdf import pdf_text, pdf_words, requires_pdftotext

SVG = "{http://www.w3.org/2000/svg}"
# What a hostile user might type: Typst markup and code, HTML, math, a label, a reference.
MARKUP = '#import "@preview/x:1.0": * #panic("boom") *bold* _it_ <script>alert(1)</script> $x^2$'
LONG_WORD = "W" * 400
# Text a file carried: a direction override, a NUL-free control character, a long URL.
FROM_A_FILE = "Canon\u202e EOS\x07 https://example.com/" + "a" * 200


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("8500000", "₹85,00,000"),
        ("12345678.5", "₹1,23,45,678.50"),
        ("1000000000", "₹1,00,00,00,000"),
        ("100000", "₹1,00,000"),
        ("99999.99", "₹99,999.99"),
        ("1000", "₹1,000"),
        ("999", "₹999"),
        ("0.5", "₹0.50"),
        ("1234.005", "₹1,234.01"),
        ("-1500000", "-₹15,00,000"),
    ],
)
def test_amounts_are_grouped_the_indian_way(amount: str, text: str) -> None:
    assert indian_rupees(Decimal(amount)) == text


def test_printable_text_drops_control_and_direction_characters() -> None:
    assert printable("a\u202eb\x00c\x07d\u2066e\nf\tg") == "abcde\nfg"


def test_printable_text_breaks_long_runs_only() -> None:
    word = "x" * 45

    assert printable(f"short {word} end") == f"short {'x' * 20}\u200b{'x' * 20}\u200b{'x' * 5} end"
    assert printable("a" * 40) == "a" * 40


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def _photo(number: int, **fields: Any) -> ReportPhoto:
    details: dict[str, Any] = {
        "category": "Kitchen",
        "qc_status": "PASS",
        "lat": 18.5362,
        "lon": 73.8940,
        "sha256": f"{number:064x}",
        "facts": [("Capture time", "2026-12-01T10:00:00+05:30")],
        "checks": [ReportCheck("gps_present", "pass", "Position 18.53620, 73.89400.")],
        "credentials": [("Summary", "No credentials")],
        "preview": _jpeg((40, 120, 200)),
    }
    details.update(fields)
    return ReportPhoto(number=number, **details)


def _document(**fields: Any) -> ReportDocument:
    details: dict[str, Any] = {
        "report_id": "0b9f6c52-5d5e-4c1e-9a43-3f1f2b7c9d10",
        "generated_at": "02 Dec 2026, 06:10 IST",
        "draft": False,
        "title": "4 Lake View Road, Bengaluru",
        "property_facts": [("Address", "4 Lake View Road")],
        "valuation": "₹85,00,000",
        "valuation_notes": "Fair.",
        "approval": "By Meera (Reviewer) on 02 Dec 2026, 06:00 IST",
        "latitude": 18.5362,
        "longitude": 73.8940,
        "radius_m": 500.0,
        "photos": [_photo(1)],
        "history": [ReportHistoryRow("01 Dec 2026", "Draft → Submitted", "Owner (Client)", "")],
    }
    details.update(fields)
    return ReportDocument(**details)


def _map(document: ReportDocument) -> ElementTree.Element:
    return ElementTree.fromstring(map_svg(document))  # noqa: S314 - drawn by the code under test


def test_the_map_centres_the_property_in_its_qc_radius() -> None:
    svg = _map(_document(photos=[]))

    radius = next(c for c in svg.iter(f"{SVG}circle") if c.get("stroke-dasharray"))
    assert (float(radius.attrib["cx"]), float(radius.attrib["cy"])) == (300, 200)
    # The radius fills the frame's height but for its margin: 1.15 times 500 m from the centre.
    assert float(radius.attrib["r"]) == pytest.approx((200 - 10) / 1.15, abs=0.1)
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["200 m", "N"]


def test_the_map_puts_each_photo_where_its_gps_says_numbered_and_coloured() -> None:
    # 0.003° of latitude north (334 m), and 0.003° of longitude east (317 m at 18.5°).
    north = _photo(1, lat=18.5392, qc_status="PASS")
    east = _photo(2, lon=73.8970, qc_status="FAIL")
    unlocated = _photo(3, lat=None, lon=None)

    svg = _map(_document(photos=[north, east, unlocated]))

    dots = [c for c in svg.iter(f"{SVG}circle") if c.get("r") == "9"]
    numbers = [t.text for t in svg.iter(f"{SVG}text")][:-2]
    assert numbers == ["1", "2"]
    scale = (200 - 10) / (500 * 1.15)
    (x1, y1), (x2, y2) = ((float(d.attrib["cx"]), float(d.attrib["cy"])) for d in dots)
    assert (x1, y1) == pytest.approx((300, 200 - 333.96 * scale), abs=0.2)
    assert (x2, y2) == pytest.approx((300 + 316.7 * scale, 200), abs=0.2)
    assert [d.attrib["fill"] for d in dots] == ["#2e7d32", "#c62828"]


def test_a_photo_far_away_sits_on_the_frame_hollow_and_the_radius_stays_visible() -> None:
    # 1° north: 111 km, past ten radii.
    far = _photo(1, lat=19.5362)

    svg = _map(_document(photos=[far]))

    dot = next(c for c in svg.iter(f"{SVG}circle") if c.get("r") == "9")
    radius = next(c for c in svg.iter(f"{SVG}circle") if c.get("stroke-dasharray"))
    assert dot.attrib["fill"] == "#ffffff"
    assert float(dot.attrib["cy"]) == pytest.approx(12)
    assert float(radius.attrib["r"]) == pytest.approx((200 - 10) / 11.5, abs=0.1)
    assert [t.text for t in svg.iter(f"{SVG}text")][-2] == "2 km"


def test_the_map_needs_the_position() -> None:
    with pytest.raises(ValueError, match="position"):
        map_svg(_document(latitude=None, longitude=None))


@requires_pdftotext
def test_the_pdf_holds_its_text_as_text() -> None:
    pdf = render_pdf(_document())

    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-")
    assert "4 Lake View Road, Bengaluru" in text
    assert "₹85,00,000" in text
    assert f"{1:064x}" in text
    assert "0b9f6c52-5d5e-4c1e-9a43-3f1f2b7c9d10" in text
    assert "DRAFT" not in text


@requires_pdftotext
def test_a_draft_says_so_on_every_page() -> None:
    pdf = render_pdf(_document(draft=True, photos=[_photo(n) for n in range(1, 7)]))

    pages, words = pdf_words(pdf)
    assert len(pages) > 1
    headers = [w.page for w in words if w.text == "DRAFT:"]
    assert headers == list(range(1, len(pages) + 1))


@requires_pdftotext
def test_hostile_text_is_printed_as_typed_and_stays_on_the_page() -> None:
    hostile = f"{MARKUP} {LONG_WORD}"
    photo = _photo(
        1,
        category=hostile,
        facts=[("Camera", FROM_A_FILE), ("GPS", hostile)],
        checks=[ReportCheck("gps_distance", "warn", hostile)],
        credentials=[("Signer", f"<b>{FROM_A_FILE}</b>"), ("Generator", hostile)],
    )
    document = _document(
        title=hostile,
        property_facts=[("Address", hostile), ("City", LONG_WORD)],
        valuation_notes=hostile,
        photos=[photo, _photo(2, preview=None)],
        history=[
            ReportHistoryRow("01 Dec 2026", "In review → Inspecting", "Meera (Reviewer)", hostile)
        ],
    )

    pdf = render_pdf(document)

    text = pdf_text(pdf)
    # Typst read it as strings: the markup and the code are printed, not obeyed.
    assert text.count(MARKUP) == 8
    assert f"<b>CanonEOShttps://example.com/{'a' * 200}</b>" in text.replace(" ", "")
    assert "\u202e" not in text
    assert "No preview" in text
    pages, words = pdf_words(pdf)
    margin = 1.6 / 2.54 * 72  # the template's side margins, in points
    for word in words:
        page = pages[word.page - 1]
        assert word.x_min >= margin - 1, word
        assert word.x_max <= page.width - margin + 1, word
        assert word.y_max <= page.height, word
