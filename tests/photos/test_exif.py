import io
import struct
import zlib
from dataclasses import replace

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from photos.exif import (
    GpsFix,
    PhotoMetadata,
    UnreadableImageError,
    gps_from_tags,
    metadata_from_image,
    open_header,
    read_metadata,
)
from tests.support.images import corpus_bytes, corpus_params, make_image, make_jpeg

BENGALURU = (12.9716, 77.5946)


def _read(data: bytes) -> PhotoMetadata:
    return read_metadata(io.BytesIO(data))


def _gps_values(gps: GpsFix | None) -> tuple[float, float, float | None, float | None] | None:
    return None if gps is None else (gps.lat, gps.lon, gps.alt, gps.accuracy_m)


CORPUS_FORMATS = {
    "JPEG": ("JPEG", "image/jpeg"),
    "HEIC": ("HEIF", "image/heic"),
    "Extended WEBP": ("WEBP", "image/webp"),
    "PNG": ("PNG", "image/png"),
}


@pytest.mark.parametrize("entry", corpus_params())
def test_it_reads_the_corpus_like_exiftool(entry):
    if entry["expect"] == "unreadable" and entry["width"] is None:
        with pytest.raises(UnreadableImageError):
            _read(corpus_bytes(entry))
        return

    metadata = _read(corpus_bytes(entry))

    # A truncated file's header still holds its GPS: decoding is what finds it unreadable.
    has_position = entry["expect"] in ("ok", "unreadable")
    truth = entry["gps"]
    assert {
        "format": (metadata.format, metadata.content_type),
        "make": metadata.make,
        "model": metadata.model,
        "taken_at": metadata.taken_at,
        "offset": metadata.offset,
        "width": metadata.width,
        "height": metadata.height,
        "orientation": metadata.orientation,
        "gps": _gps_values(metadata.gps),
        "gps_unusable": metadata.gps_problem is not None,
    } == {
        "format": CORPUS_FORMATS[entry["format"]],
        "make": entry["make"] or "",
        "model": entry["model"] or "",
        "taken_at": entry["datetime_original"],
        "offset": entry["offset"],
        "width": entry["width"],
        "height": entry["height"],
        "orientation": entry["orientation"],
        "gps": pytest.approx(
            (truth["lat"], truth["lon"], truth["alt"], entry["gps_hpositioning_error"]), abs=1e-6
        )
        if has_position
        else None,
        "gps_unusable": entry["expect"] == "bad_gps",
    }


def test_it_reads_what_a_phone_writes():
    data = make_jpeg(
        4000,
        3000,
        gps=(-33.45347, -70.66926),
        altitude=-12.5,
        accuracy_m=4.5,
        taken_at="2024-05-10T14:30:05",
        offset="-04:00",
        make="Google",
        model="Pixel 8",
        orientation=6,
    )

    metadata = _read(data)

    assert _gps_values(metadata.gps) == pytest.approx((-33.45347, -70.66926, -12.5, 4.5), abs=1e-9)
    assert replace(metadata, gps=None) == PhotoMetadata(
        format="JPEG",
        content_type="image/jpeg",
        width=4000,
        height=3000,
        orientation=6,
        make="Google",
        model="Pixel 8",
        taken_at="2024-05-10T14:30:05",
        offset="-04:00",
        gps=None,
        gps_problem=None,
    )


def test_it_reports_no_gps_and_no_capture_time_when_absent():
    metadata = _read(make_jpeg(640, 480))

    assert (metadata.gps, metadata.gps_problem, metadata.taken_at, metadata.offset) == (
        None,
        None,
        None,
        None,
    )
    assert (metadata.make, metadata.model, metadata.orientation) == ("", "", None)


def test_it_strips_nul_and_space_padding_from_make_and_model():
    metadata = _read(make_jpeg(64, 48, make="SAMSUNG            ", model="GT-I9000\x00\x00junk"))

    assert (metadata.make, metadata.model) == ("SAMSUNG", "GT-I9000")


