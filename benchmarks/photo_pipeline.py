"""PropFlow's photo pipeline against a naive Pillow one, on generated 12, 24 and 48 MP JPEGs.

    python -m benchmarks.photo_pipeline [--sizes 12,24,48]

The provenance columns are what verifying Content Credentials and looking for edit traces add
to a run: on the JPEG as generated (no credentials), and on the same JPEG signed at capture by
the shared C2PA corpus' test signer ("n/a" without ../shared). The pipeline's own time includes
the first.

Peak memory is measured twice. tracemalloc sees only Python's allocator, and Pillow keeps
pixels in its own C buffers: a decoded 24 MP image is invisible to it. The peak resident set
size (Linux: /proc/self/status VmHWM, reset through /proc/self/clear_refs) sees everything.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import functools
import io
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from PIL import Image

from photos import qc
from photos.exif import read_metadata
from photos.imaging import Analysis, analyse, dhash
from photos.provenance import TrustSettings, read_credentials, thumbnail_distance
from tests.support.images import C2PA_CORPUS_DIR, c2pa_signed, make_jpeg

T = TypeVar("T")

SIZES = {12: (4000, 3000), 24: (6000, 4000), 48: (8000, 6000)}
REPETITIONS = 5
EXIF_REPETITIONS = 2000
PROPERTY = (12.9716, 77.5946)
TAKEN_AT = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_LIBC_NAME = ctypes.util.find_library("c")
_LIBC = ctypes.CDLL(_LIBC_NAME) if _LIBC_NAME else None


@dataclass(frozen=True)
class Peak:
    """Peak memory above the starting point while a function ran, in MB."""

    rss_mb: float | None
    traced_mb: float


def rss_peak_available() -> bool:
    """Whether this system lets a process reset and read its own peak RSS (Linux)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def measure_peak(function: Callable[[], T]) -> tuple[T, Peak]:
    """Run function once and return its result with its peak memory."""
    resident = rss_peak_available()
    if resident:
        # Free heap pages go back to the system first, or a peak could hide in memory that
        # glibc kept from earlier work and the RSS would not grow.
        if _LIBC is not None:
            _LIBC.malloc_trim(0)
        _CLEAR_REFS.write_text("5")
        start = _status_mb("VmRSS")
    tracemalloc.start()
    try:
        result = function()
        traced = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss_mb = _status_mb("VmHWM") - start if resident else None
    return result, Peak(rss_mb=rss_mb, traced_mb=traced / 1e6)


def _status_mb(field: str) -> float:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def _trust() -> TrustSettings:
    anchors = C2PA_CORPUS_DIR / "test_root_bundle.pem"
    if not anchors.is_file():
        return TrustSettings()
    return TrustSettings(anchors.read_text(), (C2PA_CORPUS_DIR / "trust_config.cfg").read_text())


TRUST = _trust()


def provenance(data: bytes, analysis: Analysis) -> tuple[object, int | None]:
    """QC's provenance work on a photo already analysed: the credentials, else edit traces."""
    credentials = read_credentials(io.BytesIO(data), "image/jpeg", TRUST)
    return credentials, None if credentials else thumbnail_distance(analysis)


def project_pipeline(data: bytes) -> qc.QcVerdict:
    """PropFlow's per-photo work: one pass for EXIF, preview, dHash and sharpness, the
    provenance, then QC."""
    analysis = analyse(io.BytesIO(data))
    credentials = read_credentials(io.BytesIO(data), "image/jpeg", TRUST)
    checks = qc.run_checks(
        metadata=analysis.metadata,
        property_lat=PROPERTY[0],
        property_lon=PROPERTY[1],
        window_start=TAKEN_AT - timedelta(days=1),
        uploaded_at=TAKEN_AT + timedelta(hours=1),
        sha256="0" * 64,
        dhash=analysis.dhash,
        candidates=[],
        sharpness=analysis.sharpness,
        credentials=credentials,
        thumbnail_distance=None if credentials else thumbnail_distance(analysis),
    )
    return qc.overall_status(checks)


