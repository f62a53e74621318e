"""Reading photos and reviewing them through the API: who sees what, the files, the decisions."""

import base64
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from photos.models import Photo, ReviewStatus
from photos.services import photo_run_qc
from propflow import sms
from tests.cast import ROLES, authenticated_client
from tests.photos.conftest import phone_jpeg, uploaded
from tests.support.images import c2pa_corpus_bytes, c2pa_corpus_entry

pytestmark = pytest.mark.django_db

SEES_THE_INSPECTION = {
    "anonymous": 401,
    "other_client": 404,
    "owner": 200,
    "unrelated_agent": 404,
    "assigned_agent": 200,
    "reviewer": 200,
    "admin": 200,
}


@pytest.fixture
def photo(inspecting) -> Photo:
    """A checked photo of the property being inspected, by its agent."""
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    photo_run_qc(photo_id=photo.pk)
    photo.refresh_from_db()
    return photo


def content(response) -> bytes:
    return b"".join(response.streaming_content)


# --- Reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_role_matrix_of_the_list(cast, inspecting, photo, role):
    response = cast.client(role).get(f"/api/v1/properties/{inspecting.pk}/photos/")

    assert response.status_code == SEES_THE_INSPECTION[role]
    if response.status_code == 200:
        assert [item["id"] for item in response.json()["results"]] == [str(photo.pk)]


@pytest.mark.parametrize("role", ROLES)
def test_the_role_matrix_of_a_photo(cast, photo, role):
    response = cast.client(role).get(f"/api/v1/photos/{photo.pk}/")

    assert response.status_code == SEES_THE_INSPECTION[role]
    if response.status_code == 200:
        assert response.json()["id"] == str(photo.pk)
    else:
        assert set(response.json()) == {"detail", "code"}
        assert (
            response.json()["code"]
            == {401: "not_authenticated", 404: "not_found"}[response.status_code]
        )


@pytest.mark.parametrize("variant", ["file", "preview"])
@pytest.mark.parametrize("role", ROLES)
def test_the_role_matrix_of_the_files(cast, photo, role, variant, media_root):
    response = cast.client(role).get(f"/api/v1/photos/{photo.pk}/{variant}/")

    assert response.status_code == SEES_THE_INSPECTION[role]
    if response.status_code == 200:
        stored = photo.file if variant == "file" else photo.preview
        assert content(response) == (media_root / stored.name).read_bytes()
        assert (response["Content-Type"], response["Cache-Control"]) == (
            "image/jpeg",
            "private, max-age=300",
        )


def test_a_photo_of_an_agent_who_lost_the_assignment_is_hidden_from_them(cast, inspecting, photo):
    inspecting.assigned_agent = cast.unrelated_agent
    inspecting.save()

    response = cast.client("assigned_agent").get(f"/api/v1/photos/{photo.pk}/")

    assert response.status_code == 404


def test_an_image_request_gets_the_image_whatever_it_accepts(cast, photo):
    response = cast.client("owner").get(
        f"/api/v1/photos/{photo.pk}/preview", HTTP_ACCEPT="image/avif,image/webp,image/*"
    )

    assert response.status_code == 200
    with Image.open(io.BytesIO(content(response))) as preview:
        assert (preview.format, max(preview.size), dict(preview.getexif())) == ("JPEG", 1024, {})


def test_the_preview_of_a_photo_not_checked_yet_is_a_404(cast, inspecting):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    response = cast.client("owner").get(f"/api/v1/photos/{photo.pk}/preview/")

    assert response.status_code == 404
    assert response.json() == {"detail": "This photo has no preview yet.", "code": "not_found"}


def test_a_file_missing_from_storage_is_a_404(cast, photo, media_root):
    (media_root / photo.file.name).unlink()

    response = cast.client("owner").get(f"/api/v1/photos/{photo.pk}/file/")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "The file is missing from storage.",
        "code": "not_found",
    }


def test_the_admin_session_opens_the_files(cast, photo, client):
    client.force_login(cast.reviewer)

    response = client.get(f"/api/v1/photos/{photo.pk}/preview/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/photos/not-a-uuid/",
        "/api/v1/photos/00000000-0000-0000-0000-000000000000/",
        "/api/v1/photos/00000000-0000-0000-0000-000000000000/file/",
        "/api/v1/properties/00000000-0000-0000-0000-000000000000/photos/",
    ],
)
def test_unknown_ids_are_404s(cast, path):
    assert cast.client("admin").get(path).status_code == 404


