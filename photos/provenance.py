"""Where a photo came from: its Content Credentials (C2PA) verified offline, and edit traces.

EXIF is written by whoever holds the file, so it proves nothing by itself. A C2PA manifest is
signed: by the camera at capture (Pixel 10, Leica, Sony, Canon), by an editor that records its
edits and AI use. `read_credentials` verifies one with c2pa-python (the bundled c2pa-rs) and
never goes to the network: remote manifests and OCSP are not fetched, so a manifest stored
remotely is reported `remote`. The manifest's signature covers the bytes, EXIF included: a
manifest that does not validate means the file changed after it was signed.

Most photos have no credentials; for those, `editor_named` and `thumbnail_distance` look for
traces an editor leaves in the header: its name in EXIF Software, and an embedded EXIF
thumbnail that no longer shows the picture. Both work on the header's few kilobytes.

Everything here is a pure function of bytes and settings: the caller supplies the trust anchors
(`TrustSettings`) and the bytes it already holds.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, get_args

from PIL import Image, ImageOps

from photos.exif import PARSE_ERRORS, UnreadableImageError
from photos.imaging import Analysis, dhash, hamming, open_image

if TYPE_CHECKING:
    # Imported where a verification needs it: c2pa loads a 50 MB native library (~70 ms), which
    # the web processes, which import this module through photos.qc, never use.
    import c2pa

Validation = Literal["trusted", "valid", "invalid", "remote"]
VALIDATIONS: tuple[Validation, ...] = get_args(Validation)

CREATED_ACTION = "c2pa.created"
# IPTC digital source types (the last segment of the URL a C2PA action gives).
CAPTURE_SOURCE_TYPES = frozenset({"digitalCapture", "computationalCapture"})
AI_SOURCE_TYPES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"})
_ACTIONS_LABELS = frozenset({"c2pa.actions", "c2pa.actions.v2"})
_STATES: dict[str, Validation] = {"Trusted": "trusted", "Valid": "valid", "Invalid": "invalid"}
# c2pa-rs reports a remote manifest it was told not to fetch with this prefix (as the base
# C2paError, not C2paError.RemoteManifest), and a file it cannot parse as an asset with this text.
_REMOTE_PREFIX = "Remote:"
_UNPARSABLE_ASSET = "asset could not be parsed"

# A manifest is written by whoever signed it: what is kept of it is bounded.
MAX_TEXT = 200
MAX_ITEMS = 50

# Applications that edit pictures, as they name themselves in EXIF Software (matched as whole
# words, case-insensitively). Camera firmware ("HDR+ 1.0.1995", "G930FXXU1APB4", "Ver.1.00",
# an iOS version) and transfer or cataloguing tools that leave the pixels alone (Nikon
# Transfer, Adobe Bridge) are not editors.
EDITORS = (
    "ACDSee",
    "Affinity Photo",
    "Aperture",
    "Canva",
    "Capture One",
    "Corel",
    "darktable",
    "Facetune",
    "Fotor",
    "GIMP",
    "Krita",
    "Lightroom",
    "Luminar",
    "Meitu",
    "Paint.NET",
    "PaintShop",
    "Photo Editor",
    "PhotoDirector",
    "Photopea",
    "PhotoScape",
    "Photoshop",
    "PicsArt",
    "Pixelmator",
    "Pixlr",
    "Polarr",
    "RawTherapee",
    "Snapseed",
    "VSCO",
)
_EDITOR_PATTERN = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(name) for name in EDITORS) + r")(?![\w])", re.IGNORECASE
)

# The largest EXIF thumbnail decoded (they are about 160x120); anything bigger is not one.
THUMBNAIL_MAX_PIXELS = 1024 * 1024
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class TrustSettings:
    """What verification trusts: PEM trust anchors ("" trusts no signer, so a good signature is
    `valid`, never `trusted`) and the allowed extended key usages (c2pa's trust_config format;
    "" keeps the library's list)."""

    trust_anchors: str = ""
    trust_config: str = ""


@dataclass(frozen=True)
class ContentCredentials:
    """A file's Content Credentials as verified.

    `signer` is the signing certificate's organisation, else its common name; `generator` the
    claim generator's name and version; `signed_at` the time-stamp authority's time (ISO 8601),
    None when signed without one; `actions` the active manifest's action names; `ai_generated`
    whether any action of any manifest in the file declares a picture made or composited by a
    trained model; `failures` the validation failure codes (or, when the library refused the
    manifest, its error). `camera_capture`: the active manifest records a camera capture
    (every `c2pa.created` action has a capture source type, and there is one).
    """

    validation: Validation
    signer: str | None = None
    generator: str | None = None
    signed_at: str | None = None
    actions: tuple[str, ...] = ()
    ai_generated: bool = False
    failures: tuple[str, ...] = ()
    camera_capture: bool = False

    @property
    def edits(self) -> tuple[str, ...]:
        """The actions other than the creation: what was done to the picture afterwards."""
        return tuple(action for action in self.actions if action != CREATED_ACTION)

    def as_dict(self) -> dict[str, Any]:
        """The credentials as stored in and served from ``content_credentials``."""
        return {
            "validation": self.validation,
            "signer": self.signer,
            "generator": self.generator,
            "signed_at": self.signed_at,
            "actions": list(self.actions),
            "ai_generated": self.ai_generated,
            "failures": list(self.failures),
        }


class TrustSettingsError(ValueError):
    """c2pa refuses the trust settings (anchors that are not PEM certificates, a bad EKU list):
    a misconfiguration, never a verdict on a photo."""


def verification_context(trust: TrustSettings) -> c2pa.Context:
    """A c2pa context that verifies offline: no remote manifest fetch (on by default) and no
    OCSP, with the given trust. Raises TrustSettingsError when c2pa refuses the trust."""
    import c2pa

    trust_section = {
        key: value
        for key, value in (
            ("trust_anchors", trust.trust_anchors),
            ("trust_config", trust.trust_config),
        )
        if value
    }
    settings = {
        "trust": trust_section,
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    }
    try:
        return c2pa.Context(c2pa.Settings.from_dict(settings))
    except c2pa.C2paError as error:
        raise TrustSettingsError(str(error)) from error


def read_credentials(
    stream: BinaryIO, content_type: str, trust: TrustSettings
) -> ContentCredentials | None:
    """The file's Content Credentials, verified offline; None when it has none.

    Reads the stream from its start. A manifest stored remotely is `remote` (never fetched); a
    manifest the library refuses (malformed JUMBF, an unknown algorithm, prerelease content) is
    `invalid`, its error the failure. A file the library cannot parse as an image has no
    credentials to read: None, as without a manifest. Raises TrustSettingsError when c2pa
    refuses the trust settings.
    """
    import c2pa

    context = verification_context(trust)
    stream.seek(0)
    try:
        reader = c2pa.Reader(content_type, stream, context=context)
    except (c2pa.C2paError.ManifestNotFound, c2pa.C2paError.NotSupported):
        return None
    except c2pa.C2paError as error:
        message = str(error)
        if isinstance(error, c2pa.C2paError.RemoteManifest) or message.startswith(_REMOTE_PREFIX):
            return ContentCredentials(validation="remote")
        if _UNPARSABLE_ASSET in message:
            return None
        return _refused(message)
    with reader:
        try:
            return _verified(reader)
        except (c2pa.C2paError, *PARSE_ERRORS, AttributeError) as error:
            # The manifest parsed but its report does not: a hostile or broken store.
            return _refused(f"{type(error).__name__}: {error}")


def _refused(message: str) -> ContentCredentials:
    return ContentCredentials(validation="invalid", failures=(_bounded(message),))


def _verified(reader: c2pa.Reader) -> ContentCredentials:
    validation = _STATES.get(str(reader.get_validation_state()), "invalid")
    store = json.loads(reader.json())
    manifests = _mapping(store.get("manifests"))
    active = _mapping(manifests.get(store.get("active_manifest")))
    signature = _mapping(active.get("signature_info"))
    actions = list(_actions(active))
    created_sources = [source for name, source in actions if name == CREATED_ACTION]
    every_action = (action for manifest in manifests.values() for action in _actions(manifest))
    return ContentCredentials(
        validation=validation,
        signer=_text(signature.get("issuer")) or _text(signature.get("common_name")),
        generator=_generator(active),
        signed_at=_instant(signature.get("time")),
        actions=tuple(_bounded(name) for name, _ in actions[:MAX_ITEMS]),
        ai_generated=any(source in AI_SOURCE_TYPES for _, source in every_action),
        failures=_failures(_mapping(reader.get_validation_results())),
        camera_capture=bool(created_sources)
        and all(source in CAPTURE_SOURCE_TYPES for source in created_sources),
    )


def _actions(manifest: object) -> Iterator[tuple[str, str]]:
    """(action name, digital source type) of each action a manifest records."""
    for assertion in _items(_mapping(manifest).get("assertions")):
        label = str(_mapping(assertion).get("label", ""))
        if label.split("__")[0] not in _ACTIONS_LABELS:  # repeated labels get a "__N" suffix
            continue
        for action in _items(_mapping(_mapping(assertion).get("data")).get("actions")):
            fields = _mapping(action)
            source = str(fields.get("digitalSourceType") or "")
            yield str(fields.get("action", "")), source.rsplit("/", 1)[-1]


def _generator(manifest: Mapping[str, Any]) -> str | None:
    infos = _items(manifest.get("claim_generator_info"))
    if infos:
        first = _mapping(infos[0])
        name = " ".join(
            part for part in (_text(first.get("name")), _text(first.get("version"))) if part
        )
        if name:
            return _bounded(name)
    return _text(manifest.get("claim_generator"))


def _failures(results: Mapping[str, Any]) -> tuple[str, ...]:
    """The failure codes of the active manifest, then those its ingredients add."""
    entries = list(_items(_mapping(results.get("activeManifest")).get("failure")))
    for delta in _items(results.get("ingredientDeltas")):
        entries += _items(_mapping(_mapping(delta).get("validationDeltas")).get("failure"))
    codes = (_text(_mapping(entry).get("code")) for entry in entries)
    return tuple(dict.fromkeys(code for code in codes if code))[:MAX_ITEMS]


def _instant(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str | None:
    """Text of the manifest, bounded; None for anything else and for blank text."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _bounded(value.strip())


def _bounded(text: str) -> str:
    return text[:MAX_TEXT]


def editor_named(software: str) -> str | None:
    """The EXIF Software text when it names an editing application (see EDITORS), else None."""
    if _EDITOR_PATTERN.search(software) is None:
        return None
    return _bounded(software.strip())


def thumbnail_distance(analysis: Analysis) -> int | None:
    """How many of the 64 dHash bits of the photo's EXIF thumbnail differ from the picture's
    (the dHash of its upright preview); None without a thumbnail that decodes.

    The thumbnail is stored as the sensor saw it, so it is turned upright with the photo's
    orientation first; one of another aspect ratio (cameras letterbox a 16:9 picture into a 4:3
    thumbnail) is cut to the picture's, centred, so that its bars do not count as a change.
    Only the thumbnail's few kilobytes are decoded.
    """
    metadata = analysis.metadata
    if metadata.thumbnail is None:
        return None
    try:
        with open_image(io.BytesIO(metadata.thumbnail), THUMBNAIL_MAX_PIXELS) as image:
            image.load()
            gray = image.convert("L")
    except (UnreadableImageError, *PARSE_ERRORS):
        return None
    upright = _upright(gray, metadata.orientation)
    picture_size = (analysis.preview.width, analysis.preview.height)
    return hamming(dhash(_same_aspect(upright, picture_size)), analysis.dhash)


def _upright(image: Image.Image, orientation: int | None) -> Image.Image:
    if orientation is None or not 2 <= orientation <= 8:
        return image
    image.getexif()[_ORIENTATION] = orientation
    return ImageOps.exif_transpose(image)


def _same_aspect(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    width, height = image.size
    target = size[0] / size[1]
    if width / height > target * 1.05:  # wider than the picture: bars at the sides
        kept = max(1, round(height * target))
        left = (width - kept) // 2
        return image.crop((left, 0, left + kept, height))
    if width / height < target / 1.05:  # taller: bars above and below
        kept = max(1, round(width / target))
        top = (height - kept) // 2
        return image.crop((0, top, width, top + kept))
    return image