def naive_pipeline(data: bytes) -> int:
    """Plain Pillow: getexif, full decode, dHash of the full image, thumbnail without draft."""
    image = Image.open(io.BytesIO(data))
    image.getexif().get_ifd(0x8825)
    image.load()
    full_hash = dhash(image)
    image.thumbnail((1024, 1024))
    image.save(io.BytesIO(), "JPEG", quality=85)
    return full_hash


def _timed(function: Callable[[bytes], object], data: bytes) -> float:
    seconds = []
    for _ in range(REPETITIONS):
        start = time.perf_counter()
        function(data)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1000


def _provenance_ms(data: bytes | None) -> str:
    if data is None:
        return "n/a"
    analysis = analyse(io.BytesIO(data))
    return f"{_timed(functools.partial(provenance, analysis=analysis), data):.1f}"


def _import_ms() -> float:
    """How long importing c2pa takes in a fresh process (once per worker process)."""
    script = "import time; t = time.perf_counter(); import c2pa; print(time.perf_counter() - t)"
    completed = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return float(completed.stdout) * 1000


def _exif_microseconds(data: bytes) -> float:
    start = time.perf_counter()
    for _ in range(EXIF_REPETITIONS):
        read_metadata(io.BytesIO(data))
    return (time.perf_counter() - start) / EXIF_REPETITIONS * 1e6


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description="PropFlow's photo pipeline against naive Pillow.")
    every_size = ",".join(str(megapixels) for megapixels in SIZES)
    parser.add_argument("--sizes", default=every_size, help=f"megapixels, of {every_size}")
    megapixel_sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    print(
        f"{'MP':>3} {'JPEG MB':>7} | {'pipeline ms':>11} {'naive ms':>9} {'faster':>6} | "
        f"{'pipeline MB':>11} {'naive MB':>9} {'ratio':>6} | "
        f"{'traced pipe':>11} {'traced naive':>12} | {'EXIF us':>7} | "
        f"{'prov ms':>7} {'signed ms':>9}"
    )
    for megapixels in megapixel_sizes:
        width, height = SIZES[megapixels]
        data = make_jpeg(
            width, height, noise=20, gps=PROPERTY, taken_at="2024-05-10T14:30:00", make="Bench"
        )
        project_ms = _timed(project_pipeline, data)
        naive_ms = _timed(naive_pipeline, data)
        _, project_peak = measure_peak(functools.partial(project_pipeline, data))
        _, naive_peak = measure_peak(functools.partial(naive_pipeline, data))
        signed = c2pa_signed(data) if TRUST.trust_anchors else None
        ratio = (
            f"1/{naive_peak.rss_mb / project_peak.rss_mb:.1f}"
            if project_peak.rss_mb and naive_peak.rss_mb
            else "n/a"
        )
        print(
            f"{megapixels:>3} {len(data) / 1e6:>7.1f} | {project_ms:>11.0f} {naive_ms:>9.0f} "
            f"{naive_ms / project_ms:>5.1f}x | {_mb(project_peak.rss_mb):>11} "
            f"{_mb(naive_peak.rss_mb):>9} {ratio:>6} | {project_peak.traced_mb:>11.1f} "
            f"{naive_peak.traced_mb:>12.1f} | {_exif_microseconds(data):>7.0f} | "
            f"{_provenance_ms(data):>7} {_provenance_ms(signed):>9}"
        )
    print(
        f"time: median of {REPETITIONS} runs; MB: peak RSS above the start of the run; "
        f"traced: tracemalloc peak (Python allocations only); EXIF: read_metadata, "
        f"mean of {EXIF_REPETITIONS} reads; prov: credentials verified or edit traces looked "
        f"for, without and with Content Credentials; importing c2pa: {_import_ms():.0f} ms"
    )


if __name__ == "__main__":
    main()
