"""The pipeline never holds a 24 MP photo at full resolution.

A 6000x4000 RGB decode needs 72 MB in Pillow's C buffers. tracemalloc cannot see those buffers
(it only tracks Python's allocator), so the bound is on the peak resident set size, which Linux
lets a process reset and read (/proc/self/clear_refs, VmHWM). Measured here: 13-16 MB with
draft decoding, 125-128 MB without.
"""

import io

import pytest
from PIL import JpegImagePlugin

from benchmarks.photo_pipeline import measure_peak, rss_peak_available
from photos.imaging import analyse
from tests.support.images import make_jpeg

MAX_PEAK_RSS_MB = 40
FULL_RGB_DECODE_MB = 6000 * 4000 * 3 / 2**20
MAX_PYTHON_HEAP_MB = 2

pytestmark = pytest.mark.skipif(
    not rss_peak_available(), reason="needs Linux's /proc/self/clear_refs to measure peak RSS"
)


@pytest.fixture(scope="module")
def photo_24_mp():
    return make_jpeg(6000, 4000, noise=20, gps=(12.9716, 77.5946), taken_at="2024-05-10T09:00:00")


def test_it_analyses_a_24_mp_photo_without_decoding_it_at_full_size(photo_24_mp):
    analysis, peak = measure_peak(lambda: analyse(io.BytesIO(photo_24_mp)))

    assert (analysis.preview.width, analysis.preview.height) == (1024, 683)
    assert peak.rss_mb is not None
    assert peak.rss_mb < MAX_PEAK_RSS_MB
    assert peak.traced_mb < MAX_PYTHON_HEAP_MB


def test_it_would_see_a_full_size_decode(photo_24_mp, monkeypatch):
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", lambda self, mode, size: None)

    _, peak = measure_peak(lambda: analyse(io.BytesIO(photo_24_mp)))

    assert peak.rss_mb is not None
    assert peak.rss_mb > FULL_RGB_DECODE_MB
