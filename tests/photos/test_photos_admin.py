"""The photo screens of the back office: the list, its filters, a photo's page, the decisions."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from photos.models import Photo, QcStatus, ReviewStatus
from properties.models import Status
from propflow import sms
from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:photos_photo_changelist")


def checks(**results: str) -> list[dict[str, str]]:
    return [
        {"name": name, "result": result, "detail": f"{name} was {result}"}
        for name, result in results.items()
    ]


@pytest.fixture
def photos(cast, inspecting) -> dict[str, Photo]:
    """Photos of the inspection in several QC and review states."""
    return {
        "good": PhotoFactory.create(
            property=inspecting,
            uploaded_by=cast.assigned_agent,
            qc_status=QcStatus.PASS,
            qc_checks=checks(gps_present="pass", gps_distance="pass", sharpness="pass"),
            preview=f"photos/{inspecting.pk}/good/preview.jpg",
        ),
        "far": PhotoFactory.create(
            property=inspecting,
            uploaded_by=cast.assigned_agent,
            category="KITCHEN",
            taken_at="2026-11-25T10:15:00",
            taken_at_offset="+05:30",
            gps_lat=18.58,
            gps_lon=73.894,
            gps_alt=560.4,
            gps_accuracy_m=12,
            qc_status=QcStatus.FAIL,
            qc_checks=checks(gps_present="pass", gps_distance="fail", sharpness="pass"),
        ),
        "blurry": PhotoFactory.create(
            property=inspecting,
            uploaded_by=cast.assigned_agent,
            qc_status=QcStatus.WARN,
            qc_checks=checks(gps_present="pass", gps_distance="pass", sharpness="warn"),
            review_status=ReviewStatus.APPROVED,
        ),
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> set[str]:
    return {str(photo.pk) for photo in response.context["cl"].result_list}


def ids(*photos: Photo) -> set[str]:
    return {str(photo.pk) for photo in photos}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 302),
        ("assigned_agent", 302),
        ("reviewer", 200),
        ("admin", 200),
    ],
)
def test_only_staff_open_the_photo_list(cast, photos, role, status):
    assert signed_in(getattr(cast, role)).get(CHANGELIST).status_code == status


def test_the_anonymous_are_sent_to_sign_in(photos):
    response = Client().get(CHANGELIST)

    assert (response.status_code, response["Location"]) == (
        302,
        f"/admin/login/?next={CHANGELIST}",
    )


def test_the_list_shows_previews_through_the_checked_file_view(cast, photos):
    response = signed_in(cast.reviewer).get(CHANGELIST)

    assert listed(response) == ids(*photos.values())
    good = photos["good"]
    assert (
        f'<img src="/api/v1/photos/{good.pk}/preview" alt="" width="96" loading="lazy">'
        in response.content.decode()
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("qc_status=FAIL", ("far",)),
        ("category=KITCHEN", ("far",)),
        ("review_status=APPROVED", ("blurry",)),
        ("check=gps_distance:fail", ("far",)),
        ("check=sharpness:warn", ("blurry",)),
        ("check=gps_present:pass", ("good", "far", "blurry")),
        ("check=duplicate:fail", ()),
    ],
)
def test_the_list_filters(cast, photos, query, expected):
    response = signed_in(cast.reviewer).get(f"{CHANGELIST}?{query}")

    assert response.status_code == 200
    assert listed(response) == ids(*(photos[name] for name in expected))


def test_a_malformed_check_filter_lists_nothing(cast, photos):
    response = signed_in(cast.reviewer).get(f"{CHANGELIST}?check=nonsense")

    assert listed(response) == set()


def test_the_lists_query_count_does_not_grow_with_its_rows(cast, draft, photos):
    client = signed_in(cast.reviewer)
    with CaptureQueriesContext(connection) as three:
        client.get(CHANGELIST)
    for _ in range(5):
        PhotoFactory.create(property=draft)

    with CaptureQueriesContext(connection) as eight:
        client.get(CHANGELIST)

    assert len(eight) == len(three)


def test_a_photos_page_shows_its_checks_and_edits_nothing(cast, photos):
    far = photos["far"]

    response = signed_in(cast.reviewer).get(reverse("admin:photos_photo_change", args=[far.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<tr><td>gps_distance</td><td>fail</td><td>gps_distance was fail</td></tr>" in page
    assert f'<a href="/api/v1/photos/{far.pk}/file">Open the original</a>' in page
    assert "18.580000, 73.894000; altitude 560 m; accuracy 12 m" in page
    assert "2026-11-25T10:15:00+05:30" in page
    assert 'name="_save"' not in page


def test_a_photo_not_checked_yet_shows_dashes(cast, inspecting):
    photo = PhotoFactory.create(property=inspecting, uploaded_by=cast.assigned_agent)

    response = signed_in(cast.reviewer).get(reverse("admin:photos_photo_change", args=[photo.pk]))

    assert response.status_code == 200
    # The preview, the capture time, the position and the checks.
    assert response.content.decode().count('<div class="readonly">—</div>') == 4


def test_a_photos_page_shows_its_content_credentials_as_text(cast, inspecting):
    """Every value of a manifest is the signer's to write: the page escapes it."""
    photo = PhotoFactory.create(
        property=inspecting,
        uploaded_by=cast.assigned_agent,
        qc_status=QcStatus.FAIL,
        qc_checks=checks(provenance="fail"),
        content_credentials={
            "validation": "invalid",
            "signer": '<script>alert("signer")</script>',
            "generator": "<img src=x onerror=alert(1)> 1.0",
            "signed_at": "2026-11-30T10:02:00+05:30",
            "actions": ["c2pa.created", "<b>c2pa.edited</b>"],
            "ai_generated": False,
            "failures": ["assertion.dataHash.mismatch"],
        },
    )

    response = signed_in(cast.reviewer).get(reverse("admin:photos_photo_change", args=[photo.pk]))

    page = response.content.decode()
    assert '<span class="provenance-badge provenance-invalid">Invalid credentials</span>' in page
    assert "<dt>Signer</dt><dd>&lt;script&gt;alert(&quot;signer&quot;)&lt;/script&gt;</dd>" in page
    assert "<dd>&lt;img src=x onerror=alert(1)&gt; 1.0</dd>" in page
    assert "<dd>c2pa.created, &lt;b&gt;c2pa.edited&lt;/b&gt;</dd>" in page
    assert "<dd>assertion.dataHash.mismatch</dd>" in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page


