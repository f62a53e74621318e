"""Image bombs within the pixel limit (the audit's finding 5): refused at upload when their
decode would take more than PHOTO_MAX_DECODE_MB, PNG chunk floods refused before Pillow walks
them, and QC's decode run in a child process whose memory and time are limited, a photo that
keeps going over them ending ERROR after PHOTO_QC_MAX_ATTEMPTS.

Peak memory is the peak resident set size, as in test_pipeline_memory: the child reports its
own (VmHWM above what it started with), the upload check is measured in this process.
"""

import io
import struct
import subprocess
import sys
import zlib
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from celery import current_app
from django.utils import timezone
from PIL import Image

from benchmarks.photo_pipeline import measure_peak, rss_peak_available
from photos.decode_process import DecodeAbortedError, DecodeLimits, analyse_in_child
from photos.exif import UnreadableImageError, read_metadata
from photos.imaging import DecodeTooLargeError, decode_megabytes, open_image
from photos.models import Photo, QcStatus
from photos.services import photo_run_qc
from photos.tasks import requeue_stuck, run_qc
from tests.photos.conftest import assert_nothing_stored, phone_jpeg, upload, uploaded
from tests.support.images import (
    corpus_bytes,
    corpus_params,
    make_image,
    make_jpeg,
    png_bomb,
    png_chunk,
    png_chunk_bomb,
)

needs_rss = pytest.mark.skipif(
    not rss_peak_available(), reason="needs Linux's /proc/self/clear_refs to measure peak RSS"
)
LIMITS_256_MB = DecodeLimits(max_pixels=100_000_000, max_decode_mb=256, max_seconds=30)


@pytest.fixture(scope="module")
def gray_bomb():
    """The audit's bomb: 10000x10000 16-bit grayscale, 194 KB; 763 MB at peak in QC before."""
    return png_bomb()


@pytest.fixture(scope="module")
def rgb_bomb():
    return png_bomb(color_type=2)


