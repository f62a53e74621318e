"""Header-only photo metadata: format, size, camera, capture time and the EXIF GPS fix.

Nothing here decodes pixels: `Image.open` parses the container header and `getexif()` the EXIF
block, which for a JPEG sit in the first few kilobytes of the file. Only the EXIF GPS IFD counts
as a position; vendor blocks (FLIR, maker notes) and XMP are ignored on purpose, because a QC
system must not take a vendor's or an editor's position for the camera's GPS.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, SupportsFloat

import pillow_heif
from PIL import ExifTags, Image, ImageFile, UnidentifiedImageError

# Registered once here so that every module reading photos (this one, imaging, the tasks) can
# open HEIC/HEIF; AVIF is read by Pillow's own plugin.
pillow_heif.register_heif_opener()

# Only the formats PropFlow accepts are ever handed to Pillow, so hostile bytes never reach the
# more exotic plugins (EPS, for instance, would call Ghostscript on load).
ACCEPTED_FORMATS = ("JPEG", "HEIF", "AVIF", "WEBP", "PNG")

# What Pillow raises, besides its own UnidentifiedImageError, on malformed headers, EXIF and
# pixel data; libavif and libheif report their failures as RuntimeError.
PARSE_ERRORS = (
    OSError,
    RuntimeError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    EOFError,
    struct.error,
)

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_MAKE = 0x010F
_MODEL = 0x0110
_ORIENTATION = 0x0112
_SOFTWARE = 0x0131
_THUMBNAIL_OFFSET = 0x0201  # JPEGInterchangeFormat, in IFD1
_THUMBNAIL_LENGTH = 0x0202  # JPEGInterchangeFormatLength
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_GPS_LATITUDE_REF = 0x0001
_GPS_LATITUDE = 0x0002
_GPS_LONGITUDE_REF = 0x0003
_GPS_LONGITUDE = 0x0004
_GPS_ALTITUDE_REF = 0x0005
_GPS_ALTITUDE = 0x0006
_GPS_H_POSITIONING_ERROR = 0x001F

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Pillow parses a PNG chunk by chunk in Python: two million empty chunks (24 MB) took it about
# a minute and 600 MB just to open. Real files have a few dozen chunks besides their image data
# (IDAT), which encoders split into 8-64 KB pieces: a 25 MB upload in 8 KB pieces is 3,200.
MAX_PNG_CHUNKS = 10_000
MAX_PNG_ANCILLARY_CHUNKS = 500
# An EXIF thumbnail is about 160x120 and a few kilobytes; one claiming more is not kept.
MAX_THUMBNAIL_BYTES = 64 * 1024

_EXIF_DATETIME = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"[+-](\d{2}):(\d{2})")


class UnreadableImageError(Exception):
    """The bytes are not an image PropFlow can read (not an image, truncated, corrupt)."""


class ImageTooLargeError(UnreadableImageError):
    """The image has more pixels than PropFlow agrees to decode."""


class _GpsProblemError(ValueError):
    """GPS tags are present but do not make a usable position; the message says why."""


@dataclass(frozen=True)
class GpsFix:
    """A usable EXIF position: signed degrees, metres above sea level, accuracy in metres."""

    lat: float
    lon: float
    alt: float | None
    accuracy_m: float | None


@dataclass(frozen=True)
class PhotoMetadata:
    """What a photo's header says about it.

    `width` and `height` are the dimensions as stored in the file, before the orientation is
    applied (what ExifTool reports). `make` and `model` are "" when absent. `taken_at` is the
    camera's local time exactly as written ("YYYY-MM-DDTHH:MM:SS"), `offset` its
    OffsetTimeOriginal ("+05:30"). `gps_problem` says why GPS tags that are present do not make a
    usable position; it is None when the position is usable and when there are no GPS tags.
    `software` is the EXIF Software tag ("" when absent) and `thumbnail` the JPEG bytes of the
    embedded EXIF thumbnail (IFD1), None without one: what provenance looks at for edit traces.
    """

    format: str
    content_type: str
    width: int
    height: int
    orientation: int | None
    make: str
    model: str
    taken_at: str | None
    offset: str | None
    gps: GpsFix | None
    gps_problem: str | None
    software: str = ""
    thumbnail: bytes | None = None


def open_header(stream: BinaryIO) -> ImageFile.ImageFile:
    """Open an image of an accepted format, parsing only its header.

    Raises ImageTooLargeError when Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS)
    is exceeded, UnreadableImageError when the bytes are not an accepted image (a PNG of more
    chunks than MAX_PNG_CHUNKS or MAX_PNG_ANCILLARY_CHUNKS included).
    """
    _check_png_chunks(stream)
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that, and a header claiming that
        # many pixels is exactly what a decompression bomb looks like. The filter is local to
        # this parse: global warning state is left as it was.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(stream, formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise ImageTooLargeError(f"image too large: {error}") from error
        except UnidentifiedImageError as error:
            raise UnreadableImageError("not an image in an accepted format") from error
        except PARSE_ERRORS as error:
            raise UnreadableImageError(f"corrupt image header: {error}") from error


def _check_png_chunks(stream: BinaryIO) -> None:
    """Walks a PNG's chunk headers (8 bytes each, skipping their data) before Pillow parses them;
    other files are left alone. The stream's position is left unchanged."""
    position = stream.tell()
    try:
        if stream.read(len(_PNG_SIGNATURE)) != _PNG_SIGNATURE:
            return
        chunks = ancillary = 0
        while len(header := stream.read(8)) == 8:
            length, kind = struct.unpack(">I4s", header)
            chunks += 1
            ancillary += kind != b"IDAT"
            if chunks > MAX_PNG_CHUNKS or ancillary > MAX_PNG_ANCILLARY_CHUNKS:
                raise UnreadableImageError(
                    f"the PNG has more than {MAX_PNG_CHUNKS:,} chunks, or more than "
                    f"{MAX_PNG_ANCILLARY_CHUNKS:,} besides its image data"
                )
            if kind == b"IEND":
                return
            stream.seek(length + 4, io.SEEK_CUR)  # the data and its CRC
    finally:
        stream.seek(position)


