import io
import itertools
import random
import warnings

import pytest
from PIL import Image, ImageEnhance

from photos.exif import ImageTooLargeError, UnreadableImageError, read_metadata
from photos.imaging import (
    ACCEPTED_CONTENT_TYPES,
    analyse,
    dhash,
    dhash_from_hex,
    dhash_to_hex,
    hamming,
    laplacian_variance,
    open_image,
    sniff,
)
from photos.qc import Thresholds
from tests.support.images import corpus_bytes, corpus_params, make_image, make_jpeg

CORPUS_CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "HEIC": "image/heic",
    "Extended WEBP": "image/webp",
    "PNG": "image/png",
    "TXT": None,
}


def _encoded(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("entry", corpus_params())
def test_it_sniffs_the_corpus_by_content_not_name(entry):
    assert sniff(io.BytesIO(corpus_bytes(entry))) == CORPUS_CONTENT_TYPES[entry["format"]]


@pytest.mark.parametrize("entry", corpus_params())
def test_it_analyses_the_corpus_or_finds_it_unreadable(entry):
    data = corpus_bytes(entry)

    if entry["expect"] == "unreadable":
        with pytest.raises(UnreadableImageError):
            analyse(io.BytesIO(data))
        return
    analysis = analyse(io.BytesIO(data))

    assert analysis.metadata == read_metadata(io.BytesIO(data))
    assert max(analysis.preview.width, analysis.preview.height) == min(
        1024, max(entry["width"], entry["height"])
    )
    assert 0 <= analysis.dhash < 2**64
    assert analysis.sharpness >= 0


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
        ("HEIF", "image/heic"),
        ("AVIF", "image/avif"),
        ("GIF", "image/gif"),
        ("TIFF", "image/tiff"),
        ("BMP", "image/bmp"),
    ],
)
def test_it_sniffs_image_formats(image_format, content_type):
    stream = io.BytesIO(_encoded(make_image(64, 48), image_format))
    stream.seek(0)

    assert sniff(stream) == content_type
    assert stream.tell() == 0
    assert (content_type in ACCEPTED_CONTENT_TYPES) == (
        image_format in ("JPEG", "PNG", "WEBP", "HEIF", "AVIF")
    )


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif", "image/avif"),
        (b"\x00\x00\x00\x14ftypmif1\x00\x00\x00\x00mif1", "image/heif"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41", None),
        (b"just some text, renamed to .jpg", None),
        (b"", None),
    ],
    ids=[
        "heif-with-heic-brand",
        "heif-with-avif-brand",
        "plain-heif",
        "mp4-video",
        "text",
        "empty",
    ],
)
def test_it_sniffs_brands_and_refuses_what_is_not_an_image(head, content_type):
    assert sniff(io.BytesIO(head)) == content_type


def test_it_refuses_more_pixels_than_the_cap():
    data = make_jpeg(200, 100)

    with pytest.raises(
        ImageTooLargeError, match=r"200x100 \(20,000 pixels\), over the limit of 19,999"
    ):
        analyse(io.BytesIO(data), max_pixels=19_999)
    assert analyse(io.BytesIO(data), max_pixels=20_000).preview.width == 200


@pytest.mark.parametrize("size", [(200, 100), (400, 400)], ids=["warning", "error"])
def test_it_treats_pillows_decompression_bomb_warning_as_an_error(monkeypatch, size):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    filters_before = list(warnings.filters)

    with pytest.raises(ImageTooLargeError, match="image too large"):
        open_image(io.BytesIO(make_jpeg(*size)))
    assert warnings.filters == filters_before