def text_bomb(megabytes: int) -> bytes:
    """A 64x48 PNG with `megabytes` zTXt chunks of 1 MB each once decompressed (a few KB in the
    file): Pillow decompresses them as it opens the file, whatever its pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(buffer, "PNG")
    png = buffer.getvalue()
    text = zlib.compress(b" " * (1024 * 1024 - 64), 9)
    chunks = b"".join(
        png_chunk(b"zTXt", b"Comment %d\x00\x00" % number + text) for number in range(megabytes)
    )
    at = png.index(b"IDAT") - 4
    return png[:at] + chunks + png[at:]


def png_in_pieces(pieces: int) -> bytes:
    """A real picture whose image data is split into `pieces` IDAT chunks, as some encoders do."""
    buffer = io.BytesIO()
    make_image(640, 480, seed=4).save(buffer, "PNG")
    png = buffer.getvalue()
    start = png.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", png[start : start + 4])
    data = png[start + 8 : start + 8 + length]
    cuts = [len(data) * piece // pieces for piece in range(pieces + 1)]
    idats = b"".join(png_chunk(b"IDAT", data[start:end]) for start, end in pairwise(cuts))
    return png[:start] + idats + png[start + 12 + length :]


# measure_peak gives the heap's free pages back to the system first: without it, the child
# would reuse this process's resident free heap, which its RSS does not show.
in_the_child = measure_peak


# --- At upload ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bomb", "needed", "limit"),
    # The RGB one at the default limit; the gray one under a stricter setting.
    [("gray_bomb", "318", 256), ("rgb_bomb", "604", None)],
    ids=["gray-16", "rgb-16"],
)
def test_it_refuses_a_png_that_would_decode_over_the_limit_with_413(
    cast,
    draft,
    media_root,
    django_capture_on_commit_callbacks,
    request,
    settings,
    bomb,
    needed,
    limit,
):
    if limit is not None:
        settings.PHOTO_MAX_DECODE_MB = limit
    limit = settings.PHOTO_MAX_DECODE_MB
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, request.getfixturevalue(bomb))

    mode = {"gray_bomb": "I;16", "rgb_bomb": "RGB"}[bomb]
    detail = (
        f"The image would take too much memory to decode (at most {limit} MB): decoding this "
        f"10000x10000 PNG ({mode}) would take about {needed} MB, over the limit of {limit} MB."
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": detail,
        "code": "decode_too_large",
        "errors": {"file": [detail]},
    }
    assert_nothing_stored(media_root, callbacks)


def test_it_applies_the_decode_limit_setting(cast, draft, media_root, settings):
    settings.PHOTO_MAX_DECODE_MB = 1

    response = upload(cast.client("owner"), draft, png_in_pieces(1))

    assert (response.status_code, response.json()["code"]) == (413, "decode_too_large")


@pytest.mark.parametrize("where", ["before", "after"])
def test_it_refuses_a_png_flooded_with_chunks_before_pillow_walks_them(
    cast, draft, media_root, django_capture_on_commit_callbacks, where
):
    bomb = png_chunk_bomb(where=where)  # 2 million chunks, 24 MB: 53 s and 600 MB before

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, bomb)

    assert response.status_code == 415
    assert response.json()["code"] == "unreadable_image"
    assert (
        "the PNG has more than 10,000 chunks, or more than 500 besides its image data"
        in (response.json()["detail"])
    )
    assert_nothing_stored(media_root, callbacks)


def test_a_png_whose_image_data_comes_in_thousands_of_pieces_is_read():
    metadata = read_metadata(io.BytesIO(png_in_pieces(5_000)))

    assert (metadata.format, metadata.width, metadata.height) == ("PNG", 640, 480)


def test_a_png_over_the_chunk_cap_is_unreadable():
    with pytest.raises(UnreadableImageError, match="more than 10,000 chunks"):
        read_metadata(io.BytesIO(png_in_pieces(10_001)))


@pytest.fixture(scope="module")
def chunk_bomb():
    return png_chunk_bomb()


@needs_rss
@pytest.mark.parametrize(
    ("bomb", "refusal"),
    [
        ("gray_bomb", DecodeTooLargeError),
        ("rgb_bomb", DecodeTooLargeError),
        ("chunk_bomb", UnreadableImageError),
    ],
)
def test_the_upload_check_of_a_bomb_stays_far_under_the_limit(request, bomb, refusal):
    data = request.getfixturevalue(bomb)

    def check():
        with pytest.raises(refusal):
            open_image(io.BytesIO(data))

    _, peak = measure_peak(check)

    assert peak.rss_mb is not None
    assert peak.rss_mb < 16


# --- The estimate -------------------------------------------------------------------------------


def test_a_jpeg_is_estimated_at_the_scale_its_decoder_reduces_it_to():
    with open_image(io.BytesIO(make_jpeg(6000, 4000))) as image:
        # Decoded at 1/4 for a 1024 px preview: 1500x1000 at 4 bytes, and half as much again.
        assert decode_megabytes(image) == pytest.approx(32 + 1500 * 1000 * 6 / 2**20)


@pytest.mark.parametrize("entry", corpus_params())
def test_every_corpus_photo_decodes_within_the_default_limit(entry):
    try:
        image = open_image(io.BytesIO(corpus_bytes(entry)), max_decode_mb=float("inf"))
    except UnreadableImageError:
        assert entry["expect"] == "unreadable"
        return
    with image:
        assert decode_megabytes(image) < 256


@pytest.mark.parametrize("size", [(5712, 4284), (8064, 6048)], ids=["24-MP", "48-MP"])
def test_a_phones_heif_is_within_the_default_limit(size, settings):
    # The sizes of an iPhone's HEIF photos: 24 MP (its default since the iPhone 15) and 48 MP.
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 110, 100)).save(buffer, "HEIF", quality=50)
    with open_image(io.BytesIO(buffer.getvalue()), max_decode_mb=float("inf")) as image:
        assert decode_megabytes(image) < settings.PHOTO_MAX_DECODE_MB


@needs_rss
@pytest.mark.parametrize(
    ("image_format", "size"),
    [("PNG", (3000, 2000)), ("WEBP", (3000, 2000)), ("HEIF", (3000, 2000)), ("AVIF", (2000, 1500))],
)
def test_the_estimate_bounds_what_the_decode_takes(image_format, size):
    # Noise: the worst case for the codecs' buffers and the compressed data.
    buffer = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(buffer, image_format, quality=80)
    with open_image(io.BytesIO(buffer.getvalue())) as image:
        estimate = decode_megabytes(image)

    (_, usage), _ = in_the_child(lambda: analyse_in_child(buffer, LIMITS_256_MB))

    assert usage.peak_rss_mb < estimate


# --- In the QC's child process -----------------------------------------------------------------


@needs_rss
def test_the_gray_bomb_decodes_in_the_child_under_its_estimate_when_allowed(gray_bomb):
    # Before: 763 MB at peak (16-bit converted at full size, twice); now reduced as decoded.
    limits = DecodeLimits(max_pixels=100_000_000, max_decode_mb=350, max_seconds=30)

    (analysis, usage), _ = in_the_child(lambda: analyse_in_child(io.BytesIO(gray_bomb), limits))

    assert (analysis.preview.width, analysis.preview.height) == (1024, 1024)
    assert usage.peak_rss_mb < 318


def test_the_child_refuses_a_bomb_over_the_limit_before_decoding_it(gray_bomb):
    with pytest.raises(DecodeTooLargeError, match="would take about 318 MB"):
        analyse_in_child(io.BytesIO(gray_bomb), LIMITS_256_MB)


# In a fresh interpreter: this one's free heap, left by the tests before, would be reused by the
# child without growing its address space (see photos.decode_process).
IN_A_FRESH_PROCESS = """
import io, sys
from photos.decode_process import DecodeAbortedError, DecodeLimits, analyse_in_child
limits = DecodeLimits(max_pixels=100_000_000, max_decode_mb=int(sys.argv[1]), max_seconds=30)
try:
    _, usage = analyse_in_child(io.BytesIO(sys.stdin.buffer.read()), limits)
    print(f"decoded, {usage.peak_rss_mb:.0f} MB")
