"""Test photos: generated JPEGs with the EXIF a phone writes, and the shared real-photo corpus.

The generated ones serve the photo tests, the upload and task tests and the pipeline benchmark;
they are made in memory, of any size, sharp or blurred.
"""

from __future__ import annotations

import io
import json
import random
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pytest
from PIL import Image, ImageDraw, ImageFilter

Content = Literal["sharp", "blurry", "flat"]

# Scenes are drawn at about the preview's scale, then resized: cheap even at 48 MP.
_SCENE_LONG_SIDE = 1024


def make_image(
    width: int, height: int, *, content: Content = "sharp", seed: int = 0, noise: float = 0.0
) -> Image.Image:
    """An RGB scene of rectangles, ellipses and lines (different for each seed).

    "blurry" is the same scene out of focus, "flat" a single grey. `noise` adds sensor-like
    grain of that standard deviation at full resolution, which gives a JPEG the size of a real
    photo's.
    """
    if content == "flat":
        return Image.new("RGB", (width, height), (137, 137, 137))
    scale = min(1.0, _SCENE_LONG_SIDE / max(width, height))
    scene_size = (max(8, round(width * scale)), max(8, round(height * scale)))
    scene = _scene(scene_size, random.Random(seed))
    if content == "blurry":
        scene = scene.filter(ImageFilter.GaussianBlur(radius=max(scene_size) / 150))
    image = scene.resize((width, height), Image.Resampling.BICUBIC)
    if noise:
        grain = Image.effect_noise((width, height), noise).convert("RGB")
        image = Image.blend(image, grain, 0.15)
    return image


def _scene(size: tuple[int, int], rng: random.Random) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size, _color(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        left, right = sorted((rng.randrange(width), rng.randrange(width)))
        top, bottom = sorted((rng.randrange(height), rng.randrange(height)))
        shape = rng.choice((draw.rectangle, draw.ellipse))
        shape((left, top, right, bottom), fill=_color(rng))
    for _ in range(40):
        start = (rng.randrange(width), rng.randrange(height))
        end = (rng.randrange(width), rng.randrange(height))
        draw.line((start, end), fill=_color(rng), width=rng.randint(1, 3))
    return image


def _color(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def make_jpeg(
    width: int = 1600,
    height: int = 1200,
    *,
    content: Content = "sharp",
    seed: int = 0,
    noise: float = 0.0,
    gps: tuple[float, float] | None = None,
    altitude: float | None = None,
    accuracy_m: float | None = None,
    taken_at: str | None = None,
    offset: str | None = None,
    make: str = "",
    model: str = "",
    orientation: int | None = None,
    gps_tags: Mapping[int, object] | None = None,
    quality: int = 85,
) -> bytes:
    """A JPEG with EXIF as a phone writes it.

    `gps` is (lat, lon) in signed degrees, written as degrees/minutes/seconds with N/S/E/W
    references; a negative `altitude` is written with GPSAltitudeRef 1. `taken_at` is
    "YYYY-MM-DDTHH:MM:SS" (DateTimeOriginal), `offset` e.g. "+05:30" (OffsetTimeOriginal).
    `gps_tags` are raw GPS IFD entries written over the others, for malformed cases.
    """
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if orientation is not None:
        exif[0x0112] = orientation
    exif_ifd = exif.get_ifd(0x8769)
    if taken_at is not None:
        exif_ifd[0x9003] = taken_at.replace("-", ":").replace("T", " ")
    if offset is not None:
        exif_ifd[0x9011] = offset
    gps_ifd = exif.get_ifd(0x8825)
    if gps is not None:
        lat, lon = gps
        gps_ifd.update({1: "N" if lat >= 0 else "S", 2: _dms(lat)})
        gps_ifd.update({3: "E" if lon >= 0 else "W", 4: _dms(lon)})
    if altitude is not None:
        gps_ifd.update({5: b"\x01" if altitude < 0 else b"\x00", 6: abs(altitude)})
    if accuracy_m is not None:
        gps_ifd[0x001F] = accuracy_m
    gps_ifd.update(gps_tags or {})

    image = make_image(width, height, content=content, seed=seed, noise=noise)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def with_exif_thumbnail(
    picture: Image.Image,
    thumbnail: Image.Image,
    *,
    software: str = "",
    orientation: int | None = None,
) -> bytes:
    """A JPEG of `picture` whose EXIF holds `thumbnail` in IFD1, as cameras write it (Pillow
    writes no IFD1), with an optional Software and Orientation in IFD0."""
    thumbnail_buffer = io.BytesIO()
    thumbnail.convert("RGB").save(thumbnail_buffer, "JPEG", quality=90)
    thumbnail_jpeg = thumbnail_buffer.getvalue()
    software_bytes = software.encode() + b"\x00" if software else b""
    software_bytes += b"\x00" * (len(software_bytes) % 2)
    ifd0_count = (orientation is not None) + bool(software)
    software_at = 8 + 2 + 12 * ifd0_count + 4
    ifd1_at = software_at + len(software_bytes)
    thumbnail_at = ifd1_at + 2 + 12 * 2 + 4

    def entry(tag: int, kind: int, count: int, value: bytes) -> bytes:
        return struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")

    ifd0 = [struct.pack("<H", ifd0_count)]
    if orientation is not None:
        ifd0.append(entry(0x0112, 3, 1, struct.pack("<H", orientation)))
    if software:
        ifd0.append(entry(0x0131, 2, len(software) + 1, struct.pack("<I", software_at)))
    ifd0.append(struct.pack("<I", ifd1_at))
    ifd1 = [
        struct.pack("<H", 2),
        entry(0x0201, 4, 1, struct.pack("<I", thumbnail_at)),
        entry(0x0202, 4, 1, struct.pack("<I", len(thumbnail_jpeg))),
        struct.pack("<I", 0),
    ]
    tiff = b"II*\x00" + struct.pack("<I", 8) + b"".join(ifd0) + software_bytes
    tiff += b"".join(ifd1) + thumbnail_jpeg
    app1 = b"Exif\x00\x00" + tiff
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "JPEG", quality=85)
    jpeg = buffer.getvalue()
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


def _dms(degrees: float) -> tuple[float, float, float]:
    value = abs(degrees)
    whole = int(value)
    minutes = int((value - whole) * 60)
    seconds = ((value - whole) * 60 - minutes) * 60
    return (float(whole), float(minutes), round(seconds, 6))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: its length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 10_000, height: int = 10_000, *, color_type: int = 0) -> bytes:
    """A 16-bit PNG of black pixels: under a megabyte that decodes to hundreds (the audit's).

    `color_type` 0 is grayscale (2 bytes a pixel in the file, as Pillow's I;16 holds it), 2 RGB
    (6 bytes a pixel in the file, 4 in Pillow's RGB). The rows are compressed one at a time.
    """
    bands = {0: 1, 2: 3}[color_type]
    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + width * bands * 2)  # filter type 0, then the samples
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def png_chunk_bomb(chunks: int = 2_000_000, *, where: str = "before") -> bytes:
    """A small PNG padded with `chunks` empty ancillary chunks (12 bytes each, 24 MB for the
    audit's two million) before or after its image data: slow to walk, nothing to decode."""
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(image, "PNG")
    png = image.getvalue()
    empty = png_chunk(b"zzZz", b"") * chunks
    marker = b"IDAT" if where == "before" else b"IEND"
    at = png.index(marker) - 4
    return png[:at] + empty + png[at:]