def test_it_finds_a_truncated_jpeg_unreadable():
    data = make_jpeg(1600, 1200, noise=20)

    with pytest.raises(UnreadableImageError, match="truncated"):
        analyse(io.BytesIO(data[: len(data) * 2 // 3]))


def test_it_makes_a_preview_without_metadata():
    data = make_jpeg(
        4000, 3000, gps=(12.9716, 77.5946), make="Google", taken_at="2024-05-10T09:00:00"
    )

    preview = analyse(io.BytesIO(data)).preview

    reopened = Image.open(io.BytesIO(preview.jpeg))
    assert (reopened.format, reopened.size, preview.width, preview.height) == (
        "JPEG",
        (1024, 768),
        1024,
        768,
    )
    assert dict(reopened.getexif()) == {}
    assert not {"exif", "xmp", "comment"} & set(reopened.info)
    assert preview.gray.mode == "L"
    assert preview.gray.size == (1024, 768)


def test_it_scales_16_bit_grayscale_instead_of_clipping_it():
    gray = make_image(300, 200).convert("L")
    deep = Image.new("I;16", gray.size)
    deep.putdata([value * 257 for value in gray.tobytes()])

    preview = analyse(io.BytesIO(_encoded(deep, "PNG"))).preview

    assert preview.gray.getextrema() == pytest.approx(gray.getextrema(), abs=1)


def test_it_never_enlarges_a_small_photo():
    preview = analyse(io.BytesIO(make_jpeg(640, 480))).preview

    assert (preview.width, preview.height) == (640, 480)


@pytest.mark.parametrize(
    ("orientation", "dark_corner"),
    [(1, "top-left"), (3, "bottom-right"), (6, "top-right"), (8, "bottom-left")],
)
def test_it_turns_the_preview_upright(orientation, dark_corner):
    stored = Image.new("RGB", (2000, 1000), "white")
    stored.paste((0, 0, 0), (0, 0, 500, 250))  # a dark block in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation

    preview = analyse(io.BytesIO(_encoded(stored, "JPEG", exif=exif))).preview

    width, height = preview.gray.size
    assert (width, height) == ((1024, 512) if orientation in (1, 3) else (512, 1024))
    corners = {
        "top-left": (10, 10),
        "top-right": (width - 10, 10),
        "bottom-left": (10, height - 10),
        "bottom-right": (width - 10, height - 10),
    }
    dark = {name for name, point in corners.items() if _brightness(preview.gray, point) < 128}
    assert dark == {dark_corner}


def _brightness(image: Image.Image, point: tuple[int, int]) -> int:
    x, y = point
    return image.crop((x, y, x + 1, y + 1)).tobytes()[0]


def _gradient(direction):
    row = (
        list(range(0, 256, 16)) if direction == "brighter-rightwards" else list(range(255, 0, -16))
    )
    image = Image.new("L", (len(row), 8))
    image.putdata(row * 8)
    return image


def test_it_hashes_each_brightness_step_as_one_bit():
    assert dhash(_gradient("brighter-rightwards")) == 0
    assert dhash(_gradient("darker-rightwards")) == 2**64 - 1


def test_it_keeps_the_hash_of_a_re_encoded_or_resized_photo_close():
    near = Thresholds().dhash_near_distance
    for seed in range(5):
        original = make_image(1600, 1200, seed=seed)
        variants = [
            Image.open(io.BytesIO(_encoded(original, "JPEG", quality=40))),
            original.resize((800, 600)),
            ImageEnhance.Brightness(original).enhance(1.1),
        ]

        distances = [hamming(dhash(original), dhash(variant)) for variant in variants]

        assert max(distances) <= near, (seed, distances)


def test_it_keeps_the_hashes_of_different_photos_apart():
    hashes = [dhash(make_image(1600, 1200, seed=seed)) for seed in range(8)]

    distances = [hamming(first, second) for first, second in itertools.combinations(hashes, 2)]

    assert min(distances) > 2 * Thresholds().dhash_near_distance


def test_it_counts_differing_bits():
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(2**64 - 1, 0) == 64


def test_it_stores_a_hash_as_16_hex_digits():
    assert dhash_to_hex(0xF) == "000000000000000f"
    assert dhash_from_hex(dhash_to_hex(2**64 - 1)) == 2**64 - 1
    with pytest.raises(ValueError, match="16 hex digits"):
        dhash_from_hex("f")


def test_it_computes_the_laplacian_variance_exactly():
    rng = random.Random(7)
    width, height = 40, 30
    values = [rng.randrange(60) for _ in range(width * height)]
    image = Image.new("L", (width, height))
    image.putdata(values)

    laplacian = [
        values[y * width + x - 1]
        + values[y * width + x + 1]
        + values[(y - 1) * width + x]
        + values[(y + 1) * width + x]
        - 4 * values[y * width + x]
        for y in range(1, height - 1)
        for x in range(1, width - 1)
    ]
    mean = sum(laplacian) / len(laplacian)
    expected = sum((value - mean) ** 2 for value in laplacian) / len(laplacian)

    assert laplacian_variance(image) == pytest.approx(expected, rel=1e-9)


def test_it_measures_no_detail_in_flat_or_tiny_images():
    assert laplacian_variance(Image.new("L", (100, 100), 137)) == 0.0
    assert laplacian_variance(Image.new("L", (2, 2), 0)) == 0.0


@pytest.mark.parametrize("size", [(1280, 960), (4000, 3000)])
def test_it_tells_sharp_from_blurry_photos(size):
    minimum = Thresholds().sharpness_min_variance
    for seed in range(4):
        sharp = analyse(io.BytesIO(make_jpeg(*size, seed=seed))).sharpness
        blurry = analyse(io.BytesIO(make_jpeg(*size, seed=seed, content="blurry"))).sharpness

        assert sharp >= 3 * minimum
        assert blurry <= minimum / 10
