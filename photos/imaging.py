"""Decoding photos safely and cheaply: content sniffing, pixel cap, preview, dHash, sharpness.

A 24 MP JPEG decoded at full size costs ~72 MB of pixels and the better part of a second of CPU
once resized. Everything here works on a preview of at most 1024 px that the JPEG decoder
produces directly at 1/2, 1/4 or 1/8 scale (`draft`), so a phone photo is never held at full
resolution. HEIF (libheif), AVIF, PNG and WebP have no scaled decoding: they are decoded at full
size, then reduced in the mode they were decoded in before any conversion, and what bounds their
cost is the decode's memory, estimated from the header (`decode_megabytes`) and refused above
the limit before a pixel is decoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageFile, ImageFilter, ImageOps, ImageStat

from photos.exif import (
    PARSE_ERRORS,
    ImageTooLargeError,
    PhotoMetadata,
    UnreadableImageError,
    metadata_from_image,
    open_header,
)

DEFAULT_MAX_PIXELS = 100_000_000
DEFAULT_MAX_DECODE_MB = 256
PREVIEW_MAX_PX = 1024
PREVIEW_JPEG_QUALITY = 85

ACCEPTED_CONTENT_TYPES = frozenset(
    {"image/jpeg", "image/heic", "image/heif", "image/avif", "image/webp", "image/png"}
)

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})

# Leading bytes of the image formats PropFlow refuses, so that the caller can tell "an image of
# the wrong kind" (415) from "not an image at all".
_OTHER_IMAGE_SIGNATURES = (
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"\x00\x00\x01\x00", "image/vnd.microsoft.icon"),
    (b"8BPS", "image/vnd.adobe.photoshop"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "image/jxl"),
    (b"\xff\x0a", "image/jxl"),
)

# Peak memory of a decode and its preview, in bytes per pixel of the full image: measured on
# 12 MP noise images, the worst case for the codecs' buffers (WebP 17.0, HEIF 10.3, AVIF 9.3),
# with a margin; tests/photos/test_image_bombs.py checks that the estimate bounds the decode.
# libwebp, libheif and libavif decode into buffers of their own that Pillow then copies.
_DECODER_BYTES_PER_PIXEL = {"WEBP": 18.0, "HEIF": 11.0, "AVIF": 10.0}
# Pillow holds a pixel in 1 byte (modes 1, L, P), 2 (16-bit grayscale) or 4 (every other mode);
# the decoders of the other formats write into that image directly, and the preview's first
# reduction and the compressed data add half as much again at most.
_PILLOW_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
_REDUCTION_OVERHEAD = 1.5
# What every decode takes whatever its size (the codecs' threads and tables: dav1d's ~25 MB at
# 3 MP), measured as the intercept of the peaks at 3, 6 and 12 MP.
_FIXED_DECODE_MB = 32
# A JPEG is decoded at 1/1, 1/2, 1/4 or 1/8 scale, as large as the preview needs.
_JPEG_SCALES = (8, 4, 2, 1)
_JPEG_FORMATS = ("JPEG", "MPO")

_LAPLACIAN = (0, 1, 0, 1, -4, 1, 0, 1, 0)
_POSITIVE_LAPLACIAN = ImageFilter.Kernel((3, 3), _LAPLACIAN, scale=1)
_NEGATIVE_LAPLACIAN = ImageFilter.Kernel((3, 3), [-weight for weight in _LAPLACIAN], scale=1)


@dataclass(frozen=True)
class Preview:
    """A downscaled, upright copy of a photo: JPEG bytes without metadata, and its grayscale."""

    jpeg: bytes
    width: int
    height: int
    gray: Image.Image


@dataclass(frozen=True)
class Analysis:
    """Everything QC needs from a photo's bytes, from a single pass over them."""

    metadata: PhotoMetadata
    preview: Preview
    dhash: int
    sharpness: float


def sniff(stream: BinaryIO) -> str | None:
    """The content type from a file's leading bytes (never its name); None if not an image.

    Accepted types are those in ACCEPTED_CONTENT_TYPES (an MPO is a JPEG); other image formats
    get their own type so that the caller can refuse them as unsupported. The stream's position
    is left unchanged.
    """
    position = stream.tell()
    try:
        head = stream.read(64)
    finally:
        stream.seek(position)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return _ftyp_content_type(head)
    for signature, content_type in _OTHER_IMAGE_SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _ftyp_content_type(head: bytes) -> str | None:
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    # The major brand, then the compatible brands (after the 4-byte minor version).
    brands = [head[8:12]] + [head[at : at + 4] for at in range(16, box_end - 3, 4)]
    for brand in brands:
        if brand in _AVIF_BRANDS:
            return "image/avif"
        if brand in _HEIC_BRANDS:
            return "image/heic"
    if any(brand in _HEIF_BRANDS for brand in brands):
        return "image/heif"
    return None  # another ISO media file: a video, or a raw format such as Canon CR3


