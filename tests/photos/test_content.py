"""The `content` check: the pure comparison of labels with a category, then the whole QC run
against a stub Cloud Vision on 127.0.0.1 (tests/support/vision_stub.py), the locmem backend,
and no backend at all."""

import io
import logging
import socket
import time
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from PIL import Image

from photos import content
from photos.models import Photo, QcStatus
from photos.qc import ContentLabel, check_content
from photos.services import photo_run_qc
from properties.models import Property
from tests.photos.conftest import ALL_PASS, phone_jpeg, results, uploaded
from tests.support.vision_stub import (
    ANNOTATE_PATH,
    API_KEY,
    Reply,
    VisionStub,
    error_reply,
    labels_reply,
    vision_stub,
)

KITCHEN_LABELS = ("kitchen", "countertop", "cabinetry", "stove", "sink")
LIVING_ROOM = (
    ("Furniture", 0.95),
    ("Living room", 0.93),
    ("Couch", 0.91),
    ("Interior design", 0.89),
    ("Table", 0.84),
    ("Floor", 0.80),
)


# --- The comparison, a pure function ----------------------------------------------------------


def labels(*pairs: tuple[str, float]) -> list[ContentLabel]:
    return [ContentLabel(description, score) for description, score in pairs]


def test_a_label_of_the_category_passes_with_the_matching_labels_and_scores():
    seen = labels(("Countertop", 0.91), ("Room", 0.88), ("Kitchen", 0.97), ("Sink", 0.72))

    check = check_content("Kitchen", seen, KITCHEN_LABELS, 0.7)

    assert check.as_dict() == {
        "name": "content",
        "result": "pass",
        "detail": "recognised as Kitchen: Kitchen 0.97, Countertop 0.91, Sink 0.72",
    }


def test_a_label_matches_whole_ignoring_case_and_spaces():
    assert check_content("Kitchen", labels(("KITCHEN", 0.9)), [" Kitchen "], 0.7).result == "pass"
    assert check_content("Kitchen", labels(("Kitchenware", 0.9)), ["kitchen"], 0.7).result == (
        "warn"
    )


def test_no_label_of_the_category_warns_with_the_strongest_labels_seen():
    check = check_content("Kitchen", labels(*LIVING_ROOM), KITCHEN_LABELS, 0.7)

    assert (check.result, check.detail) == (
        "warn",
        "not recognised as Kitchen (none of its labels scores 0.70 or more); seen: "
        "Furniture 0.95, Living room 0.93, Couch 0.91, Interior design 0.89, Table 0.84",
    )


def test_a_label_of_the_category_below_the_minimum_score_does_not_count():
    check = check_content("Kitchen", labels(("Room", 0.9), ("Kitchen", 0.69)), KITCHEN_LABELS, 0.7)

    assert (check.result, check.detail) == (
        "warn",
        "not recognised as Kitchen (none of its labels scores 0.70 or more); seen: "
        "Room 0.90, Kitchen 0.69",
    )


def test_a_picture_without_any_label_warns():
    check = check_content("Bathroom", [], ["bathroom"], 0.7)

    assert (check.result, check.detail) == (
        "warn",
        "not recognised as Bathroom (none of its labels scores 0.70 or more); seen: no labels",
    )


def test_a_category_that_expects_no_labels_passes_whatever_is_seen():
    check = check_content("Other", labels(("Garage", 0.9)), [], 0.7)

    assert (check.result, check.detail) == ("pass", "no labels are expected of Other photos")


# --- The QC run against a stub Cloud Vision -----------------------------------------------------


@pytest.fixture
def vision(settings) -> Iterator[VisionStub]:
    """Cloud Vision as the backend, played by the stub."""
    with vision_stub() as stub:
        settings.PHOTO_CONTENT_BACKEND = "google_vision"
        settings.GOOGLE_VISION_API_URL = stub.url
        settings.GOOGLE_VISION_API_KEY = API_KEY
        yield stub


def checked(property: Property, category: str = "KITCHEN") -> Photo:
    """A phone photo of this category uploaded and run through QC."""
    photo = uploaded(property, phone_jpeg(property), category=category)
    photo_run_qc(photo_id=photo.pk)
    photo.refresh_from_db()
    return photo


def content_verdict(photo: Photo) -> tuple[str, str, str]:
    """The photo's QC status, and its content check's result and detail."""
    [check] = [check for check in photo.qc_checks if check["name"] == "content"]
    return photo.qc_status, check["result"], check["detail"]


@pytest.mark.django_db
def test_a_kitchen_vision_recognises_passes_and_keeps_its_labels(inspecting, media_root, vision):
    vision.queue(labels_reply(("Kitchen", 0.97), ("Countertop", 0.91), ("Room", 0.88)))

    photo = checked(inspecting)

    assert (photo.qc_status, results(photo)) == (QcStatus.PASS, {**ALL_PASS, "content": "pass"})
    assert content_verdict(photo) == (
        QcStatus.PASS,
        "pass",
        "recognised as Kitchen: Kitchen 0.97, Countertop 0.91",
    )
    assert photo.content_labels == [
        {"description": "Kitchen", "score": 0.97},
        {"description": "Countertop", "score": 0.91},
        {"description": "Room", "score": 0.88},
    ]
    [request] = vision.received
    assert (request.path, request.api_key, request.content_type) == (
        ANNOTATE_PATH,
        API_KEY,
        "application/json",
    )
    assert request.features == [{"type": "LABEL_DETECTION", "maxResults": 20}]


