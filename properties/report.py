"""The valuation report as a PDF: plain data in, PDF bytes out (no ORM).

Typst lays it out (``report.typ`` beside this module). Everything a user typed or a file carried
reaches Typst only as strings inside ``data.json``, which the template reads with ``json()``:
a Typst string is shown as text, never parsed as markup, so ``#import``, ``*bold*`` or
``<script>`` print as typed. The map is an SVG drawn here from numbers alone (no user text in
it), and the previews are JPEG files beside the data.
"""

import json
import math
import tempfile
import threading
import unicodedata
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import typst

TEMPLATE = Path(__file__).with_name("report.typ")
# Typst breaks lines between words only: a run of characters without a space longer than this
# gets break opportunities (zero-width spaces) every BREAK_EVERY characters, so that it wraps
# instead of running off the page.
LONGEST_UNBROKEN = 40
BREAK_EVERY = 20
ZERO_WIDTH_SPACE = "\u200b"
# Fields shown as they are, in a monospaced line of their own (a hash must read back whole).
VERBATIM_FIELDS = frozenset({"sha256", "report_id"})
# Unicode's explicit direction controls: they would reorder the text around them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

MAP_WIDTH = 600
MAP_HEIGHT = 400
METRES_PER_DEGREE = 111_320.0
MAP_COLOURS = {"PASS": "#2e7d32", "WARN": "#ef8f00", "FAIL": "#c62828"}
MAP_OTHER_COLOUR = "#757575"


@dataclass(frozen=True)
class ReportCheck:
    name: str
    result: str
    detail: str


@dataclass(frozen=True)
class ReportPhoto:
    """One photo as the report shows it; ``facts`` and ``credentials`` are (label, value) rows."""

    number: int
    category: str
    qc_status: str
    lat: float | None
    lon: float | None
    sha256: str
    facts: list[tuple[str, str]]
    checks: list[ReportCheck]
    credentials: list[tuple[str, str]]
    preview: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ReportHistoryRow:
    at: str
    change: str
    actor: str
    reason: str


@dataclass(frozen=True)
class ReportDocument:
    report_id: str
    generated_at: str
    draft: bool
    title: str
    property_facts: list[tuple[str, str]]
    valuation: str
    valuation_notes: str
    approval: str
    latitude: float | None
    longitude: float | None
    radius_m: float
    photos: list[ReportPhoto]
    history: list[ReportHistoryRow]


def indian_rupees(amount: Decimal) -> str:
    """The amount in rupees with Indian digit grouping (lakh, crore): ₹85,00,000; paise only
    when there are some: ₹1,23,45,678.50."""
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    rupees, paise = f"{abs(rounded):.2f}".split(".")
    head, tail = rupees[:-3], rupees[-3:]
    groups: list[str] = []
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    grouped = ",".join([*groups, tail])
    return f"{sign}₹{grouped}" + (f".{paise}" if paise != "00" else "")


def printable(text: str) -> str:
    """The text as it may be typeset: control and direction characters dropped (a newline
    kept), and every run longer than LONGEST_UNBROKEN given places to break."""
    kept = "".join(
        char
        for char in text
        if char == "\n"
        or (unicodedata.category(char) not in ("Cc", "Cs") and char not in _BIDI_CONTROLS)
    )
    return " ".join(_breakable(word) for word in kept.split(" "))


def _breakable(word: str) -> str:
    if len(word) <= LONGEST_UNBROKEN:
        return word
    return ZERO_WIDTH_SPACE.join(
        word[start : start + BREAK_EVERY] for start in range(0, len(word), BREAK_EVERY)
    )