def read_metadata(stream: BinaryIO) -> PhotoMetadata:
    """Read a photo's metadata from its header without decoding any pixels.

    Raises UnreadableImageError when the bytes are not an image of an accepted format. A file
    whose pixel data is truncated still has a readable header: decoding (imaging.analyse) is what
    finds it unreadable.
    """
    with open_header(stream) as image:
        return metadata_from_image(image)


def metadata_from_image(image: ImageFile.ImageFile) -> PhotoMetadata:
    """Extract PhotoMetadata from an image opened by Pillow (its pixels are not loaded)."""
    try:
        exif = _exif(image)
        gps_tags = dict(exif.get_ifd(_GPS_IFD))
        exif_tags = dict(exif.get_ifd(_EXIF_IFD))
        ifd0 = dict(exif)
        thumbnail = _thumbnail(exif)
    except PARSE_ERRORS as error:
        raise UnreadableImageError(f"corrupt EXIF block: {error}") from error

    # pillow-heif applies the HEIF rotation to the pixels and resets EXIF Orientation to 1,
    # keeping the camera's value in info; undo its swap to report the stored dimensions.
    heif_orientation = image.info.get("original_orientation")
    orientation = _orientation(heif_orientation) or _orientation(ifd0.get(_ORIENTATION))
    width, height = image.size
    if heif_orientation in (5, 6, 7, 8):
        width, height = height, width

    gps, gps_problem = gps_from_tags(gps_tags)

    return PhotoMetadata(
        format="JPEG" if image.format == "MPO" else str(image.format),
        content_type=_content_type(image),
        width=width,
        height=height,
        orientation=orientation,
        make=_text(ifd0.get(_MAKE)),
        model=_text(ifd0.get(_MODEL)),
        taken_at=_taken_at(exif_tags.get(_DATETIME_ORIGINAL)),
        offset=_offset(exif_tags.get(_OFFSET_TIME_ORIGINAL)),
        gps=gps,
        gps_problem=gps_problem,
        software=_text(ifd0.get(_SOFTWARE)),
        thumbnail=thumbnail,
    )


def _exif(image: ImageFile.ImageFile) -> Image.Exif:
    # Pillow's PNG getexif() decodes the whole image to reach an eXIf chunk stored after the
    # pixel data; walking the chunk headers finds it without decoding.
    if image.format != "PNG" or "exif" in image.info or image.fp is None:
        return image.getexif()
    exif = Image.Exif()
    stream = image.fp
    position = stream.tell()
    try:
        stream.seek(len(_PNG_SIGNATURE))
        while len(header := stream.read(8)) == 8:
            length, kind = struct.unpack(">I4s", header)
            if kind == b"eXIf":
                exif.load(stream.read(length))
                break
            if kind == b"IEND":
                break
            stream.seek(length + 4, 1)  # the chunk's data and CRC
    finally:
        stream.seek(position)
    return exif


def _thumbnail(exif: Image.Exif) -> bytes | None:
    """The EXIF thumbnail's bytes, sliced out of the EXIF block that is already in memory (IFD1
    gives their offset from the block's TIFF header)."""
    ifd1 = exif.get_ifd(ExifTags.IFD.IFD1)
    offset, length = ifd1.get(_THUMBNAIL_OFFSET), ifd1.get(_THUMBNAIL_LENGTH)
    block = getattr(exif, "fp", None)  # set when an EXIF block was loaded
    if not isinstance(offset, int) or not isinstance(length, int) or block is None:
        return None
    if not 0 < length <= MAX_THUMBNAIL_BYTES or offset < 0:
        return None
    block.seek(offset)
    data = block.read(length)
    return bytes(data) if len(data) == length else None