def test_it_reads_altitude_without_its_reference_as_above_sea_level():
    metadata = _read(make_jpeg(64, 48, gps=BENGALURU, gps_tags={6: 920.0}))

    assert metadata.gps is not None
    assert metadata.gps.alt == 920.0


@pytest.mark.parametrize(
    ("taken_at", "offset", "expected"),
    [
        ("2024:05:10 14:30:05", "+05:30", ("2024-05-10T14:30:05", "+05:30")),
        ("2024:05:10 14:30:05\x00", "+05:30\x00", ("2024-05-10T14:30:05", "+05:30")),
        ("0000:00:00 00:00:00", "+5:30", (None, None)),
        ("    :  :     :  :  ", "+15:00", (None, None)),
        ("", "", (None, None)),
    ],
)
def test_it_reads_only_valid_capture_times_and_offsets(taken_at, offset, expected):
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9003: taken_at, 0x9011: offset})
    buffer = io.BytesIO()
    make_image(64, 48).save(buffer, "JPEG", exif=exif)

    metadata = _read(buffer.getvalue())

    assert (metadata.taken_at, metadata.offset) == expected


def test_it_reads_a_jpeg_without_decoding_its_pixels():
    with open_header(io.BytesIO(make_jpeg(4000, 3000, gps=BENGALURU))) as image:
        metadata = metadata_from_image(image)
        assert image.tile, "the pixels were decoded"

    assert metadata.gps is not None


def test_it_finds_a_png_exif_chunk_after_the_pixels_without_decoding_them():
    data = _png_with_exif_after_pixels(make_jpeg(64, 48, gps=BENGALURU, make="Canon"))

    with open_header(io.BytesIO(data)) as image:
        metadata = metadata_from_image(image)
        assert image.tile, "the pixels were decoded"

    assert metadata.make == "Canon"
    assert metadata.gps is not None
    assert (metadata.gps.lat, metadata.gps.lon) == pytest.approx(BENGALURU, abs=1e-9)


def _png_with_exif_after_pixels(jpeg: bytes) -> bytes:
    exif = Image.open(io.BytesIO(jpeg)).getexif().tobytes()[len(b"Exif\x00\x00") :]
    buffer = io.BytesIO()
    make_image(64, 48).save(buffer, "PNG")
    png = buffer.getvalue()
    iend = png.rindex(b"IEND") - 4
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + exif))
    return png[:iend] + chunk + png[iend:]


def test_it_reads_heif_with_the_heif_plugin():
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif.get_ifd(0x8825).update({1: "N", 2: (12.0, 58.0, 17.76), 3: "E", 4: (77.0, 35.0, 40.56)})
    buffer = io.BytesIO()
    make_image(640, 480).save(buffer, "HEIF", exif=exif)

    metadata = _read(buffer.getvalue())

    assert (metadata.format, metadata.content_type, metadata.width, metadata.height) == (
        "HEIF",
        "image/heic",
        640,
        480,
    )
    assert metadata.make == "Apple"
    assert metadata.gps is not None
    assert (metadata.gps.lat, metadata.gps.lon) == pytest.approx(BENGALURU, abs=1e-9)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"just some text, renamed to .jpg\n",
        b"\xff\xd8\xff",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    ],
    ids=["empty", "text", "jpeg-signature-only", "gif"],
)
def test_it_refuses_what_is_not_an_accepted_image(data):
    with pytest.raises(UnreadableImageError):
        _read(data)


