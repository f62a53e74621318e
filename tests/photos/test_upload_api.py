"""POST /api/v1/properties/{id}/photos/: who may upload what, and refusals that store nothing."""

import hashlib
from datetime import datetime

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from photos.models import Photo
from properties.models import Status
from tests.cast import ROLES
from tests.factories import PhotoFactory
from tests.photos.conftest import (
    assert_nothing_stored,
    image_bytes,
    jpeg_header,
    photo_count,
    png_header,
    stored_files,
    upload,
)
from tests.support.images import make_jpeg

pytestmark = pytest.mark.django_db

PHOTO_FIELDS = [
    "id",
    "property",
    "category",
    "uploaded_by",
    "content_type",
    "size",
    "sha256",
    "width",
    "height",
    "make",
    "model",
    "taken_at",
    "gps",
    "distance_km",
    "qc_status",
    "qc_checks",
    "review_status",
    "review_reason",
    "preview_url",
    "file_url",
    "content_credentials",
    "created_at",
    "processed_at",
]
JPEG = make_jpeg(320, 240)


def test_it_stores_the_owners_photo_unchanged_and_queues_its_qc(
    cast, draft, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, JPEG, name="../../evil.png")

    assert response.status_code == 202
    photo = Photo.objects.get()
    body = response.json()
    assert list(body) == PHOTO_FIELDS
    assert datetime.fromisoformat(body.pop("created_at")) == photo.created_at
    assert body == {
        "id": str(photo.pk),
        "property": str(draft.pk),
        "category": "FRONT",
        "uploaded_by": str(cast.owner.pk),
        "content_type": "image/jpeg",
        "size": len(JPEG),
        "sha256": hashlib.sha256(JPEG).hexdigest(),
        "width": None,
        "height": None,
        "make": "",
        "model": "",
        "taken_at": None,
        "gps": None,
        "distance_km": None,
        "qc_status": "PENDING",
        "qc_checks": [],
        "review_status": "PENDING",
        "review_reason": "",
        "preview_url": None,
        "file_url": f"http://testserver/api/v1/photos/{photo.pk}/file",
        "content_credentials": None,
        "processed_at": None,
    }
    original = f"photos/{draft.pk}/{photo.pk}/original"
    assert stored_files(media_root) == [original]
    assert (media_root / original).read_bytes() == JPEG
    assert len(callbacks) == 2  # the QC task, queued after commit; the figures counted anew


def test_it_takes_the_assigned_agents_photo_while_inspecting(cast, inspecting):
    response = upload(cast.client("assigned_agent"), inspecting, JPEG, category="KITCHEN")

    assert response.status_code == 202
    assert response.json()["uploaded_by"] == str(cast.assigned_agent.pk)
    assert Photo.objects.get().category == "KITCHEN"


def test_it_answers_without_the_final_slash(cast, draft):
    response = cast.client("owner").post(
        f"/api/v1/properties/{draft.pk}/photos",
        {"file": SimpleUploadedFile("a.jpg", JPEG), "category": "FRONT"},
        format="multipart",
    )

    assert response.status_code == 202


UPLOAD_TO_DRAFT = {
    "anonymous": 401,
    "other_client": 404,
    "owner": 202,
    "unrelated_agent": 404,
    "assigned_agent": 404,  # not assigned to this draft: cannot see it
    "reviewer": 403,
    "admin": 403,
}
UPLOAD_WHILE_INSPECTING = {
    "anonymous": 401,
    "other_client": 404,
    "owner": 409,
    "unrelated_agent": 404,
    "assigned_agent": 202,
    "reviewer": 403,
    "admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("property_name", "expected"),
    [("draft", UPLOAD_TO_DRAFT), ("inspecting", UPLOAD_WHILE_INSPECTING)],
)
def test_the_role_matrix_of_uploads(
    cast, request, media_root, django_capture_on_commit_callbacks, role, property_name, expected
):
    property = request.getfixturevalue(property_name)
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client(role), property, JPEG)

    assert response.status_code == expected[role]
    if response.status_code == 202:
        assert photo_count() == 1
        return
    assert_nothing_stored(media_root, callbacks)