def _typeset_strings(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return value if key in VERBATIM_FIELDS else printable(value)
    if isinstance(value, dict):
        return {name: _typeset_strings(item, name) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_typeset_strings(item, key) for item in value]
    return value


def _nice_length(metres: float) -> float:
    """The largest of 1, 2 or 5 times a power of ten not above the given length."""
    power = 10.0 ** math.floor(math.log10(metres))
    return max(step * power for step in (1.0, 2.0, 5.0) if step * power <= metres)


def _distance_label(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def map_svg(document: ReportDocument) -> str:
    """The map figure: the property at the centre, the QC radius around it, each located photo
    as a numbered dot coloured by its QC verdict, a scale bar and north. Drawn on a local flat
    projection (metres east and north of the property); photos beyond the frame sit on its edge
    as hollow dots. Only numbers go into it."""
    if document.latitude is None or document.longitude is None:
        raise ValueError("The map needs the property's position.")
    east_per_degree = METRES_PER_DEGREE * math.cos(math.radians(document.latitude))
    offsets = [
        (
            photo,
            (photo.lon - document.longitude) * east_per_degree,
            (photo.lat - document.latitude) * METRES_PER_DEGREE,
        )
        for photo in document.photos
        if photo.lat is not None and photo.lon is not None
    ]
    farthest = max((math.hypot(east, north) for _, east, north in offsets), default=0.0)
    # The radius and every photo in view, unless one is so far that the radius would shrink to
    # a dot: then the frame stops at ten radii.
    extent = max(document.radius_m, min(farthest, 10 * document.radius_m)) * 1.15
    scale = (MAP_HEIGHT / 2 - 10) / extent  # pixels per metre
    centre_x, centre_y = MAP_WIDTH / 2, MAP_HEIGHT / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{MAP_WIDTH}" height="{MAP_HEIGHT}" '
        f'viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" font-family="Libertinus Serif">',
        f'<rect width="{MAP_WIDTH}" height="{MAP_HEIGHT}" fill="#f4f6f8" stroke="#90a4ae"/>',
        f'<circle cx="{centre_x}" cy="{centre_y}" r="{document.radius_m * scale:.1f}" '
        'fill="#1565c0" fill-opacity="0.08" stroke="#1565c0" stroke-dasharray="6 4"/>',
        f'<rect x="{centre_x - 7}" y="{centre_y - 7}" width="14" height="14" fill="#1565c0"/>',
    ]
    half_width, half_height = MAP_WIDTH / 2 - 12, MAP_HEIGHT / 2 - 12
    for photo, east, north in offsets:
        x, y = east * scale, -north * scale
        overflow = max(abs(x) / half_width, abs(y) / half_height, 1.0)
        x, y = centre_x + x / overflow, centre_y + y / overflow
        colour = MAP_COLOURS.get(photo.qc_status, MAP_OTHER_COLOUR)
        fill = "#ffffff" if overflow > 1 else colour
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{fill}" stroke="{colour}" '
            'stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle" '
            f'fill="{"#000000" if overflow > 1 else "#ffffff"}">{photo.number}</text>'
        )
    bar = _nice_length(MAP_WIDTH / 4 / scale)
    bar_px = bar * scale
    parts.append(
        f'<path d="M 16 {MAP_HEIGHT - 18} h {bar_px:.1f} M 16 {MAP_HEIGHT - 24} v 12 '
        f'M {16 + bar_px:.1f} {MAP_HEIGHT - 24} v 12" stroke="#000000" stroke-width="2"/>'
        f'<text x="{16 + bar_px / 2:.1f}" y="{MAP_HEIGHT - 28}" font-size="13" '
        f'text-anchor="middle">{_distance_label(bar)}</text>'
        f'<path d="M {MAP_WIDTH - 24} 44 l 8 -26 l 8 26 l -8 -7 z" fill="#000000"/>'
        f'<text x="{MAP_WIDTH - 16}" y="60" font-size="13" text-anchor="middle">N</text>'
        "</svg>"
    )
    return "".join(parts)


def report_data(document: ReportDocument) -> dict[str, Any]:
    """What the template reads: the document's text made printable, previews named by file."""
    data: dict[str, Any] = _typeset_strings(asdict(document))
    data["has_map"] = document.latitude is not None and document.longitude is not None
    data["radius"] = _distance_label(document.radius_m)
    for photo, entry in zip(document.photos, data["photos"], strict=True):
        entry.pop("preview")
        entry["preview"] = f"photo-{photo.number}.jpg" if photo.preview else None
    return data


@cache
def _compiler() -> typst.Compiler:
    # The fonts Typst ships only (Libertinus Serif, DejaVu Sans Mono): the same PDF on every
    # machine, none needed on the system. Loading them is the first compile's cost (~0.4 s),
    # so a process keeps its compiler.
    return typst.Compiler(ignore_system_fonts=True)


_compiler_lock = threading.Lock()


def render_pdf(document: ReportDocument) -> bytes:
    """The report as PDF bytes. Side effects: a temporary folder, removed before returning."""
    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        root = Path(folder)
        (root / "report.typ").write_bytes(TEMPLATE.read_bytes())
        (root / "data.json").write_text(json.dumps(report_data(document)), encoding="utf-8")
        if document.latitude is not None and document.longitude is not None:
            (root / "map.svg").write_text(map_svg(document), encoding="utf-8")
        for photo in document.photos:
            if photo.preview:
                (root / f"photo-{photo.number}.jpg").write_bytes(photo.preview)
        with _compiler_lock:  # one compiler per process, and it compiles one at a time
            pdf = _compiler().compile(input=str(root / "report.typ"), root=str(root), format="pdf")
    assert isinstance(pdf, bytes)
    return pdf