def test_it_reads_a_truncated_jpeg_header():
    data = make_jpeg(1600, 1200, gps=BENGALURU, make="Apple")

    metadata = _read(data[: len(data) // 2])

    assert metadata.make == "Apple"
    assert metadata.gps is not None


def _dms(degrees, minutes, seconds):
    return (IFDRational(degrees), IFDRational(minutes), IFDRational(seconds))


def test_it_signs_positions_from_their_references():
    tags = {1: "S", 2: _dms(33, 27, 12.492), 3: "W", 4: _dms(70, 40, 9.336)}

    fix, problem = gps_from_tags(tags)

    assert problem is None
    assert fix is not None
    assert (fix.lat, fix.lon) == pytest.approx((-33.45347, -70.66926), abs=1e-9)


def test_it_reads_decimal_minutes_and_decimal_degrees():
    tags = {1: "N", 2: (IFDRational(37), IFDRational(448059, 10000)), 3: "E", 4: IFDRational(9.5)}

    fix, problem = gps_from_tags(tags)

    assert problem is None
    assert fix is not None
    assert (fix.lat, fix.lon) == pytest.approx((37.746765, 9.5), abs=1e-9)


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        (
            {1: "N", 2: _dms(0, 0, 0), 3: "E", 4: _dms(0, 0, 0)},
            "position is 0, 0 (the receiver had no fix)",
        ),
        (
            {1: "N", 2: "52,00000,50,00000,34,01180", 3: "E", 4: "11,00000,10,00000"},
            "GPS latitude is text ('52,00000,50,00000,34,01180'), not numbers",
        ),
        (
            {
                1: "N",
                2: (IFDRational(48), IFDRational(53), IFDRational(0, 0)),
                3: "E",
                4: _dms(21, 2, 5),
            },
            "GPS latitude has a part that is not a number (0/0)",
        ),
        ({2: IFDRational(4294967295), 5: b"\x01"}, "GPS latitude 4.29497e+09 is out of range"),
        ({1: "N", 2: _dms(12, 58, 17)}, "GPS longitude is missing"),
        ({2: _dms(12, 58, 17), 4: _dms(77, 35, 40)}, "GPS latitude has no valid N/S reference"),
        (
            {1: "N", 2: _dms(91, 0, 0), 3: "E", 4: _dms(77, 35, 40)},
            "GPS latitude 91 is out of range",
        ),
        (
            {1: "N", 2: _dms(12, 0, 0), 3: "X", 4: _dms(77, 0, 0)},
            "GPS longitude has no valid E/W reference",
        ),
        (
            {1: "N", 2: (1.0, 2.0, 3.0, 4.0), 3: "E", 4: _dms(77, 0, 0)},
            "GPS latitude has 4 values, expected 3",
        ),
        (
            {1: "N", 2: (-12.0, 0.0, 0.0), 3: "E", 4: _dms(77, 0, 0)},
            "GPS latitude has a negative part",
        ),
    ],
    ids=[
        "null-island",
        "text",
        "nan-seconds",
        "single-huge-value",
        "no-longitude",
        "no-reference",
        "latitude-over-90",
        "bad-reference",
        "four-values",
        "negative-part",
    ],
)
def test_it_explains_unusable_gps(tags, problem):
    assert gps_from_tags(tags) == (None, problem)


@pytest.mark.parametrize("tags", [{}, {0: b"\x02\x02\x00\x00"}, {5: b"\x00", 6: IFDRational(12)}])
def test_it_treats_a_gps_block_without_coordinates_as_no_gps(tags):
    assert gps_from_tags(tags) == (None, None)


@pytest.mark.parametrize(
    ("extra", "alt", "accuracy_m"),
    [
        ({5: b"\x01", 6: IFDRational(28093, 10000)}, -2.8093, None),
        ({5: b"\x00", 6: IFDRational(0, 0), 31: IFDRational(0, 0)}, None, None),
        ({31: IFDRational(65)}, None, 65.0),
        ({31: IFDRational(-5)}, None, None),
    ],
    ids=["below-sea-level", "undefined", "accuracy", "negative-accuracy"],
)
def test_it_reads_altitude_and_accuracy_or_drops_them_when_undefined(extra, alt, accuracy_m):
    tags = {1: "N", 2: _dms(12, 58, 17), 3: "E", 4: _dms(77, 35, 40), **extra}

    fix, _ = gps_from_tags(tags)

    assert fix is not None
    assert (fix.alt, fix.accuracy_m) == (pytest.approx(alt) if alt else None, accuracy_m)
