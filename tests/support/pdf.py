"""PDFs read back as a person would copy them: pdftotext (Debian's poppler-utils).

Tests that need it skip with the reason when it is missing on a developer's machine; under CI
(CI=true, where .ci/run installs it) they run and fail instead.
"""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

import pytest

ZERO_WIDTH_SPACE = "\u200b"

requires_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
    reason="pdftotext is not installed (apt-get install poppler-utils): the PDF's text cannot "
    "be read back",
)


def _pdftotext(pdf: bytes, *options: str) -> str:
    result = subprocess.run(
        ["pdftotext", *options, "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in the order it was drawn (a table cell's lines together), its white
    space as single spaces, without the break opportunities (zero-width spaces) the report
    puts into long words: what a search of the PDF finds."""
    return " ".join(_pdftotext(pdf, "-raw").replace(ZERO_WIDTH_SPACE, "").split())


@dataclass(frozen=True)
class Word:
    text: str
    page: int
    x_min: float
    x_max: float
    y_max: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float


def pdf_words(pdf: bytes) -> tuple[list[Page], list[Word]]:
    """The pages' sizes and every word with its box, in points."""
    html = _pdftotext(pdf, "-bbox")
    body = html[html.index("<body>") : html.index("</body>") + len("</body>")]
    pages: list[Page] = []
    words: list[Word] = []
    for page in ElementTree.fromstring(body).iter("page"):  # noqa: S314 - our own PDF's text
        pages.append(Page(float(page.attrib["width"]), float(page.attrib["height"])))
        for word in page.iter("word"):
            words.append(
                Word(
                    text=word.text or "",
                    page=len(pages),
                    x_min=float(word.attrib["xMin"]),
                    x_max=float(word.attrib["xMax"]),
                    y_max=float(word.attrib["yMax"]),
                )
            )
    return pages, words