except DecodeAbortedError as error:
    print(error)
"""


def decoded_in_a_fresh_process(data: bytes, max_decode_mb: int) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", IN_A_FRESH_PROCESS, str(max_decode_mb)],
        input=data,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    return completed.stdout.decode().strip()


@needs_rss
def test_a_decode_over_its_memory_is_stopped_by_the_limit_and_not_otherwise():
    bomb = text_bomb(7)  # 7 MB of text that no estimate of the pixels sees

    decoded = decoded_in_a_fresh_process(bomb, 1024)
    assert decoded.startswith("decoded, ")
    assert int(decoded.removeprefix("decoded, ").removesuffix(" MB")) >= 7
    assert decoded_in_a_fresh_process(bomb, 4) == "decoding needed more than the 4 MB allowed"


def test_a_decode_over_its_time_is_killed(gray_bomb):
    limits = DecodeLimits(max_pixels=100_000_000, max_decode_mb=350, max_seconds=0.2)

    with pytest.raises(DecodeAbortedError, match=r"^decoding took longer than 0.2 s$"):
        analyse_in_child(io.BytesIO(gray_bomb), limits)


def test_a_text_flood_over_pillows_text_limit_is_unreadable():
    with pytest.raises(UnreadableImageError, match="Too much memory used in text chunks"):
        analyse_in_child(io.BytesIO(text_bomb(9)), LIMITS_256_MB)


# --- Attempts -----------------------------------------------------------------------------------


def over_its_time(settings) -> None:
    """The gray bomb accepted, and its decode (about a second) given a fifth of one."""
    settings.PHOTO_MAX_DECODE_MB = 350
    settings.PHOTO_MAX_DECODE_SECONDS = 0.2


@pytest.mark.django_db
def test_a_photo_whose_decode_keeps_going_over_the_limit_ends_error_after_the_attempts(
    inspecting, settings, monkeypatch, gray_bomb
):
    # Eager runs re-raise a retry instead of running it, unless told not to propagate errors.
    monkeypatch.setattr(current_app.conf, "task_eager_propagates", False)
    over_its_time(settings)
    photo = uploaded(inspecting, gray_bomb)

    result = run_qc.apply(kwargs={"photo_id": str(photo.pk)})  # retried as a worker would

    photo.refresh_from_db()
    assert result.state == "SUCCESS"
    assert (photo.qc_status, photo.qc_error, photo.qc_attempts) == (
        QcStatus.ERROR,
        "decoding took longer than 0.2 s; gave up after 3 attempts",
        3,
    )
    assert (photo.preview.name, photo.processed_at is not None) == ("", True)


@pytest.mark.django_db
def test_an_aborted_decode_puts_the_photo_back_in_the_queue_until_the_last_attempt(
    inspecting, settings, gray_bomb
):
    over_its_time(settings)
    photo = uploaded(inspecting, gray_bomb)

    for attempt in (1, 2):
        with pytest.raises(DecodeAbortedError):
            photo_run_qc(photo_id=photo.pk)
        photo.refresh_from_db()
        assert (photo.qc_status, photo.qc_attempts) == (QcStatus.PENDING, attempt)
    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (photo.qc_status, photo.qc_attempts) == (QcStatus.ERROR, 3)


@pytest.mark.django_db
def test_the_sweep_ends_a_photo_abandoned_at_its_last_attempt_and_requeues_no_more(
    inspecting, settings, django_capture_on_commit_callbacks, staff_events
):
    long_ago = timezone.now() - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS + 60)
    exhausted = uploaded(inspecting, phone_jpeg(inspecting, seed=1))
    retried = uploaded(inspecting, phone_jpeg(inspecting, seed=2))
    Photo.objects.filter(pk=exhausted.pk).update(
        qc_status=QcStatus.RUNNING, qc_started_at=long_ago, updated_at=long_ago, qc_attempts=3
    )
    Photo.objects.filter(pk=retried.pk).update(
        qc_status=QcStatus.RUNNING, qc_started_at=long_ago, updated_at=long_ago, qc_attempts=2
    )

    with django_capture_on_commit_callbacks(execute=True):
        requeue_stuck()
        requeue_stuck()

    photos = {
        photo.pk: (photo.qc_status, photo.qc_error, photo.qc_attempts)
        for photo in Photo.objects.all()
    }
    assert photos == {
        exhausted.pk: (
            QcStatus.ERROR,
            "QC was started 3 times and never finished (its worker was killed or timed out)",
            3,
        ),
        retried.pk: (QcStatus.PASS, "", 3),
    }
    assert [(event["photo_id"], event["qc_status"]) for event in staff_events.events()] == [
        (str(exhausted.pk), "ERROR"),
        (str(retried.pk), "PASS"),
    ]


@pytest.mark.django_db
def test_a_redelivered_task_does_not_run_a_photo_out_of_attempts(inspecting, settings):
    long_ago = timezone.now() - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS + 60)
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    Photo.objects.filter(pk=photo.pk).update(
        qc_status=QcStatus.RUNNING, qc_started_at=long_ago, qc_attempts=3
    )

    run_qc(photo_id=str(photo.pk))

    photo.refresh_from_db()
    assert (photo.qc_status, photo.qc_attempts, photo.processed_at) == (
        QcStatus.RUNNING,
        3,
        None,
    )
