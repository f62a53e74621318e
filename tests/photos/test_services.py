"""The photo services called directly: upload details, the QC run, reviews, and completion."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from photos.imaging import dhash_from_hex
from photos.models import Photo, QcStatus, ReviewStatus
from photos.services import (
    ReviewDecision,
    photo_review,
    photo_run_qc,
    photo_upload,
)
from properties.models import Status
from properties.services import property_transition
from properties.workflow import Action
from propflow import sms
from propflow.errors import ConflictError, ForbiddenError, InvalidInputError, PayloadTooLargeError
from tests.photos.conftest import (
    ALL_PASS,
    phone_jpeg,
    photo_count,
    results,
    stored_files,
    uploaded,
)
from tests.support.images import c2pa_corpus_bytes, c2pa_corpus_entry, c2pa_signed, make_jpeg

pytestmark = pytest.mark.django_db


# --- Upload -----------------------------------------------------------------------------------


def test_the_service_refuses_a_file_over_the_size_limit(cast, draft, media_root, settings):
    settings.PHOTO_MAX_UPLOAD_BYTES = 1000

    with pytest.raises(PayloadTooLargeError) as refusal:
        photo_upload(
            actor=cast.owner,
            property_id=draft.pk,
            file=SimpleUploadedFile("a.jpg", make_jpeg(320, 240)),
            category="FRONT",
        )

    assert refusal.value.detail == "The file is larger than the 0.000953674 MB limit."
    assert photo_count() == 0
    assert stored_files(media_root) == []


def test_the_service_refuses_an_unknown_category(cast, draft, media_root):
    with pytest.raises(InvalidInputError) as refusal:
        photo_upload(
            actor=cast.owner,
            property_id=draft.pk,
            file=SimpleUploadedFile("a.jpg", make_jpeg(320, 240)),
            category="ROOF",
        )

    assert (refusal.value.detail, refusal.value.field) == (
        "'ROOF' is not a photo category.",
        "category",
    )
    assert stored_files(media_root) == []


def test_a_failure_after_the_file_is_written_removes_it(inspecting, media_root, monkeypatch):
    def insert_fails(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Photo, "save", insert_fails)

    with pytest.raises(RuntimeError):
        uploaded(inspecting, make_jpeg(320, 240))

    assert stored_files(media_root) == []


# --- QC ---------------------------------------------------------------------------------------


def test_qc_records_what_the_header_says_and_passes_a_good_photo(
    inspecting, media_root, staff_events
):
    taken = timezone.now() - timedelta(hours=1)
    photo = uploaded(inspecting, phone_jpeg(inspecting, taken=taken, altitude=560.5, accuracy_m=8))

    checked = photo_run_qc(photo_id=photo.pk)

    assert checked is not None
    photo.refresh_from_db()
    assert {
        "size": (photo.width, photo.height),
        "camera": (photo.make, photo.model),
        "taken_at": (photo.taken_at, photo.taken_at_offset),
        "gps": (photo.gps_lat, photo.gps_lon, photo.gps_alt, photo.gps_accuracy_m),
        "qc": (photo.qc_status, results(photo), photo.qc_error),
    } == {
        "size": (1600, 1200),
        "camera": ("Google", "Pixel 8"),
        "taken_at": (
            taken.astimezone(timezone.get_fixed_timezone(330)).strftime("%Y-%m-%dT%H:%M:%S"),
            "+05:30",
        ),
        "gps": (
            pytest.approx(inspecting.latitude + 0.1 / 111.195, abs=1e-6),
            pytest.approx(inspecting.longitude, abs=1e-6),
            560.5,
            8.0,
        ),
        "qc": (QcStatus.PASS, ALL_PASS, ""),
    }
    assert photo.distance_km == pytest.approx(0.1, abs=0.001)
    assert 0 <= dhash_from_hex(photo.dhash) < 2**64
    assert photo.processed_at is not None
    assert staff_events.events() == []  # not before the commit


def test_qc_writes_a_preview_without_exif_beside_the_original(inspecting, media_root):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    folder = f"photos/{inspecting.pk}/{photo.pk}"
    assert photo.preview.name == f"{folder}/preview.jpg"
    assert stored_files(media_root) == [f"{folder}/original", f"{folder}/preview.jpg"]
    with default_storage.open(photo.preview.name) as stored, Image.open(stored) as preview:
        assert (preview.format, preview.size) == ("JPEG", (1024, 768))
        assert dict(preview.getexif()) == {}


def test_the_original_stays_byte_for_byte_what_was_uploaded(inspecting, media_root):
    data = phone_jpeg(inspecting)
    photo = uploaded(inspecting, data)

    photo_run_qc(photo_id=photo.pk)

    assert (media_root / photo.file.name).read_bytes() == data


def test_qc_runs_once_however_often_it_is_asked(inspecting, django_capture_on_commit_callbacks):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    with django_capture_on_commit_callbacks() as callbacks:
        first = photo_run_qc(photo_id=photo.pk)
        second = photo_run_qc(photo_id=photo.pk)

    assert first is not None
    assert second is None
    # One run: photo.qc_completed to staff and to the owner and agent, its webhooks; the figures
    # counted anew.
    assert len(callbacks) == 4


def test_qc_leaves_a_fresh_run_alone_and_takes_over_an_abandoned_one(inspecting, settings):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    started = timezone.now() - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS - 30)
    Photo.objects.filter(pk=photo.pk).update(qc_status=QcStatus.RUNNING, qc_started_at=started)

    assert photo_run_qc(photo_id=photo.pk) is None

    abandoned = timezone.now() - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS + 30)
    Photo.objects.filter(pk=photo.pk).update(qc_started_at=abandoned)

    checked = photo_run_qc(photo_id=photo.pk)

    assert checked is not None
    assert checked.qc_status == QcStatus.PASS


class TakeoverStorage(FileSystemStorage):
    """Storage so slow to write the preview that the run is taken for abandoned meanwhile."""

    def save(self, name, content, max_length=None):
        Photo.objects.update(qc_started_at=timezone.now() + timedelta(seconds=1))
        return super().save(name, content, max_length=max_length)


def test_a_run_taken_over_meanwhile_records_nothing(
    inspecting, media_root, settings, django_capture_on_commit_callbacks
):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.photos.test_services.TakeoverStorage",
            "OPTIONS": {"location": media_root},
        },
    }

    with django_capture_on_commit_callbacks() as callbacks:
        checked = photo_run_qc(photo_id=photo.pk)

    assert checked is None
    photo.refresh_from_db()
    assert (photo.qc_status, photo.qc_checks, photo.processed_at) == (QcStatus.RUNNING, [], None)
    assert callbacks == []


def test_qc_of_a_photo_that_is_gone_does_nothing(db):
    assert photo_run_qc(photo_id="00000000-0000-0000-0000-000000000000") is None


def test_qc_ends_in_error_for_a_file_that_cannot_be_decoded(inspecting, staff_events):
    truncated = phone_jpeg(inspecting)[:20_000]
    photo = uploaded(inspecting, truncated)

    checked = photo_run_qc(photo_id=photo.pk)

    assert checked is not None
    photo.refresh_from_db()
    assert (photo.qc_status, photo.qc_checks, photo.preview.name) == (QcStatus.ERROR, [], "")
    assert photo.qc_error.startswith("cannot decode the image: ")
    assert photo.processed_at is not None


def test_qc_ends_in_error_when_storage_lost_the_original(inspecting):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    default_storage.delete(photo.file.name)

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (photo.qc_status, photo.qc_error) == (
        QcStatus.ERROR,
        "the original file is missing from storage",
    )


def test_qc_ends_in_error_when_a_decoder_fails_unexpectedly(inspecting, monkeypatch):
    def decoder_crash(*args, **kwargs):
        raise RuntimeError("libheif: internal error")

    photo = uploaded(inspecting, phone_jpeg(inspecting))
    monkeypatch.setattr("photos.decode_process.analyse", decoder_crash)

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (photo.qc_status, photo.qc_error) == (
        QcStatus.ERROR,
        "the image could not be processed (RuntimeError)",
    )


def test_an_agents_photo_from_before_the_assignment_fails_the_capture_time(inspecting):
    before_assignment = inspecting.assigned_at - timedelta(minutes=30)
    photo = uploaded(inspecting, phone_jpeg(inspecting, taken=before_assignment))

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert results(photo)["capture_time"] == "fail"
    assert "before the inspection window opened" in photo.qc_checks[2]["detail"]


def test_an_owners_photo_counts_from_the_propertys_creation(draft):
    draft.created_at = timezone.now() - timedelta(hours=5)
    draft.save()
    after_creation = uploaded(
        draft,
        phone_jpeg(draft, taken=timezone.now() - timedelta(hours=4)),
    )
    before_creation = uploaded(
        draft,
        phone_jpeg(draft, taken=timezone.now() - timedelta(hours=6), seed=1),
    )

    photo_run_qc(photo_id=after_creation.pk)
    photo_run_qc(photo_id=before_creation.pk)

    after_creation.refresh_from_db()
    before_creation.refresh_from_db()
    assert (results(after_creation)["capture_time"], results(before_creation)["capture_time"]) == (
        "pass",
        "fail",
    )


def test_the_same_file_twice_on_one_property_warns(inspecting):
    data = phone_jpeg(inspecting)
    first = uploaded(inspecting, data)
    again = uploaded(inspecting, data, category="LIVING")
    photo_run_qc(photo_id=first.pk)

    photo_run_qc(photo_id=again.pk)

    again.refresh_from_db()
    assert (again.qc_status, results(again)["duplicate"]) == (QcStatus.WARN, "warn")
    assert again.qc_checks[4]["detail"] == "the same file as another photo of this property"


def test_a_re_encoded_copy_of_another_propertys_photo_fails(draft, inspecting):
    original = uploaded(draft, phone_jpeg(inspecting))
    photo_run_qc(photo_id=original.pk)
    copy = uploaded(inspecting, phone_jpeg(inspecting, quality=60))

    photo_run_qc(photo_id=copy.pk)

    copy.refresh_from_db()
    assert (copy.qc_status, results(copy)["duplicate"]) == (QcStatus.FAIL, "fail")
    assert copy.qc_checks[4]["detail"].startswith(
        f"near-identical to a photo of property {draft.pk} ("
    )
    assert copy.qc_checks[4]["related_property_id"] == str(draft.pk)


def test_qc_thresholds_come_from_settings(inspecting, settings):
    settings.PHOTO_QC_MIN_WIDTH = 2000
    settings.PHOTO_QC_MAX_DISTANCE_KM = 0.05
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (results(photo)["resolution"], results(photo)["gps_distance"]) == ("fail", "fail")


def test_the_thumbnail_threshold_comes_from_settings(inspecting, settings):
    settings.PHOTO_QC_THUMBNAIL_MISMATCH_DISTANCE = 40
    photo = _checked(inspecting, "no_c2pa_thumbnail_mismatch_sony.jpg")  # 34 bits apart

    assert results(photo)["provenance"] == "pass"


def test_a_property_without_a_position_has_no_distance(inspecting):
    position = (inspecting.latitude, inspecting.longitude)
    data = phone_jpeg(inspecting)
    inspecting.latitude = inspecting.longitude = None
    inspecting.save()
    photo = uploaded(inspecting, data)

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (photo.distance_km, results(photo)["gps_distance"]) == (None, "warn")
    assert (photo.gps_lat, photo.gps_lon) == pytest.approx(
        (position[0] + 0.1 / 111.195, position[1]), abs=1e-6
    )


# --- Provenance ---------------------------------------------------------------------------------


def _checked(property, file: str) -> Photo:
    photo = uploaded(property, c2pa_corpus_bytes(c2pa_corpus_entry(file)))
    photo_run_qc(photo_id=photo.pk)
    photo.refresh_from_db()
    return photo


def test_qc_verifies_the_content_credentials_of_a_signed_photo(inspecting, c2pa_trusted):
    photo = _checked(inspecting, "capture_samsung_sm_g930f.jpg")

    assert photo.content_credentials == {
        "validation": "trusted",
        "signer": "C2PA Test Signing Cert",
        "generator": "PropFlow Test Camera 1.0",
        "signed_at": None,
        "actions": ["c2pa.created"],
        "ai_generated": False,
        "failures": [],
    }
    assert photo.qc_checks[-1] == {
        "name": "provenance",
        "result": "pass",
        "detail": "Signed at capture by C2PA Test Signing Cert (PropFlow Test Camera 1.0)",
    }


def test_a_phone_photo_signed_at_capture_passes_every_check(inspecting, c2pa_trusted):
    photo = uploaded(inspecting, c2pa_signed(phone_jpeg(inspecting)))

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (photo.qc_status, results(photo)) == (QcStatus.PASS, ALL_PASS)
    assert photo.content_credentials is not None
    assert photo.content_credentials["validation"] == "trusted"


@pytest.mark.parametrize(
    ("file", "validation", "failures"),
    [
        ("capture_canon_600d_gps_rewritten.jpg", "invalid", ["assertion.dataHash.mismatch"]),
        ("capture_apple_iphoneXR_tampered.heic", "invalid", ["assertion.bmffHash.mismatch"]),
        ("no_alg.jpg", "invalid", ["Other: unknown algorithm"]),
        ("ai_generated_canon_eos6d.jpg", "trusted", []),
    ],
)
def test_credentials_that_do_not_hold_fail_the_photo_without_an_error(
    inspecting, c2pa_trusted, file, validation, failures
):
    photo = _checked(inspecting, file)

    assert photo.content_credentials is not None
    assert (
        photo.qc_status,
        photo.qc_error,
        results(photo)["provenance"],
        photo.content_credentials["validation"],
        photo.content_credentials["failures"],
    ) == (QcStatus.FAIL, "", "fail", validation, failures)


def test_without_trust_anchors_no_signer_is_trusted(inspecting, settings):
    settings.C2PA_TRUST_ANCHORS = ""
    settings.C2PA_TRUST_CONFIG = ""

    photo = _checked(inspecting, "capture_samsung_sm_g930f.jpg")

    assert photo.content_credentials is not None
    assert (photo.content_credentials["validation"], results(photo)["provenance"]) == (
        "valid",
        "warn",
    )


def test_trust_anchors_that_c2pa_refuses_stop_qc_rather_than_judge_photos(
    inspecting, settings, tmp_path
):
    anchors = tmp_path / "anchors.pem"
    anchors.write_text("not a certificate")
    settings.C2PA_TRUST_ANCHORS = str(anchors)
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    with pytest.raises(ImproperlyConfigured, match="C2PA_TRUST_ANCHORS"):
        photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (photo.qc_checks, photo.content_credentials) == ([], None)


def test_a_photo_without_credentials_has_none(inspecting):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (photo.content_credentials, photo.qc_checks[-1]) == (
        None,
        {
            "name": "provenance",
            "result": "pass",
            "detail": "No Content Credentials; no edit traces",
        },
    )


def test_an_editor_in_exif_software_warns(inspecting, c2pa_trusted):
    photo = _checked(inspecting, "no_c2pa_software_photoshop_nokia.jpg")

    assert (photo.content_credentials, photo.qc_checks[-1]["result"]) == (None, "warn")


def test_the_credentials_are_read_from_the_one_copy_of_the_original(
    inspecting, c2pa_trusted, monkeypatch
):
    photo = uploaded(inspecting, c2pa_corpus_bytes(c2pa_corpus_entry("edited_nikon_d800e.jpg")))
    opened = []
    original_open = default_storage.open

    def counted_open(name, *args):
        opened.append(name)
        return original_open(name, *args)

    monkeypatch.setattr(default_storage, "open", counted_open)

    photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    assert (opened, results(photo)["provenance"]) == ([photo.file.name], "warn")


def test_the_qc_event_carries_the_provenance_check(
    inspecting, c2pa_trusted, django_capture_on_commit_callbacks, staff_events
):
    photo = uploaded(inspecting, c2pa_corpus_bytes(c2pa_corpus_entry("XCA.jpg")))

    with django_capture_on_commit_callbacks(execute=True):
        photo_run_qc(photo_id=photo.pk)

    photo.refresh_from_db()
    (event,) = staff_events.events()
    assert (event["type"], event["checks"], event["checks"][-1]) == (
        "photo.qc_completed",
        photo.qc_checks,
        {
            "name": "provenance",
            "result": "fail",
            "detail": "The file was changed after it was signed (assertion.dataHash.mismatch)",
        },
    )


# --- Review -----------------------------------------------------------------------------------


def test_a_reviewer_approves_a_photo(
    cast, inspecting, django_capture_on_commit_callbacks, staff_events
):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    with django_capture_on_commit_callbacks(execute=True):
        reviewed = photo_review(
            actor=cast.reviewer, photo_id=photo.pk, decision=ReviewDecision.APPROVE
        )

    photo.refresh_from_db()
    assert photo.reviewed_at is not None
    assert (
        photo.review_status,
        photo.review_reason,
        photo.reviewed_by,
        reviewed.reviewed_at == photo.reviewed_at,
    ) == (ReviewStatus.APPROVED, "", cast.reviewer, True)
    assert staff_events.events() == [
        {
            "type": "photo.reviewed",
            "photo_id": str(photo.pk),
            "property_id": str(inspecting.pk),
            "decision": "APPROVED",
            "reason": "",
            "at": photo.reviewed_at.isoformat(),
        }
    ]
    assert sms.outbox == []


@pytest.mark.parametrize("decision", [ReviewDecision.REJECT, ReviewDecision.RESHOOT])
def test_rejecting_or_asking_for_a_reshoot_needs_a_reason(
    cast, inspecting, django_capture_on_commit_callbacks, decision
):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(InvalidInputError) as refusal,
    ):
        photo_review(actor=cast.reviewer, photo_id=photo.pk, decision=decision, reason="  ")

    assert refusal.value.detail == f"A reason is required to {decision} a photo."
    photo.refresh_from_db()
    assert (photo.review_status, photo.reviewed_by) == (ReviewStatus.PENDING, None)
    assert callbacks == []


def test_a_reshoot_texts_the_assigned_agent(cast, inspecting, django_capture_on_commit_callbacks):
    photo = uploaded(inspecting, phone_jpeg(inspecting), category="KITCHEN")

    with django_capture_on_commit_callbacks(execute=True):
        photo_review(
            actor=cast.reviewer,
            photo_id=photo.pk,
            decision=ReviewDecision.RESHOOT,
            reason=" The window glare hides the sink. ",
        )

    photo.refresh_from_db()
    assert (photo.review_status, photo.review_reason) == (
        ReviewStatus.RESHOOT,
        "The window glare hides the sink.",
    )
    assert [(message.to, message.body) for message in sms.outbox] == [
        (
            str(cast.assigned_agent.phone),
            f"PropFlow: please re-take the kitchen photo at {inspecting.address}, Pune: "
            "The window glare hides the sink.",
        )
    ]


def test_a_reshoot_of_a_draft_photo_texts_its_uploader(
    cast, draft, django_capture_on_commit_callbacks
):
    photo = uploaded(draft, phone_jpeg(draft))

    with django_capture_on_commit_callbacks(execute=True):
        photo_review(
            actor=cast.admin, photo_id=photo.pk, decision=ReviewDecision.RESHOOT, reason="Blurry."
        )

    assert [message.to for message in sms.outbox] == [str(cast.owner.phone)]


def test_a_new_decision_replaces_the_last_one(cast, inspecting):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    photo_review(actor=cast.reviewer, photo_id=photo.pk, decision=ReviewDecision.REJECT, reason="x")

    photo_review(actor=cast.admin, photo_id=photo.pk, decision=ReviewDecision.APPROVE)

    photo.refresh_from_db()
    assert (photo.review_status, photo.review_reason, photo.reviewed_by) == (
        ReviewStatus.APPROVED,
        "",
        cast.admin,
    )


@pytest.mark.parametrize("status", [Status.VALUED, Status.REJECTED, Status.CANCELLED])
def test_a_closed_propertys_photos_cannot_be_reviewed(
    cast, inspecting, django_capture_on_commit_callbacks, status
):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    inspecting.status = status
    inspecting.save()

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ConflictError) as refusal,
    ):
        photo_review(actor=cast.reviewer, photo_id=photo.pk, decision=ReviewDecision.APPROVE)

    assert (
        refusal.value.detail == f"The property is {status}: its photos can no longer be reviewed."
    )
    photo.refresh_from_db()
    assert photo.review_status == ReviewStatus.PENDING
    assert callbacks == []


@pytest.mark.parametrize("role", ["owner", "assigned_agent"])
def test_only_staff_review(cast, inspecting, role):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    with pytest.raises(ForbiddenError) as refusal:
        photo_review(actor=getattr(cast, role), photo_id=photo.pk, decision=ReviewDecision.APPROVE)

    assert refusal.value.detail == "Only reviewers and admins may review photos."
    photo.refresh_from_db()
    assert photo.review_status == ReviewStatus.PENDING


# --- Completing an inspection needs the required photos ---------------------------------------


def test_an_inspection_completes_only_with_a_photo_per_required_category(cast, inspecting):
    uploaded(inspecting, phone_jpeg(inspecting), category="FRONT")

    with pytest.raises(ConflictError) as refusal:
        property_transition(
            actor=cast.assigned_agent, property_id=inspecting.pk, action=Action.COMPLETE
        )

    assert refusal.value.detail == (
        "Upload a photo for each required category first; missing: LIVING, KITCHEN."
    )
    assert refusal.value.extra["missing_categories"] == ["LIVING", "KITCHEN"]
    inspecting.refresh_from_db()
    assert inspecting.status == Status.INSPECTING

    uploaded(inspecting, phone_jpeg(inspecting, seed=1), category="LIVING")
    uploaded(inspecting, phone_jpeg(inspecting, seed=2), category="KITCHEN")
    completed = property_transition(
        actor=cast.assigned_agent, property_id=inspecting.pk, action=Action.COMPLETE
    )

    assert completed.status == Status.IN_REVIEW


@pytest.mark.parametrize("decision", [ReviewDecision.REJECT, ReviewDecision.RESHOOT])
def test_a_photo_sent_back_by_a_reviewer_does_not_count(cast, inspecting, decision):
    for seed, category in enumerate(("FRONT", "LIVING", "KITCHEN")):
        photo = uploaded(inspecting, phone_jpeg(inspecting, seed=seed), category=category)
    photo_review(actor=cast.reviewer, photo_id=photo.pk, decision=decision, reason="Too dark.")

    with pytest.raises(ConflictError) as refusal:
        property_transition(
            actor=cast.assigned_agent, property_id=inspecting.pk, action=Action.COMPLETE
        )

    assert refusal.value.extra["missing_categories"] == ["KITCHEN"]


def test_the_required_categories_are_a_setting(cast, inspecting, settings):
    settings.PHOTO_REQUIRED_CATEGORIES = ["STREET"]
    uploaded(inspecting, phone_jpeg(inspecting), category="STREET")

    completed = property_transition(
        actor=cast.assigned_agent, property_id=inspecting.pk, action=Action.COMPLETE
    )

    assert completed.status == Status.IN_REVIEW