def test_the_photo_is_described_as_the_contract_says(cast, photo):
    body = cast.client("owner").get(f"/api/v1/photos/{photo.pk}").json()

    assert {key: body[key] for key in ("width", "height", "make", "model", "qc_status")} == {
        "width": 1600,
        "height": 1200,
        "make": "Google",
        "model": "Pixel 8",
        "qc_status": "PASS",
    }
    assert body["taken_at"] == f"{photo.taken_at}+05:30"
    assert body["gps"] == {
        "lat": photo.gps_lat,
        "lon": photo.gps_lon,
        "alt": None,
        "accuracy_m": None,
    }
    assert [(check["name"], check["result"]) for check in body["qc_checks"]] == [
        ("gps_present", "pass"),
        ("gps_distance", "pass"),
        ("capture_time", "pass"),
        ("resolution", "pass"),
        ("duplicate", "pass"),
        ("sharpness", "pass"),
        ("provenance", "pass"),
    ]
    assert body["content_credentials"] is None
    assert body["file_url"] == f"http://testserver/api/v1/photos/{photo.pk}/file"
    assert body["preview_url"] == f"http://testserver/api/v1/photos/{photo.pk}/preview"


def test_a_photo_with_content_credentials_shows_them(cast, inspecting, c2pa_trusted):
    photo = uploaded(inspecting, c2pa_corpus_bytes(c2pa_corpus_entry("ocsp.jpg")))
    photo_run_qc(photo_id=photo.pk)

    body = cast.client("owner").get(f"/api/v1/photos/{photo.pk}/").json()

    assert body["content_credentials"] == {
        "validation": "valid",
        "signer": "Adobe Inc.",
        "generator": "Adobe Photoshop 26.9.0",
        "signed_at": "2025-08-13T16:30:55+00:00",
        "actions": ["c2pa.opened", "c2pa.cropped", "c2pa.edited"],
        "ai_generated": True,
        "failures": ["signingCredential.untrusted"],
    }


def test_on_s3_the_urls_are_signed_and_expire(cast, photo, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "propflow",
                "access_key": "test-access-key",
                "secret_key": "test-secret-key",
                "endpoint_url": "http://127.0.0.1:8333",
                "region_name": "us-east-1",
                "signature_version": "s3v4",
                "addressing_style": "path",
                "querystring_auth": True,
                "querystring_expire": 600,
            },
        },
    }

    body = cast.client("owner").get(f"/api/v1/photos/{photo.pk}/").json()

    for key, stored in (("file_url", photo.file), ("preview_url", photo.preview)):
        url = urlsplit(body[key])
        query = parse_qs(url.query)
        assert (url.netloc, url.path) == ("127.0.0.1:8333", f"/propflow/{stored.name}")
        assert (query["X-Amz-Expires"], len(query["X-Amz-Signature"][0])) == (["600"], 64)


def test_the_list_is_in_upload_order_and_filterable(cast, inspecting):
    photos = [
        uploaded(inspecting, phone_jpeg(inspecting, seed=seed), category=category)
        for seed, category in enumerate(("FRONT", "KITCHEN", "FRONT"))
    ]
    client = cast.client("owner")

    everything = client.get(f"/api/v1/properties/{inspecting.pk}/photos/").json()
    fronts = client.get(f"/api/v1/properties/{inspecting.pk}/photos?category=FRONT").json()

    assert [item["id"] for item in everything["results"]] == [str(photo.pk) for photo in photos]
    assert [item["id"] for item in fronts["results"]] == [str(photos[0].pk), str(photos[2].pk)]
    assert (everything["next"], everything["previous"]) == (None, None)


def test_the_list_pages_with_a_cursor(cast, inspecting):
    photos = [uploaded(inspecting, phone_jpeg(inspecting, seed=seed)) for seed in range(3)]
    client = cast.client("owner")

    first = client.get(f"/api/v1/properties/{inspecting.pk}/photos/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert [item["id"] for item in first["results"] + second["results"]] == [
        str(photo.pk) for photo in photos
    ]
    assert second["next"] is None