def test_it_tells_staff_and_others_who_may_upload(cast, inspecting):
    response = upload(cast.client("reviewer"), inspecting, JPEG)

    assert response.json() == {
        "detail": "Only the owner (while a draft) or the assigned agent (while inspecting) "
        "may add photos.",
        "code": "uploader_only",
        "current_status": "INSPECTING",
    }


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.ASSIGNED, Status.CANCELLED])
def test_it_refuses_the_owner_once_the_property_left_draft(
    cast, draft, media_root, django_capture_on_commit_callbacks, status
):
    draft.status = status
    draft.save()

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, JPEG)

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Photos can be added while the property is DRAFT; it is {status}.",
        "code": "uploads_closed",
        "current_status": status,
    }
    assert_nothing_stored(media_root, callbacks)


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_REVIEW, Status.VALUED])
def test_it_refuses_the_agent_outside_the_inspection(
    cast, inspecting, media_root, django_capture_on_commit_callbacks, status
):
    inspecting.status = status
    inspecting.save()

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("assigned_agent"), inspecting, JPEG)

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Photos can be added while the property is INSPECTING; it is {status}."
    )
    assert_nothing_stored(media_root, callbacks)


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
        ("AVIF", "image/avif"),
        ("HEIF", "image/heic"),
    ],
)
def test_it_accepts_each_format_by_its_content(cast, draft, media_root, image_format, content_type):
    data = image_bytes(image_format)

    response = upload(cast.client("owner"), draft, data, name="photo.jpg")

    assert response.status_code == 202
    assert response.json()["content_type"] == content_type
    photo = Photo.objects.get()
    assert (media_root / photo.file.name).read_bytes() == data


def test_it_types_a_jpeg_named_png_as_a_jpeg(cast, draft):
    response = upload(cast.client("owner"), draft, JPEG, name="photo.png")

    assert response.json()["content_type"] == "image/jpeg"


ACCEPTED = "send JPEG, HEIC/HEIF, AVIF, WebP or PNG"


@pytest.mark.parametrize(
    ("data", "detail", "code"),
    [
        (image_bytes("GIF"), f"image/gif is not accepted; {ACCEPTED}.", "unsupported_image"),
        (image_bytes("TIFF"), f"image/tiff is not accepted; {ACCEPTED}.", "unsupported_image"),
        (image_bytes("BMP"), f"image/bmp is not accepted; {ACCEPTED}.", "unsupported_image"),
        (
            b"Meeting notes, not a photo.\n" * 10,
            f"The file is not an image; {ACCEPTED}.",
            "unsupported_image",
        ),
        (b"%PDF-1.7\n" + b"0" * 200, f"The file is not an image; {ACCEPTED}.", "unsupported_image"),
        (
            b"\xff\xd8\xff\xe0" + b"\x00" * 100,
            f"The file is not a readable image (not an image in an accepted format); {ACCEPTED}.",
            "unreadable_image",
        ),
    ],
    ids=["gif", "tiff", "bmp", "text-named-jpg", "pdf", "corrupt-jpeg"],
)
def test_it_refuses_what_is_not_an_accepted_image_with_415(
    cast, draft, media_root, django_capture_on_commit_callbacks, data, detail, code
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, data, name="photo.jpg")

    assert response.status_code == 415
    assert response.json() == {"detail": detail, "code": code, "errors": {"file": [detail]}}
    assert_nothing_stored(media_root, callbacks)


@pytest.mark.parametrize(
    "data",
    [png_header(30_000, 30_000), jpeg_header(60_000, 60_000), jpeg_header(10_100, 10_000)],
    ids=["png-900mp", "jpeg-3600mp", "jpeg-101mp"],
)
def test_it_refuses_a_header_claiming_too_many_pixels_with_413(
    cast, draft, media_root, django_capture_on_commit_callbacks, data
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, data)

    assert response.status_code == 413
    assert response.json()["detail"].startswith(
        "The image has too many pixels (at most 100,000,000): image too large: Image size ("
    )
    assert_nothing_stored(media_root, callbacks)


def test_it_takes_an_image_under_the_pixel_limit_though_over_pillows_default(cast, draft):
    # 95 MP: over Pillow's own 89.5 MP bomb limit, under PropFlow's 100 MP setting.
    response = upload(cast.client("owner"), draft, jpeg_header(10_000, 9_500))

    assert response.status_code == 202


def test_it_applies_the_pixel_limit_setting(
    cast, draft, media_root, django_capture_on_commit_callbacks, settings
):
    settings.PHOTO_MAX_PIXELS = 70_000

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, JPEG)

    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The image has too many pixels (at most 70,000): image is 320x240 (76,800 pixels), "
        "over the limit of 70,000."
    )
    assert_nothing_stored(media_root, callbacks)