CORPUS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "photos"
# Images with and without Content Credentials, the test trust anchors and signing material.
C2PA_CORPUS_DIR = CORPUS_DIR.parent / "c2pa"


def corpus_params() -> list[Any]:
    """One pytest param per ground-truth entry of the shared real-photo corpus, id'd by file.

    Without the corpus (a checkout outside CI), a single param skipped with the reason.
    """
    return _ground_truth_params(CORPUS_DIR, "the real-photo corpus")


def c2pa_corpus_params() -> list[Any]:
    """The same for the shared C2PA corpus."""
    return _ground_truth_params(C2PA_CORPUS_DIR, "the C2PA corpus")


def _ground_truth_params(folder: Path, name: str) -> list[Any]:
    ground_truth = folder / "ground_truth.json"
    if not ground_truth.is_file():
        reason = f"{name} is not at {folder}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-corpus")]
    entries = json.loads(ground_truth.read_text())
    return [pytest.param(entry, id=entry["file"]) for entry in entries]


def corpus_bytes(entry: Mapping[str, Any]) -> bytes:
    """The bytes of a corpus file."""
    return (CORPUS_DIR / "files" / str(entry["file"])).read_bytes()


def c2pa_corpus_bytes(entry: Mapping[str, Any]) -> bytes:
    """The bytes of a C2PA corpus file."""
    return (C2PA_CORPUS_DIR / str(entry["file"])).read_bytes()


def c2pa_signed(
    image: bytes, *, content_type: str = "image/jpeg", generator: str = "PropFlow Test Camera"
) -> bytes:
    """The image with Content Credentials of a camera capture, signed by the C2PA corpus' test
    signer (which its test trust anchors trust)."""
    import c2pa

    signing = C2PA_CORPUS_DIR / "signing"
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(
            b"es256",
            (signing / "es256_certs.pem").read_bytes(),
            (signing / "es256_private.key").read_bytes(),
            None,
        )
    )
    capture = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    manifest = {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": capture}]},
            }
        ],
    }
    signed = io.BytesIO()
    with signer, c2pa.Builder(manifest) as builder:
        builder.sign(signer, content_type, io.BytesIO(image), signed)
    return signed.getvalue()


def c2pa_corpus_entry(file: str) -> dict[str, Any]:
    """One C2PA corpus file's ground truth; skips the test where the corpus is absent."""
    ground_truth = C2PA_CORPUS_DIR / "ground_truth.json"
    if not ground_truth.is_file():
        pytest.skip(f"the C2PA corpus is not at {C2PA_CORPUS_DIR}")
    entries: list[dict[str, Any]] = json.loads(ground_truth.read_text())
    return next(entry for entry in entries if entry["file"] == file)