class DecodeTooLargeError(ImageTooLargeError):
    """Decoding the image would take more memory than PropFlow allows a decode."""


def open_image(
    stream: BinaryIO,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_mb: float = DEFAULT_MAX_DECODE_MB,
    preview_max_px: int = PREVIEW_MAX_PX,
) -> ImageFile.ImageFile:
    """Open an image for decoding, refusing more than max_pixels (ImageTooLargeError) and an
    image whose decode into a preview of preview_max_px would need more than max_decode_mb
    (DecodeTooLargeError).

    Only the header is read. Pillow's own limit (Image.MAX_IMAGE_PIXELS, 89.5 MP by default)
    also applies: set it to the same value as max_pixels at start-up so that the two agree.
    """
    image = open_header(stream)
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageTooLargeError(
            f"image is {width}x{height} ({width * height:,} pixels), "
            f"over the limit of {max_pixels:,}"
        )
    needed_mb = decode_megabytes(image, preview_max_px)
    if needed_mb > max_decode_mb:
        image.close()
        raise DecodeTooLargeError(
            f"decoding this {width}x{height} {image.format} ({image.mode}) would take about "
            f"{needed_mb:,.0f} MB, over the limit of {max_decode_mb:,g} MB"
        )
    return image


def decode_megabytes(image: ImageFile.ImageFile, preview_max_px: int = PREVIEW_MAX_PX) -> float:
    """The memory, in MB, that decoding an opened image into its preview takes at its peak, at
    most: from its header (its size and format, the mode Pillow decodes it in, and for a JPEG
    the scale its decoder reduces it by), plus what any decode takes."""
    width, height = image.size
    if image.format in _JPEG_FORMATS:
        scale = _jpeg_scale(width, height, preview_max_px)
        width, height = -(-width // scale), -(-height // scale)
    per_pixel = _DECODER_BYTES_PER_PIXEL.get(
        image.format or "", _PILLOW_BYTES_PER_PIXEL.get(image.mode, 4) * _REDUCTION_OVERHEAD
    )
    return _FIXED_DECODE_MB + width * height * per_pixel / 2**20


def _preview_size(width: int, height: int, max_px: int) -> tuple[int, int]:
    scale = min(1.0, max_px / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg_scale(width: int, height: int, max_px: int) -> int:
    # What JpegImageFile.draft picks for the preview's size (see _preview).
    preview_width, preview_height = _preview_size(width, height, max_px)
    largest = min(width // preview_width, height // preview_height)
    return next(scale for scale in _JPEG_SCALES if largest >= scale)


def analyse(
    stream: BinaryIO,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    preview_max_px: int = PREVIEW_MAX_PX,
    max_decode_mb: float = DEFAULT_MAX_DECODE_MB,
) -> Analysis:
    """Read a photo's metadata, make its preview, dHash and sharpness in one pass over the bytes.

    Raises UnreadableImageError (ImageTooLargeError over max_pixels, DecodeTooLargeError over
    max_decode_mb) when the file cannot be decoded, a truncated JPEG included: its header reads
    fine, its pixels do not.
    """
    with open_image(stream, max_pixels, max_decode_mb, preview_max_px) as image:
        metadata = metadata_from_image(image)
        preview = _preview(image, preview_max_px)
    return Analysis(
        metadata=metadata,
        preview=preview,
        dhash=dhash(preview.gray),
        sharpness=laplacian_variance(preview.gray),
    )


def _preview(image: ImageFile.ImageFile, max_px: int) -> Preview:
    icc_profile = image.info.get("icc_profile")
    # Image.thumbnail asks draft for twice its box and so decodes a 24 MP JPEG at full size;
    # asking for the final size lets the decoder scale by 1/4 or 1/8 itself.
    image.draft("RGB", _preview_size(*image.size, max_px))
    try:
        image.load()
        # Reduced in place, in the mode it was decoded in, before any conversion: converting a
        # 16-bit or palette image at full size would copy it at 4 bytes a pixel, twice.
        # Pillow's reduce() has no 16-bit mode: those are resampled in one step.
        reducing_gap = None if image.mode.startswith("I;16") else 2.0
        image.thumbnail((max_px, max_px), reducing_gap=reducing_gap)
        rgb = _as_rgb(image)
    except PARSE_ERRORS as error:
        raise UnreadableImageError(f"cannot decode the image: {error}") from error
    # Rotating after downscaling: transposing first would copy the full-size image. pillow-heif
    # has already rotated HEIF pixels and reset their EXIF Orientation, so this is a no-op there.
    upright = ImageOps.exif_transpose(rgb)
    # Nothing of the original's metadata (EXIF with GPS, XMP, comments) may reach the preview.
    upright.info.clear()
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=PREVIEW_JPEG_QUALITY, icc_profile=icc_profile)
    return Preview(
        jpeg=buffer.getvalue(),
        width=upright.width,
        height=upright.height,
        gray=upright.convert("L"),
    )


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode.startswith("I"):
        # 16-bit grayscale (PNG): Pillow's conversion would clip it to white, not scale it.
        image = image.point(lambda value: value / 256)
    return image.convert("RGB")


def dhash(image: Image.Image) -> int:
    """64-bit difference hash: for each row of a 9x8 grayscale, is each pixel brighter than the
    one on its right. Re-encoding or resizing a photo changes few bits; another photo about half.
    """
    small = image.convert("L").resize((9, 8), Image.Resampling.BOX)
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        for column in range(8):
            at = row * 9 + column
            value = value << 1 | (pixels[at] > pixels[at + 1])
    return value


def hamming(first: int, second: int) -> int:
    """The number of bits in which two hashes differ."""
    return (first ^ second).bit_count()


# Multi-index hashing of dHashes: the 64 bits dealt into DHASH_BANDS bands, bit i into band
# i mod DHASH_BANDS, each band stored and indexed as an integer. Two hashes within d bits agree
# within d // DHASH_BANDS bits on at least one band (pigeonhole), so a band lookup of each band's
# near neighbours finds them all. The bands interleave the bits rather than cut the 8x8 grid into
# runs of rows: real photos share whole rows (a bright sky, a plain wall), which crowd the values
# of a band made of whole rows; dealt bits mix every row into every band.
DHASH_BANDS = 3
DHASH_BAND_BITS = tuple(len(range(band, 64, DHASH_BANDS)) for band in range(DHASH_BANDS))


def dhash_bands(value: int) -> tuple[int, ...]:
    """A 64-bit dHash's bands: band b gathers bits b, b + DHASH_BANDS, b + 2 * DHASH_BANDS, …"""
    bands = [0] * DHASH_BANDS
    for bit in range(63, -1, -1):
        band = bit % DHASH_BANDS
        bands[band] = bands[band] << 1 | (value >> bit & 1)
    return tuple(bands)


def band_neighbours(value: int, width: int, radius: int) -> list[int]:
    """Every value of a band of ``width`` bits within ``radius`` bits of ``value`` (itself
    included): 1 + 22 + 231 = 254 for 22 bits within 2."""
    neighbours = [value]
    frontier = [(value, -1)]
    for _ in range(radius):
        # Flipping bits in increasing order only, so each set of flipped bits is made once.
        frontier = [
            (near ^ 1 << bit, bit) for near, last in frontier for bit in range(last + 1, width)
        ]
        neighbours.extend(near for near, _ in frontier)
    return neighbours


def signed64(value: int) -> int:
    """A 64-bit dHash as the signed integer a database's bigint holds."""
    return value - (1 << 64) if value >= 1 << 63 else value


def dhash_to_hex(value: int) -> str:
    """A dHash as the 16 hex digits it is stored as."""
    return f"{value:016x}"


def dhash_from_hex(text: str) -> int:
    """A dHash back from its 16 hex digits."""
    if len(text) != 16:
        raise ValueError(f"a dHash is 16 hex digits, not {text!r}")
    return int(text, 16)


def laplacian_variance(gray: Image.Image) -> float:
    """Variance of the 3x3 Laplacian of a grayscale image: the lower, the blurrier."""
    gray = gray.convert("L")
    width, height = gray.size
    if width < 3 or height < 3:
        return 0.0
    # Filters on 8-bit images clip to 0..255, so the Laplacian is taken as its positive and its
    # negative part, each in range up to 255, and the variance recombined from their sums (the
    # parts are never both non-zero). The one-pixel border, which Pillow leaves unfiltered, is cut.
    inner = (1, 1, width - 1, height - 1)
    positive = ImageStat.Stat(gray.filter(_POSITIVE_LAPLACIAN).crop(inner))
    negative = ImageStat.Stat(gray.filter(_NEGATIVE_LAPLACIAN).crop(inner))
    count = positive.count[0]
    mean = (positive.sum[0] - negative.sum[0]) / count
    return float((positive.sum2[0] + negative.sum2[0]) / count - mean**2)