@pytest.mark.parametrize(
    "size",
    [60_000, 400_000],
    ids=["counted-while-streaming", "refused-by-content-length"],
)
def test_it_refuses_a_file_over_the_size_limit_with_413(
    cast, draft, media_root, django_capture_on_commit_callbacks, settings, size
):
    settings.PHOTO_MAX_UPLOAD_BYTES = 50_000
    data = JPEG + b"\x00" * (size - len(JPEG))

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, data)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The file is larger than the 0.0476837 MB limit.",
        "code": "photo_too_large",
        "errors": {"file": ["The file is larger than the 0.0476837 MB limit."]},
    }
    assert_nothing_stored(media_root, callbacks)


def test_it_names_the_default_size_limit_in_megabytes(cast, draft, settings):
    settings.PHOTO_MAX_UPLOAD_BYTES = 1024 * 1024

    response = upload(cast.client("owner"), draft, JPEG + b"\x00" * (1024 * 1024))

    assert response.json()["detail"] == "The file is larger than the 1 MB limit."


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"file": "SKIP"}, {"category": ["This field is required."]}),
        ({"file": "SKIP", "category": "ROOF"}, {"category": ['"ROOF" is not a valid choice.']}),
        ({"file": "SKIP", "category": ""}, {"category": ['"" is not a valid choice.']}),
        ({"category": "FRONT"}, {"file": ["No file was submitted."]}),
        (
            {"category": "FRONT", "file": "not a file"},
            {"file": ["The submitted data was not a file. Check the encoding type on the form."]},
        ),
        ({"category": "FRONT", "file": b""}, {"file": ["The submitted file is empty."]}),
    ],
    ids=["no-category", "unknown-category", "blank-category", "no-file", "text", "empty"],
)
def test_it_refuses_a_malformed_form_with_400(
    cast, draft, media_root, django_capture_on_commit_callbacks, form, errors
):
    if form.get("file") == "SKIP":
        form["file"] = SimpleUploadedFile("a.jpg", JPEG)
    elif isinstance(form.get("file"), bytes):
        form["file"] = SimpleUploadedFile("a.jpg", form["file"])

    with django_capture_on_commit_callbacks() as callbacks:
        response = cast.client("owner").post(
            f"/api/v1/properties/{draft.pk}/photos/", form, format="multipart"
        )

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert_nothing_stored(media_root, callbacks)