@pytest.mark.django_db
def test_vision_is_sent_the_stored_preview_without_exif_never_the_original(
    inspecting, media_root, vision
):
    vision.queue(labels_reply(("Kitchen", 0.97)))

    photo = checked(inspecting)

    [request] = vision.received
    with default_storage.open(photo.preview.name) as preview:
        assert request.image == preview.read()
    assert not request.image_has_exif()
    with Image.open(io.BytesIO(request.image)) as sent:
        assert (sent.format, sent.size) == ("JPEG", (1024, 768))
    original = (media_root / photo.file.name).read_bytes()
    assert b"Exif\x00\x00" in original  # the phone's GPS and camera: they stay home
    assert request.body_bytes < len(original)


@pytest.mark.django_db
def test_a_living_room_uploaded_as_the_kitchen_warns_with_what_vision_saw(
    inspecting, media_root, vision
):
    vision.queue(labels_reply(*LIVING_ROOM))

    photo = checked(inspecting)

    assert (photo.qc_status, results(photo)) == (QcStatus.WARN, {**ALL_PASS, "content": "warn"})
    assert content_verdict(photo) == (
        QcStatus.WARN,
        "warn",
        "not recognised as Kitchen (none of its labels scores 0.70 or more); seen: "
        "Furniture 0.95, Living room 0.93, Couch 0.91, Interior design 0.89, Table 0.84",
    )
    assert photo.content_labels == [{"description": d, "score": s} for d, s in LIVING_ROOM]


@pytest.mark.django_db
def test_a_429_is_retried_after_a_pause_and_the_next_answer_counts(inspecting, media_root, vision):
    vision.queue(
        error_reply(429, "RESOURCE_EXHAUSTED", "Quota exceeded."),
        labels_reply(("Kitchen", 0.95)),
    )

    started = time.monotonic()
    photo = checked(inspecting)

    assert content_verdict(photo) == (QcStatus.PASS, "pass", "recognised as Kitchen: Kitchen 0.95")
    assert len(vision.received) == 2
    assert time.monotonic() - started >= 0.5  # the first pause


def unreadable(body: bytes) -> list[Reply]:
    return [Reply(body=body)]