def _content_type(image: ImageFile.ImageFile) -> str:
    if image.format in ("JPEG", "MPO"):
        return "image/jpeg"
    mimetype = image.get_format_mimetype() or "application/octet-stream"
    # A HEIC/AVIF "sequence" (burst) is read through its primary image like a still one.
    return mimetype.removesuffix("-sequence")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    # Cameras pad these fixed-size fields with NULs or spaces.
    return value.split("\x00", 1)[0].strip()


def _orientation(value: object) -> int | None:
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    return None


def _taken_at(value: object) -> str | None:
    match = _EXIF_DATETIME.match(_text(value))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        taken = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None  # "0000:00:00 00:00:00" and other impossible dates
    return taken.isoformat()


def _offset(value: object) -> str | None:
    text = _text(value)
    match = _EXIF_OFFSET.fullmatch(text)
    if match is None or int(match[1]) > 14 or int(match[2]) >= 60:
        return None
    return text


def _finite(value: object) -> float | None:
    """A number as a float; None for text, missing values, 0/0 rationals (NaN) and infinities."""
    if not isinstance(value, SupportsFloat):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def gps_from_tags(tags: Mapping[int, object]) -> tuple[GpsFix | None, str | None]:
    """The position in a GPS IFD's tags, or why the tags present make no usable position.

    (None, None) when there are no coordinates at all, e.g. a GPS IFD holding only
    GPSVersionID, as cameras without a receiver write.
    """
    if _GPS_LATITUDE not in tags and _GPS_LONGITUDE not in tags:
        return None, None
    try:
        return _gps_fix(tags), None
    except _GpsProblemError as problem:
        return None, str(problem)


def _gps_fix(tags: Mapping[int, object]) -> GpsFix:
    lat = _coordinate(tags, _GPS_LATITUDE, _GPS_LATITUDE_REF, "latitude", ("N", "S"), 90.0)
    lon = _coordinate(tags, _GPS_LONGITUDE, _GPS_LONGITUDE_REF, "longitude", ("E", "W"), 180.0)
    if lat == 0.0 and lon == 0.0:
        raise _GpsProblemError("position is 0, 0 (the receiver had no fix)")
    return GpsFix(lat=lat, lon=lon, alt=_altitude(tags), accuracy_m=_accuracy(tags))


def _coordinate(
    tags: Mapping[int, object],
    tag: int,
    ref_tag: int,
    name: str,
    hemispheres: tuple[str, str],
    limit: float,
) -> float:
    value = tags.get(tag)
    if value is None:
        raise _GpsProblemError(f"GPS {name} is missing")
    if isinstance(value, str | bytes):
        raise _GpsProblemError(f"GPS {name} is text ({_text(value)[:40]!r}), not numbers")
    # EXIF says degrees, minutes, seconds; writers also store fewer parts (decimal minutes or
    # degrees), which ExifTool reads the same way.
    parts = value if isinstance(value, tuple) else (value,)
    if not 1 <= len(parts) <= 3:
        raise _GpsProblemError(f"GPS {name} has {len(parts)} values, expected 3")
    degrees = 0.0
    for index, part in enumerate(parts):
        number = _finite(part)
        if number is None:
            raise _GpsProblemError(f"GPS {name} has a part that is not a number (0/0)")
        if number < 0:
            raise _GpsProblemError(f"GPS {name} has a negative part")
        degrees += number / 60**index
    if degrees > limit:
        raise _GpsProblemError(f"GPS {name} {degrees:g} is out of range")
    ref = _text(tags.get(ref_tag)).upper()
    if ref not in hemispheres:
        # Guessing a hemisphere could place the photo on the wrong side of the planet.
        raise _GpsProblemError(f"GPS {name} has no valid {'/'.join(hemispheres)} reference")
    return -degrees if ref == hemispheres[1] else degrees


def _altitude(tags: Mapping[int, object]) -> float | None:
    altitude = _finite(tags.get(_GPS_ALTITUDE))
    if altitude is None:
        return None
    ref = tags.get(_GPS_ALTITUDE_REF)
    # A missing reference means above sea level, as in ExifTool's reading.
    return -abs(altitude) if ref in (1, b"\x01") else altitude


def _accuracy(tags: Mapping[int, object]) -> float | None:
    accuracy = _finite(tags.get(_GPS_H_POSITIONING_ERROR))
    return accuracy if accuracy is not None and accuracy >= 0 else None