def test_photos_are_never_added_or_deleted_here(cast, photos):
    client = signed_in(cast.admin)

    assert client.get(reverse("admin:photos_photo_add")).status_code == 403
    delete = reverse("admin:photos_photo_delete", args=[photos["good"].pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Photo.objects.count() == 3


def act(client: Client, action: str, photos: list[Photo], **fields: str):
    return client.post(
        CHANGELIST,
        {"action": action, ACTION_CHECKBOX_NAME: [str(photo.pk) for photo in photos], **fields},
    )


def test_approving_goes_through_the_review_service(cast, photos):
    response = act(signed_in(cast.reviewer), "approve", [photos["good"], photos["far"]])

    assert response.status_code == 302
    statuses = dict(Photo.objects.values_list("pk", "review_status"))
    assert [statuses[photos[name].pk] for name in ("good", "far")] == ["APPROVED", "APPROVED"]
    assert Photo.objects.get(pk=photos["good"].pk).reviewed_by == cast.reviewer
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "approve: 2 photo(s) reviewed."
    ]


@pytest.mark.parametrize("action", ["reject", "request_reshoot"])
def test_rejecting_or_asking_for_a_reshoot_asks_for_the_reason_first(cast, photos, action):
    response = act(signed_in(cast.reviewer), action, [photos["far"]])

    assert response.status_code == 200
    assert response.templates[0].name == "admin/photos/photo/review_reason.html"
    assert Photo.objects.get(pk=photos["far"].pk).review_status == ReviewStatus.PENDING


def test_a_blank_reason_is_asked_for_again(cast, photos):
    response = act(signed_in(cast.reviewer), "reject", [photos["far"]], apply="1", reason="  ")

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert Photo.objects.get(pk=photos["far"].pk).review_status == ReviewStatus.PENDING


def test_a_reshoot_with_its_reason_texts_the_agent(
    cast, photos, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            signed_in(cast.reviewer),
            "request_reshoot",
            [photos["far"]],
            apply="1",
            reason="Stand in the kitchen.",
        )

    assert response.status_code == 302
    far = Photo.objects.get(pk=photos["far"].pk)
    assert (far.review_status, far.review_reason, far.reviewed_by) == (
        ReviewStatus.RESHOOT,
        "Stand in the kitchen.",
        cast.reviewer,
    )
    assert [message.to for message in sms.outbox] == [str(cast.assigned_agent.phone)]


def test_a_refused_decision_is_reported_and_changes_nothing(cast, inspecting, photos):
    inspecting.status = Status.VALUED
    inspecting.save()

    response = act(signed_in(cast.reviewer), "approve", [photos["good"]])

    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        f"{photos['good']}: The property is VALUED: its photos can no longer be reviewed."
    ]
    assert Photo.objects.get(pk=photos["good"].pk).review_status == ReviewStatus.PENDING


def test_a_photo_s_page_shows_every_content_label_as_text(cast, inspecting):
    hostile = '<img src=x onerror="alert(1)">'
    photo = PhotoFactory.create(
        property=inspecting,
        uploaded_by=cast.assigned_agent,
        category="KITCHEN",
        qc_status=QcStatus.WARN,
        qc_checks=checks(sharpness="pass", content="warn"),
        content_labels=[
            {"description": f"Label {index}", "score": 0.9 - index / 100} for index in range(6)
        ]
        + [{"description": hostile, "score": 0.5}],
    )
    client = signed_in(cast.reviewer)

    page = client.get(reverse("admin:photos_photo_change", args=[photo.pk])).content.decode()

    labels = ", ".join(f"Label {index} {0.9 - index / 100:.2f}" for index in range(6))
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; 0.50"
    assert f'<div class="readonly">{labels}, {escaped}</div>' in page
    assert hostile not in page
    assert listed(client.get(f"{CHANGELIST}?check=content:warn")) == ids(photo)
