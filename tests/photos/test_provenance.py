"""photos.provenance on the shared C2PA and real-photo corpora: Content Credentials verified
offline exactly as the ground truth says, edit traces, no network ever, hostile manifests."""

import io
import json
import os
import random
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from photos.imaging import analyse
from photos.provenance import (
    VALIDATIONS,
    ContentCredentials,
    TrustSettings,
    editor_named,
    read_credentials,
    thumbnail_distance,
)
from photos.qc import CheckResult, Thresholds, check_provenance
from tests.support.images import (
    C2PA_CORPUS_DIR,
    c2pa_corpus_bytes,
    c2pa_corpus_entry,
    c2pa_corpus_params,
    c2pa_signed,
    corpus_bytes,
    corpus_params,
    make_image,
    make_jpeg,
    with_exif_thumbnail,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = Thresholds()


def judged(
    data: bytes, content_type: str, trust: TrustSettings
) -> tuple[ContentCredentials | None, str | None, CheckResult]:
    """What QC makes of a file's provenance: its credentials, the edit trace found (looked for
    only without credentials: "software", "thumbnail" or None) and the check."""
    credentials = read_credentials(io.BytesIO(data), content_type, trust)
    software, distance = "", None
    if credentials is None:
        analysis = analyse(io.BytesIO(data))
        software, distance = analysis.metadata.software, thumbnail_distance(analysis)
    check = check_provenance(
        credentials, software=software, thumbnail_distance=distance, thresholds=THRESHOLDS
    )
    return credentials, edit_trace(software, distance), check


def edit_trace(software: str, distance: int | None) -> str | None:
    if editor_named(software) is not None:
        return "software"
    if distance is not None and distance > THRESHOLDS.thumbnail_mismatch_distance:
        return "thumbnail"
    return None


# --- The C2PA corpus -----------------------------------------------------------------------------


@pytest.mark.parametrize("entry", c2pa_corpus_params())
def test_each_c2pa_corpus_file_is_judged_as_its_ground_truth_says(entry, c2pa_trust):
    data = c2pa_corpus_bytes(entry)

    credentials, trace, check = judged(data, entry["mime"], c2pa_trust)

    got = {
        "validation": credentials and credentials.validation,
        "provenance": check.result,
        "signer": credentials and credentials.signer,
        "generator": credentials and credentials.generator,
        "signed_at": credentials and credentials.signed_at,
        "actions": list(credentials.actions) if credentials else [],
        "ai_generated": bool(credentials and credentials.ai_generated),
        "edit_trace": trace,
    }
    generator = " ".join(filter(None, (entry["generator"], entry["generator_version"])))
    assert got == {
        "validation": entry["validation"],
        "provenance": entry["provenance"],
        "signer": entry["signer"] or entry["signer_common_name"],
        "generator": generator or None,
        "signed_at": entry["signed_at"],
        "actions": entry["actions"],
        "ai_generated": entry["ai_generated"],
        "edit_trace": entry["edit_trace"],
    }
    failures = list(credentials.failures) if credentials else []
    assert set(entry["failures"]) <= set(failures)
    if entry["c2pa_report"].get("error_class") == "_C2paOther":
        # Refused by the library: invalid, with the library's error as the failure.
        assert failures == [entry["c2pa_report"]["error"]]


def test_without_trust_anchors_a_good_signature_is_valid_not_trusted():
    entry = c2pa_corpus_entry("capture_samsung_sm_g930f.jpg")

    credentials, _, check = judged(c2pa_corpus_bytes(entry), entry["mime"], TrustSettings())

    assert credentials is not None
    assert (credentials.validation, check.result) == ("valid", "warn")
    assert "signingCredential.untrusted" in credentials.failures
    assert check.detail == (
        "Signed by C2PA Test Signing Cert (PropFlow Test Camera 1.0), but the signer is not trusted"
    )


@pytest.mark.parametrize(
    ("file", "detail"),
    [
        (
            "capture_samsung_sm_g930f.jpg",
            "Signed at capture by C2PA Test Signing Cert (PropFlow Test Camera 1.0)",
        ),
        (
            "C.jpg",
            "Signed by C2PA Test Signing Cert (make_test_images 0.33.1), 2024-08-06 21:53 "
            "+00:00, but no camera capture recorded",
        ),
        (
            "edited_nikon_d800e.jpg",
            "Signed by C2PA Test Signing Cert (PropFlow Test Camera 1.0), but edited after "
            "capture: c2pa.edited",
        ),
        (
            "XCA.jpg",
            "The file was changed after it was signed (assertion.dataHash.mismatch)",
        ),
        (
            "capture_apple_iphoneXR_tampered.heic",
            "The file was changed after it was signed (assertion.bmffHash.mismatch)",
        ),
        ("no_alg.jpg", "The Content Credentials do not validate (Other: unknown algorithm)"),
        (
            "ocsp.jpg",
            "Declared AI-generated or composited with AI (Adobe Inc. (Adobe Photoshop 26.9.0), "
            "2025-08-13 16:30 +00:00)",
        ),
        (
            "remote_manifest_canon_a70.jpg",
            "Content Credentials stored remotely: not fetched, so not verified",
        ),
        ("no_c2pa_software_photoshop_nokia.jpg", "Edited in Adobe Photoshop 26.0 (Windows)"),
        (
            "no_c2pa_thumbnail_mismatch_sony.jpg",
            "The embedded EXIF thumbnail no longer matches the picture (34 of 64 hash bits "
            "differ, limit 12)",
        ),
        ("no_c2pa_thumbnail_control_sony.jpg", "No Content Credentials; no edit traces"),
    ],
)
def test_the_detail_tells_a_reviewer_what_was_found(file, detail, c2pa_trust):
    entry = c2pa_corpus_entry(file)

    _, _, check = judged(c2pa_corpus_bytes(entry), entry["mime"], c2pa_trust)

    assert check.detail == detail


@pytest.mark.parametrize(
    ("image_format", "content_type", "mismatch"),
    [
        ("JPEG", "image/jpeg", "assertion.dataHash.mismatch"),
        ("PNG", "image/png", "assertion.dataHash.mismatch"),
        ("WEBP", "image/webp", "assertion.dataHash.mismatch"),
        ("AVIF", "image/avif", "assertion.bmffHash.mismatch"),
        ("HEIF", "image/heic", "assertion.bmffHash.mismatch"),
    ],
)
def test_every_accepted_format_carries_credentials(
    c2pa_trust, image_format, content_type, mismatch
):
    buffer = io.BytesIO()
    make_image(640, 480, seed=7).save(buffer, image_format)
    unsigned = buffer.getvalue()
    signed = c2pa_signed(unsigned, content_type=content_type)
    sniffed = analyse(io.BytesIO(signed)).metadata.content_type
    # A byte of the picture's coded data (near its end, away from the manifest) changed after
    # signing.
    at = signed.index(unsigned[-200:-168])
    changed = bytearray(signed)
    changed[at] ^= 0xFF

    credentials = read_credentials(io.BytesIO(signed), sniffed, c2pa_trust)
    tampered = read_credentials(io.BytesIO(bytes(changed)), sniffed, c2pa_trust)

    assert sniffed == content_type
    assert credentials is not None
    assert tampered is not None
    assert (credentials.validation, credentials.camera_capture) == ("trusted", True)
    assert (tampered.validation, tampered.failures) == ("invalid", (mismatch,))


def test_a_file_the_library_cannot_parse_has_no_credentials(c2pa_trust):
    assert read_credentials(io.BytesIO(b"not an image at all"), "image/jpeg", c2pa_trust) is None
    assert read_credentials(io.BytesIO(b"\xff\xd8\xff\xe0broken"), "image/jpeg", c2pa_trust) is None


def test_the_credentials_are_stored_as_the_contract_says(c2pa_trust):
    entry = c2pa_corpus_entry("untrusted_signer_nikon_p6000.jpg")

    credentials = read_credentials(io.BytesIO(c2pa_corpus_bytes(entry)), "image/jpeg", c2pa_trust)

    assert credentials is not None
    assert credentials.as_dict() == {
        "validation": "valid",
        "signer": "Rogue Camera Co",
        "generator": "Rogue Camera App 1.0",
        "signed_at": None,
        "actions": ["c2pa.created"],
        "ai_generated": False,
        "failures": ["signingCredential.untrusted"],
    }


# --- The real-photo corpus: no credentials, so edit traces decide ---------------------------------

# What each readable photo of the real-photo corpus shows: the editor its EXIF Software names, or
# an EXIF thumbnail that is not its picture (canon_s40_exif_gps.png is a 1x1 picture that kept a
# Canon S40's EXIF and thumbnail). The rest are untouched camera files: pass.
REAL_PHOTO_TRACES = {
    "canon_600d_decimal_minutes.jpg": "software",  # Adobe Photoshop Lightroom 6.1
    "canon_a70_fiji.jpg": "software",  # Adobe Photoshop Album 2.0
    "canon_eos40d_no_gps.jpg": "software",  # GIMP 2.4.5
    "canon_eos6d_elephants.jpg": "software",  # Adobe Photoshop CC 2019
    "kodak_cx7530.jpg": "software",  # GIMP 2.4.5
    "nikon_d800e_iceland.jpg": "software",  # Adobe Photoshop CC 2015.5
    "canon_s40_exif_gps.png": "thumbnail",
}


@pytest.mark.parametrize("entry", corpus_params())
def test_each_real_photo_gets_the_provenance_its_traces_call_for(entry):
    if entry["expect"] == "unreadable":
        pytest.skip("not an image: QC ends in ERROR before any check")
    analysis = analyse(io.BytesIO(corpus_bytes(entry)))
    metadata = analysis.metadata
    distance = thumbnail_distance(analysis)

    credentials = read_credentials(
        io.BytesIO(corpus_bytes(entry)), metadata.content_type, TrustSettings()
    )
    check = check_provenance(
        credentials, software=metadata.software, thumbnail_distance=distance, thresholds=THRESHOLDS
    )

    trace = REAL_PHOTO_TRACES.get(entry["file"])
    assert (credentials, edit_trace(metadata.software, distance), check.result) == (
        None,
        trace,
        "warn" if trace else "pass",
    )
    if distance is not None and trace != "thumbnail":
        # The measurement behind Thresholds.thumbnail_mismatch_distance: a camera's own
        # thumbnail is at most 6 bits from its picture.
        assert distance <= 6


# --- Edit traces on generated photos --------------------------------------------------------------


@pytest.mark.parametrize(
    "software",
    [
        "Adobe Photoshop 26.0 (Windows)",
        "Adobe Photoshop Lightroom Classic 13.0",
        "GIMP 2.10.34",
        "Snapseed 2.0",
        "PicsArt",
        "Pixlr Editor",
        "Canva",
        "Affinity Photo 2.4",
        "paint.net 5.0",
        "Pixelmator Pro 3.5",
        "darktable 4.6.1",
    ],
)
def test_an_editor_in_software_is_named(software):
    assert editor_named(software) == software


@pytest.mark.parametrize(
    "software",
    [
        "",
        "HDR+ 1.0.199571065z",  # Pixel
        "G930FXXU1APB4",  # Samsung firmware
        "fw 05.15 prm 07.53",
        "13.4.1",  # iOS
        "Ver.1.00",
        "ILCE-7M3 v1.00",
        "Nikon Transfer 1.1 W",
        "Adobe Bridge CS5",  # a file browser: it writes metadata, not pixels
        "Canvas Camera 1.2",  # not Canva
        "PIL",
    ],
)
def test_camera_firmware_and_file_tools_are_not_editors(software):
    assert editor_named(software) is None


def _thumbnail_distance(picture: Image.Image, thumbnail: Image.Image, **options) -> int:
    distance = thumbnail_distance(
        analyse(io.BytesIO(with_exif_thumbnail(picture, thumbnail, **options)))
    )
    assert distance is not None
    return distance


def test_a_thumbnail_of_the_picture_matches_it():
    picture = make_image(1600, 1200, seed=3, noise=8)

    assert _thumbnail_distance(picture, picture.resize((160, 120))) <= 3


def test_a_letterboxed_thumbnail_still_matches_its_picture():
    wide = make_image(1600, 900, seed=4)
    letterboxed = Image.new("RGB", (160, 120))
    letterboxed.paste(wide.resize((160, 90)), (0, 15))

    assert _thumbnail_distance(wide, letterboxed) <= 3


def test_a_sideways_photo_is_compared_upright():
    stored = make_image(1600, 1200, seed=5).rotate(90, expand=True)

    assert _thumbnail_distance(stored, stored.resize((120, 160)), orientation=6) <= 3


@pytest.mark.parametrize(
    "change",
    [
        lambda picture: picture.rotate(180),
        ImageOps.mirror,
        lambda picture: make_image(1600, 1200, seed=99),
    ],
    ids=["turned", "mirrored", "replaced"],
)
def test_a_changed_picture_no_longer_matches_its_thumbnail(change):
    picture = make_image(1600, 1200, seed=6, noise=8)

    distance = _thumbnail_distance(change(picture), picture.resize((160, 120)))

    assert distance > THRESHOLDS.thumbnail_mismatch_distance


def test_a_thumbnail_that_does_not_decode_is_no_trace():
    data = with_exif_thumbnail(make_image(640, 480), make_image(160, 120))
    at = data.index(b"\xff\xd8", 2)  # the thumbnail's own JPEG start
    broken = data[:at] + b"\x00" * 64 + data[at + 64 :]

    assert thumbnail_distance(analyse(io.BytesIO(broken))) is None


def test_a_photo_without_a_thumbnail_has_no_distance():
    assert thumbnail_distance(analyse(io.BytesIO(make_jpeg(640, 480)))) is None


# --- Never the network ---------------------------------------------------------------------------

_VERIFY_CORPUS = """
import io, json, socket, sys
from pathlib import Path

def no_connection(event, args):
    if event in ("socket.connect", "socket.getaddrinfo"):
        raise RuntimeError(f"network access during verification: {event} {args}")

sys.addaudithook(no_connection)
from photos.provenance import TrustSettings, read_credentials

corpus = Path(sys.argv[1])
trust = TrustSettings((corpus / "test_root_bundle.pem").read_text(),
                      (corpus / "trust_config.cfg").read_text())
results = {}
for entry in json.loads((corpus / "ground_truth.json").read_text()):
    data = (corpus / entry["file"]).read_bytes()
    credentials = read_credentials(io.BytesIO(data), entry["mime"], trust)
    results[entry["file"]] = credentials and credentials.validation
print(json.dumps(results))
"""

_FETCH_REMOTE = """
import io, sys
from pathlib import Path
import c2pa

data = (Path(sys.argv[1]) / "remote_manifest_canon_a70.jpg").read_bytes()
settings = c2pa.Settings.from_dict({"verify": {"remote_manifest_fetch": True, "ocsp_fetch": True}})
try:
    c2pa.Reader("image/jpeg", io.BytesIO(data), context=c2pa.Context(settings))
except c2pa.C2paError as error:
    print(error)
"""


class ProxyListener:
    """A local socket made every HTTP(S) proxy of a child process, so that any request its
    native code makes, whatever the host, arrives here: the first bytes of each connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port: int = self.server.getsockname()[1]
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                self.requests.append(connection.recv(200))

    def run(self, script: str) -> str:
        """Runs a Python script in a child process whose proxies are this listener."""
        proxy = f"http://127.0.0.1:{self.port}"
        environment = {
            **{key: value for key, value in os.environ.items() if "proxy" not in key.lower()},
            **dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"), proxy),
            **dict.fromkeys(("http_proxy", "https_proxy", "all_proxy"), proxy),
        }
        completed = subprocess.run(
            [sys.executable, "-c", script, str(C2PA_CORPUS_DIR)],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return completed.stdout

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def proxy_listener() -> Iterator[ProxyListener]:
    listener = ProxyListener()
    yield listener
    listener.close()


def test_verifying_the_corpus_makes_no_network_request(c2pa_trust, proxy_listener):
    """The remote-manifest file names its manifest's URL and ocsp.jpg its certificates' OCSP
    responders: neither is fetched, by Python (the audit hook fails any connect) or by the
    native library (the proxy would see it)."""
    expected = {
        entry["file"]: entry["validation"]
        for entry in json.loads((C2PA_CORPUS_DIR / "ground_truth.json").read_text())
    }

    validations = json.loads(proxy_listener.run(_VERIFY_CORPUS))

    assert (validations, proxy_listener.requests) == (expected, [])


def test_the_proxy_would_see_the_library_fetch_a_remote_manifest(c2pa_trust, proxy_listener):
    """The guard above is not blind: c2pa's own defaults fetch, and the request arrives."""
    proxy_listener.run(_FETCH_REMOTE)

    assert [request.split(b"\r\n")[0] for request in proxy_listener.requests] == [
        b"CONNECT manifests.propflow.invalid:443 HTTP/1.1"
    ]


# --- Hostile manifests ---------------------------------------------------------------------------

FUZZ_CASES_PER_FILE = 20
FUZZ_SEED = 13


def _mutations(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """Damaged copies of a file, mostly in its manifest (JUMBF) where there is one: flipped
    bytes, runs overwritten, bytes cut out or inserted, the file truncated."""
    anchor = data.find(b"jumb")
    start, end = (anchor, min(len(data), anchor + 8192)) if anchor >= 0 else (0, len(data))
    for _ in range(FUZZ_CASES_PER_FILE):
        mutated = bytearray(data)
        kind = rng.randrange(5)
        at = rng.randrange(start, end)
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(start, end)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            length = rng.randint(1, 64)
            mutated[at : at + length] = rng.randbytes(length)[: len(mutated[at : at + length])]
        elif kind == 2:
            del mutated[at : at + rng.randint(1, 32)]
        elif kind == 3:
            mutated[at:at] = rng.randbytes(rng.randint(1, 32))
        else:
            del mutated[at:]
        yield bytes(mutated)


def test_hostile_manifests_never_crash_verification(c2pa_trust):
    """Mutated corpus files: every result is one of the four states or none, and the check
    reads it."""
    rng = random.Random(FUZZ_SEED)
    entries = json.loads((C2PA_CORPUS_DIR / "ground_truth.json").read_text())
    outcomes: dict[str | None, int] = {}
    for entry in entries:
        for mutated in _mutations(c2pa_corpus_bytes(entry), rng):
            credentials = read_credentials(io.BytesIO(mutated), entry["mime"], c2pa_trust)
            validation = credentials.validation if credentials else None
            assert validation in (*VALIDATIONS, None)
            check = check_provenance(
                credentials, software="", thumbnail_distance=None, thresholds=THRESHOLDS
            )
            assert check.result in ("pass", "warn", "fail")
            outcomes[validation] = outcomes.get(validation, 0) + 1
    assert sum(outcomes.values()) == len(entries) * FUZZ_CASES_PER_FILE
    assert outcomes.get("invalid", 0) > 0