# What goes wrong with Cloud Vision: the replies it gives, the settings, the content check's
# detail, and how many requests it took (only a 429 or a 5xx is asked again).
FAILURES = {
    "5xx-three-times": (
        [error_reply(503, "UNAVAILABLE", "The service is unavailable.")] * 3,
        {},
        "Cloud Vision answered HTTP 503 (3 attempts)",
        3,
    ),
    "429-asking-to-wait-beyond-the-timeout": (
        [error_reply(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", Retry_After="60")],
        {"PHOTO_CONTENT_TIMEOUT_SECONDS": 5},
        "Cloud Vision answered HTTP 429 (1 attempt)",
        1,
    ),
    "slower-than-the-timeout": (
        [Reply(delay_seconds=30)],
        {"PHOTO_CONTENT_TIMEOUT_SECONDS": 0.5},
        "Cloud Vision did not answer within 0.5 s",
        1,
    ),
    "wrong-key-403": (
        [],
        {"GOOGLE_VISION_API_KEY": "a-key-of-another-project"},
        "Cloud Vision refused the request (HTTP 403 PERMISSION_DENIED)",
        1,
    ),
    "not-json": (
        unreadable(b"<html>Service Unavailable</html>"),
        {},
        "Cloud Vision's answer could not be read",
        1,
    ),
    "no-response": (
        unreadable(b'{"responses": []}'),
        {},
        "Cloud Vision's answer could not be read",
        1,
    ),
    "score-as-text": (
        unreadable(
            b'{"responses": [{"labelAnnotations": [{"description": "Sink", "score": "hi"}]}]}'
        ),
        {},
        "Cloud Vision's answer could not be read",
        1,
    ),
    "score-out-of-range": (
        unreadable(
            b'{"responses": [{"labelAnnotations": [{"description": "Sink", "score": 97}]}]}'
        ),
        {},
        "Cloud Vision's answer could not be read",
        1,
    ),
    "labels-not-a-list": (
        unreadable(b'{"responses": [{"labelAnnotations": {"description": "Sink"}}]}'),
        {},
        "Cloud Vision's answer could not be read",
        1,
    ),
    "picture-not-labelled": (
        unreadable(b'{"responses": [{"error": {"code": 3, "message": "Bad image data."}}]}'),
        {},
        "Cloud Vision could not label the picture (code 3)",
        1,
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("replies", "overrides", "detail", "requests"), FAILURES.values(), ids=FAILURES.keys()
)
def test_what_goes_wrong_with_vision_is_a_warning_that_says_what(
    inspecting, media_root, vision, settings, replies, overrides, detail, requests
):
    for name, value in overrides.items():
        setattr(settings, name, value)
    vision.queue(*replies)

    started = time.monotonic()
    photo = checked(inspecting)

    assert time.monotonic() - started < 5  # within its deadline, with the retries' pauses
    assert results(photo) == {**ALL_PASS, "content": "warn"}
    assert content_verdict(photo) == (QcStatus.WARN, "warn", f"not checked: {detail}")
    assert len(vision.received) == requests
    assert photo.content_labels is None
    assert photo.qc_error == ""


@pytest.mark.django_db
def test_google_s_message_goes_to_the_log_not_to_the_detail(
    inspecting, media_root, vision, settings, caplog
):
    settings.GOOGLE_VISION_API_KEY = "a-key-of-another-project"
    caplog.set_level(logging.WARNING, logger="photos.content")

    photo = checked(inspecting)

    # It names the project; the detail is read by clients too.
    [refusal] = [
        record for record in caplog.records if record.msg == "Cloud Vision answered HTTP %s"
    ]
    assert refusal.vision_message.startswith("Cloud Vision API has not been used in project")
    assert "project" not in content_verdict(photo)[2]


@pytest.mark.django_db
def test_vision_out_of_reach_warns(inspecting, media_root, settings):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.PHOTO_CONTENT_BACKEND = "google_vision"
    settings.GOOGLE_VISION_API_URL = f"http://127.0.0.1:{port}/v1"
    settings.GOOGLE_VISION_API_KEY = API_KEY

    photo = checked(inspecting)

    assert content_verdict(photo) == (
        QcStatus.WARN,
        "warn",
        "not checked: Cloud Vision could not be reached (URLError)",
    )


@pytest.mark.django_db
def test_a_category_that_expects_nothing_passes_with_the_labels_kept(
    inspecting, media_root, vision
):
    vision.queue(labels_reply(("Garage", 0.9)))

    photo = checked(inspecting, category="OTHER")

    assert content_verdict(photo) == (
        QcStatus.PASS,
        "pass",
        "no labels are expected of Other photos",
    )
    assert photo.content_labels == [{"description": "Garage", "score": 0.9}]


@pytest.mark.django_db
def test_the_qc_log_line_carries_the_content_backend_s_time(
    inspecting, media_root, vision, settings, caplog
):
    settings.PHOTO_CONTENT_TIMEOUT_SECONDS = 5
    vision.queue(Reply(body=labels_reply(("Kitchen", 0.97)).body, delay_seconds=0.2))
    caplog.set_level(logging.INFO, logger="photos.services.qc")

    checked(inspecting)

    [line] = [record for record in caplog.records if record.msg == "photo checked"]
    assert 200 <= line.content_ms < 5000


# --- Without Cloud Vision -----------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_backend_nothing_is_sent_and_the_check_is_absent(
    inspecting, media_root, settings, caplog
):
    caplog.set_level(logging.INFO, logger="photos.services.qc")
    with vision_stub() as stub:
        # Everything Cloud Vision needs but the backend itself.
        settings.GOOGLE_VISION_API_URL = stub.url
        settings.GOOGLE_VISION_API_KEY = API_KEY
        assert settings.PHOTO_CONTENT_BACKEND == ""

        photo = checked(inspecting)

    assert stub.received == []
    assert (photo.qc_status, results(photo)) == (QcStatus.PASS, ALL_PASS)
    assert photo.content_labels is None
    [line] = [record for record in caplog.records if record.msg == "photo checked"]
    assert line.content_ms is None


@pytest.fixture
def locmem(settings) -> Iterator[list[ContentLabel]]:
    """The locmem backend, answering the labels the test puts in the list it is given."""
    settings.PHOTO_CONTENT_BACKEND = "locmem"
    content.locmem_labels.clear()
    content.locmem_images.clear()
    yield content.locmem_labels
    content.locmem_labels.clear()
    content.locmem_images.clear()


@pytest.mark.django_db
def test_the_locmem_backend_is_given_the_preview_and_answers_the_test_s_labels(
    inspecting, media_root, locmem
):
    locmem.append(ContentLabel("Bathtub", 0.93))

    photo = checked(inspecting, category="BATHROOM")

    assert content_verdict(photo) == (QcStatus.PASS, "pass", "recognised as Bathroom: Bathtub 0.93")
    with default_storage.open(photo.preview.name) as preview:
        assert content.locmem_images == [preview.read()]


def test_an_unknown_backend_is_a_configuration_error(settings):
    settings.PHOTO_CONTENT_BACKEND = "crystal_ball"

    with pytest.raises(ImproperlyConfigured, match="Unknown PHOTO_CONTENT_BACKEND 'crystal_ball'"):
        content.get_backend()