def forged_cursor(position: str) -> str:
    """A cursor no page ever handed out: base64 of ``p=<position>``."""
    return base64.b64encode(f"p={position}".encode()).decode()


@pytest.mark.parametrize(
    "query",
    [
        "category=ROOF",
        "page_size=0",
        "cursor=garbage",
        f"cursor={forged_cursor('2024')}",
        f"cursor={forged_cursor('2024-01-01%00')}",
    ],
)
def test_a_malformed_list_query_is_a_400(cast, inspecting, query):
    response = cast.client("owner").get(f"/api/v1/properties/{inspecting.pk}/photos/?{query}")

    assert response.status_code == 400


def test_the_lists_query_count_does_not_grow_with_the_page(cast, inspecting):
    client = authenticated_client(cast.reviewer)
    url = f"/api/v1/properties/{inspecting.pk}/photos/?page_size=100"
    uploaded(inspecting, phone_jpeg(inspecting))
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for seed in range(1, 8):
        uploaded(inspecting, phone_jpeg(inspecting, seed=seed))

    with CaptureQueriesContext(connection) as eight:
        response = client.get(url)

    assert len(response.json()["results"]) == 8
    assert len(eight) == len(one) == 3  # the user, the property, the page


# --- Review -------------------------------------------------------------------------------------

REVIEWS = {
    "anonymous": 401,
    "other_client": 404,
    "owner": 403,
    "unrelated_agent": 404,
    "assigned_agent": 403,
    "reviewer": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_the_role_matrix_of_reviews(cast, photo, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = cast.client(role).post(
            f"/api/v1/photos/{photo.pk}/review/",
            {"decision": "reshoot", "reason": "Too dark."},
            format="json",
        )

    assert response.status_code == REVIEWS[role]
    photo.refresh_from_db()
    if response.status_code == 200:
        assert response.json()["review_status"] == "RESHOOT"
        assert len(callbacks) == 4  # the event, its webhooks, the SMS and the figures counted anew
        return
    assert (photo.review_status, photo.review_reason, photo.reviewed_by) == (
        ReviewStatus.PENDING,
        "",
        None,
    )
    assert callbacks == []
    assert sms.outbox == []


def test_a_reviewer_asks_for_a_reshoot_and_the_agent_is_texted(
    cast, photo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.client("reviewer").post(
            f"/api/v1/photos/{photo.pk}/review",
            {"decision": "reshoot", "reason": "The front door is cut off."},
            format="json",
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["review_status"], body["review_reason"]) == (
        "RESHOOT",
        "The front door is cut off.",
    )
    assert [message.to for message in sms.outbox] == [str(cast.assigned_agent.phone)]
    photo.refresh_from_db()
    assert (photo.reviewed_by, photo.reviewed_at is not None) == (cast.reviewer, True)


def test_approving_needs_no_reason(cast, photo):
    response = cast.client("reviewer").post(
        f"/api/v1/photos/{photo.pk}/review/", {"decision": "approve"}, format="json"
    )

    assert (response.status_code, response.json()["review_status"]) == (200, "APPROVED")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"decision": ["This field is required."]}),
        ({"decision": "maybe"}, {"decision": ['"maybe" is not a valid choice.']}),
        ({"decision": "reject"}, {"reason": ["A reason is required to reject a photo."]}),
        (
            {"decision": "reshoot", "reason": ""},
            {"reason": ["A reason is required to reshoot a photo."]},
        ),
        (
            {"decision": "reject", "reason": "x" * 2001},
            {"reason": ["Ensure this field has no more than 2000 characters."]},
        ),
    ],
)
def test_a_malformed_review_is_a_400(cast, photo, body, errors):
    response = cast.client("reviewer").post(
        f"/api/v1/photos/{photo.pk}/review/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    photo.refresh_from_db()
    assert photo.review_status == ReviewStatus.PENDING


def test_a_review_body_that_is_not_json_is_a_400(cast, photo):
    response = cast.client("reviewer").generic(
        "POST", f"/api/v1/photos/{photo.pk}/review/", b"{not json", content_type="application/json"
    )

    assert response.status_code == 400
