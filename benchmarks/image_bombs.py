"""The audit's image bombs through the upload check and QC's decode: time, peak memory, outcome.

    python -m benchmarks.image_bombs [--chunks 2000000] [--raised-mb 350]

The bombs: a 10000x10000 16-bit grayscale PNG (194 KB), the same in 16-bit RGB (583 KB), and a
PNG padded with empty chunks before its image data (12 bytes each: 24 MB for two million). The
upload check is photos.imaging.open_image with the default limits (the test suite's settings),
measured in this process; QC is photos.decode_process.analyse_in_child with the default limits,
and once more with the decode limit raised to --raised-mb (so that the gray bomb is decoded:
what its decode takes).
Peak memory is the peak RSS above the start (Linux's VmHWM, reset through clear_refs): this
process's for the upload check, the child's (as it reports it) for QC.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable

import django
from django.conf import settings

from benchmarks.photo_pipeline import measure_peak
from photos.decode_process import DecodeAbortedError, DecodeLimits, analyse_in_child
from photos.exif import UnreadableImageError
from photos.imaging import open_image
from tests.support.images import png_bomb, png_chunk_bomb


def _upload_check(data: bytes) -> tuple[str, float | None]:
    def check() -> str:
        try:
            open_image(io.BytesIO(data), settings.PHOTO_MAX_PIXELS, settings.PHOTO_MAX_DECODE_MB)
        except UnreadableImageError as error:
            return f"refused: {type(error).__name__}"
        return "accepted"

    outcome, peak = measure_peak(check)
    return outcome, peak.rss_mb


def _qc_decode(data: bytes, max_decode_mb: int) -> tuple[str, float | None]:
    limits = DecodeLimits(
        settings.PHOTO_MAX_PIXELS, max_decode_mb, settings.PHOTO_MAX_DECODE_SECONDS
    )
    try:
        _, usage = analyse_in_child(io.BytesIO(data), limits)
    except (UnreadableImageError, DecodeAbortedError) as error:
        return f"refused: {type(error).__name__}", None
    return "decoded", usage.peak_rss_mb


Step = Callable[[bytes], tuple[str, float | None]]


def _timed(step: Step, data: bytes) -> tuple[float, str, float | None]:
    started = time.perf_counter()
    outcome, peak_mb = step(data)
    return time.perf_counter() - started, outcome, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=2_000_000)
    parser.add_argument("--raised-mb", type=int, default=350)
    arguments = parser.parse_args()
    # The suite's settings: the photos app sets Pillow's limits as the server does.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()

    bombs = {
        "16-bit gray 10000x10000": png_bomb(),
        "16-bit RGB 10000x10000": png_bomb(color_type=2),
        f"{arguments.chunks:,} empty chunks": png_chunk_bomb(arguments.chunks),
    }
    steps: dict[str, Step] = {
        "upload check": _upload_check,
        f"QC decode ({settings.PHOTO_MAX_DECODE_MB} MB)": lambda data: _qc_decode(
            data, settings.PHOTO_MAX_DECODE_MB
        ),
        f"QC decode ({arguments.raised_mb} MB)": lambda data: _qc_decode(data, arguments.raised_mb),
    }
    print(f"{'bomb':26} {'file':>9} {'step':18} {'time':>8} {'peak RSS':>9}  outcome")
    for name, data in bombs.items():
        for step_name, step in steps.items():
            seconds, outcome, peak_mb = _timed(step, data)
            peak = "-" if peak_mb is None else f"{peak_mb:.0f} MB"
            print(
                f"{name:26} {len(data) / 1000:7.0f} KB {step_name:18} {seconds:6.2f} s "
                f"{peak:>9}  {outcome}"
            )


if __name__ == "__main__":
    main()