def test_it_refuses_a_json_body_with_415(
    cast, draft, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = cast.client("owner").post(
            f"/api/v1/properties/{draft.pk}/photos/", {"category": "FRONT"}, format="json"
        )

    assert response.status_code == 415
    assert response.json() == {
        "detail": 'Unsupported media type "application/json" in request.',
        "code": "unsupported_media_type",
    }
    assert_nothing_stored(media_root, callbacks)


def test_it_refuses_an_oversized_form_field_without_a_500(
    cast, draft, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = cast.client("owner").post(
            f"/api/v1/properties/{draft.pk}/photos/",
            {"file": SimpleUploadedFile("a.jpg", JPEG), "category": "F" * 3_000_000},
            format="multipart",
        )

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The form fields besides the file are too large.",
        "code": "request_too_large",
        "errors": {"category": ["The form fields besides the file are too large."]},
    }
    assert_nothing_stored(media_root, callbacks)


@pytest.mark.parametrize(
    ("content_type", "detail"),
    [
        ("multipart/form-data", "Multipart form parse error - Invalid boundary in multipart: None"),
        ("multipart/form-data; boundary=xyz", "file: No file was submitted."),
    ],
)
def test_it_refuses_a_broken_multipart_body_with_400(
    cast, draft, media_root, django_capture_on_commit_callbacks, content_type, detail
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = cast.client("owner").generic(
            "POST",
            f"/api/v1/properties/{draft.pk}/photos/",
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n',
            content_type=content_type,
        )

    assert response.status_code == 400
    assert response.json()["detail"] == detail
    assert_nothing_stored(media_root, callbacks)


def test_an_unknown_property_is_a_404(cast, draft, media_root):
    response = upload(cast.client("owner"), draft, JPEG)
    assert response.status_code == 202

    missing = cast.client("owner").post(
        "/api/v1/properties/00000000-0000-0000-0000-000000000000/photos/",
        {"file": SimpleUploadedFile("a.jpg", JPEG), "category": "FRONT"},
        format="multipart",
    )

    assert missing.status_code == 404
    assert photo_count() == 1


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_photo(
    cast, inspecting, media_root, django_capture_on_commit_callbacks
):
    first = upload(cast.client("assigned_agent"), inspecting, JPEG, key="k-1")

    with django_capture_on_commit_callbacks() as callbacks:
        retry = upload(cast.client("assigned_agent"), inspecting, JPEG, key="k-1")

    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json() == first.json()
    assert photo_count() == 1
    assert stored_files(media_root) == [f"photos/{inspecting.pk}/{first.json()['id']}/original"]
    assert callbacks == []


def test_a_retry_after_the_property_moved_on_still_returns_the_first_photo(cast, draft):
    first = upload(cast.client("owner"), draft, JPEG, key="k-1")
    draft.status = Status.SUBMITTED
    draft.save()

    retry = upload(cast.client("owner"), draft, JPEG, key="k-1")

    assert retry.status_code == 202
    assert retry.json()["id"] == first.json()["id"]


def test_a_key_reused_for_another_upload_is_a_409(
    cast, draft, media_root, django_capture_on_commit_callbacks
):
    first = upload(cast.client("owner"), draft, JPEG, key="k-1")

    with django_capture_on_commit_callbacks() as callbacks:
        other_category = upload(cast.client("owner"), draft, JPEG, key="k-1", category="LIVING")

    assert other_category.status_code == 409
    assert other_category.json() == {
        "detail": "This Idempotency-Key was already used for another upload; send a new key.",
        "code": "idempotency_key_reused",
    }
    assert photo_count() == 1
    assert stored_files(media_root) == [f"photos/{draft.pk}/{first.json()['id']}/original"]
    assert callbacks == []


def test_keys_belong_to_their_uploader(cast, draft, inspecting):
    by_owner = upload(cast.client("owner"), draft, JPEG, key="k-1")
    by_agent = upload(cast.client("assigned_agent"), inspecting, JPEG, key="k-1")

    assert by_agent.status_code == 202
    assert by_agent.json()["id"] != by_owner.json()["id"]
    assert photo_count() == 2


@pytest.mark.parametrize("key", ["k" * 129, "has space", "naïve"])
def test_a_malformed_key_is_a_400(cast, draft, media_root, django_capture_on_commit_callbacks, key):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, JPEG, key=key)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "Idempotency-Key": [
            "Idempotency-Key must be at most 128 printable ASCII characters without spaces."
        ]
    }
    assert_nothing_stored(media_root, callbacks)


class TwinOnSaveStorage(FileSystemStorage):
    """Storage during which a concurrent retry of the same upload commits first: its row
    appears while this request writes the original."""

    twin: dict[str, object] | None = None

    def save(self, name, content, max_length=None):
        twin, TwinOnSaveStorage.twin = TwinOnSaveStorage.twin, None
        if twin is not None:
            PhotoFactory.create(**twin)
        return super().save(name, content, max_length=max_length)


def test_a_concurrent_retry_is_settled_by_the_unique_key(cast, inspecting, media_root, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.photos.test_upload_api.TwinOnSaveStorage",
            "OPTIONS": {"location": media_root},
        },
    }
    TwinOnSaveStorage.twin = {
        "property": inspecting,
        "uploaded_by": cast.assigned_agent,
        "idempotency_key": "k-1",
    }

    response = upload(cast.client("assigned_agent"), inspecting, JPEG, key="k-1")

    twin = Photo.objects.get()
    assert response.status_code == 202
    assert response.json()["id"] == str(twin.pk)
    # The loser's original is gone; the winner's stays.
    assert stored_files(media_root) == [twin.file.name]


class UnreachableStorage(FileSystemStorage):
    """Storage that cannot be reached for writing."""

    def save(self, name, content, max_length=None):
        raise OSError("Connection refused")


def test_storage_down_is_a_503_with_nothing_kept(
    cast, draft, media_root, settings, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.photos.test_upload_api.UnreachableStorage",
            "OPTIONS": {"location": media_root},
        },
    }

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(cast.client("owner"), draft, JPEG)

    assert response.status_code == 503
    assert response.json() == {
        "detail": "Photo storage is unavailable; try again shortly.",
        "code": "storage_unavailable",
    }
    assert_nothing_stored(media_root, callbacks)
