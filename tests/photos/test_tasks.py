"""The QC task, the sweep and the re-shoot SMS, called as a worker would; QC end to end through
the API."""

import logging
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from celery import current_app
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from photos.decode_process import DecodeAbortedError
from photos.models import Photo, QcStatus
from photos.services import ReviewDecision, photo_review
from photos.storage import TransientStorageError
from photos.tasks import notify_reshoot, requeue_stuck, run_qc
from propflow import sms
from tests.factories import PropertyFactory
from tests.photos.conftest import ALL_PASS, phone_jpeg, results, upload, uploaded
from tests.support.event_log import latest_event_id
from tests.support.images import corpus_bytes, corpus_params
from tests.support.private_data import log_lines, task_runs, use_twilio

pytestmark = pytest.mark.django_db


def test_the_task_is_registered_for_safe_redelivery():
    assert (
        run_qc.name,
        run_qc.acks_late,
        run_qc.reject_on_worker_lost,
        run_qc.autoretry_for,  # type: ignore[attr-defined]  # celery-types lacks it
        run_qc.max_retries,
        requeue_stuck.name,
    ) == (
        "photos.run_qc",
        True,
        True,
        (TransientStorageError, DecodeAbortedError),
        5,
        "photos.requeue_stuck",
    )


def test_the_sweep_runs_every_five_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["requeue-stuck-photos"]

    assert entry["task"] == "photos.requeue_stuck"
    assert entry["schedule"].remaining_estimate(timezone.now()) <= timedelta(minutes=5)


def test_the_task_checks_its_photo(inspecting):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    run_qc(photo_id=str(photo.pk))

    photo.refresh_from_db()
    assert (photo.qc_status, results(photo)) == (QcStatus.PASS, ALL_PASS)


def test_running_the_task_twice_checks_once_and_tells_once(
    inspecting, django_capture_on_commit_callbacks, staff_events
):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    with django_capture_on_commit_callbacks(execute=True):
        run_qc(photo_id=str(photo.pk))
    photo.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        run_qc(photo_id=str(photo.pk))

    assert Photo.objects.get().processed_at == photo.processed_at
    assert [event["type"] for event in staff_events.events()] == ["photo.qc_completed"]


def test_qc_completed_is_sent_only_after_commit(
    inspecting, django_capture_on_commit_callbacks, staff_events
):
    photo = uploaded(inspecting, phone_jpeg(inspecting))

    with django_capture_on_commit_callbacks() as callbacks:
        run_qc(photo_id=str(photo.pk))

    assert staff_events.events() == []
    for callback in callbacks:
        callback()
    photo.refresh_from_db()
    assert photo.processed_at is not None
    assert staff_events.events() == [
        {
            "type": "photo.qc_completed",
            "photo_id": str(photo.pk),
            "property_id": str(inspecting.pk),
            "qc_status": "PASS",
            "checks": photo.qc_checks,
            "at": photo.processed_at.isoformat(),
        }
    ]


# --- Transient storage errors -------------------------------------------------------------------


class FlakyStorage(FileSystemStorage):
    """Local storage whose next `failures` reads raise `error`, as a storage service in trouble
    does."""

    failures = 0
    error: Exception = OSError("Connection reset by peer")
    reads = 0

    def open(self, name, mode="rb"):
        FlakyStorage.reads += 1
        if FlakyStorage.failures:
            FlakyStorage.failures -= 1
            raise FlakyStorage.error
        return super().open(name, mode)


@pytest.fixture
def flaky_storage(settings, media_root, monkeypatch):
    # Eager runs re-raise a retry instead of running it, unless told not to propagate errors.
    monkeypatch.setattr(current_app.conf, "task_eager_propagates", False)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.photos.test_tasks.FlakyStorage",
            "OPTIONS": {"location": media_root},
        },
    }
    # Every class attribute a test may set starts afresh: an error left by one test would
    # otherwise become the next test's.
    monkeypatch.setattr(FlakyStorage, "failures", 0)
    monkeypatch.setattr(FlakyStorage, "error", OSError("Connection reset by peer"))
    monkeypatch.setattr(FlakyStorage, "reads", 0)
    return FlakyStorage


def s3_error(status: int, code: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetObject",
    )


@pytest.mark.parametrize(
    "error",
    [
        OSError("Connection reset by peer"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:8333/photos"),
        s3_error(503, "SlowDown"),
        s3_error(500, "InternalError"),
    ],
    ids=["os-error", "endpoint-unreachable", "s3-slow-down", "s3-internal-error"],
)
def test_a_transient_storage_error_is_retried_until_qc_succeeds(inspecting, flaky_storage, error):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    flaky_storage.failures, flaky_storage.error = 2, error

    result = run_qc.apply(kwargs={"photo_id": str(photo.pk)})

    assert result.successful()
    assert flaky_storage.reads == 3
    photo.refresh_from_db()
    assert photo.qc_status == QcStatus.PASS


def test_when_retries_run_out_the_photo_waits_for_the_sweep(inspecting, flaky_storage):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    flaky_storage.failures = 100

    result = run_qc.apply(kwargs={"photo_id": str(photo.pk)})

    assert result.failed()
    assert isinstance(result.result, TransientStorageError)
    assert flaky_storage.reads == 6  # the first try and 5 retries
    photo.refresh_from_db()
    # Nothing was decoded: the six claims count no attempt, and the sweep will run it again.
    assert (photo.qc_status, photo.qc_started_at, photo.qc_attempts) == (QcStatus.PENDING, None, 0)


def test_a_permanent_storage_error_is_not_retried(inspecting, flaky_storage):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    flaky_storage.failures, flaky_storage.error = 100, s3_error(403, "AccessDenied")

    result = run_qc.apply(kwargs={"photo_id": str(photo.pk)})

    assert result.failed()
    assert isinstance(result.result, ClientError)
    assert flaky_storage.reads == 1
    # Left claimed: the sweep re-queues it once the claim counts as abandoned.
    photo.refresh_from_db()
    assert photo.qc_status == QcStatus.RUNNING


def test_an_original_missing_from_s3_ends_in_error(inspecting, flaky_storage):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    flaky_storage.failures, flaky_storage.error = 1, s3_error(404, "NoSuchKey")

    run_qc(photo_id=str(photo.pk))

    photo.refresh_from_db()
    assert (photo.qc_status, photo.qc_error) == (
        QcStatus.ERROR,
        "the original file is missing from storage",
    )


# --- The sweep ----------------------------------------------------------------------------------


def test_the_sweep_requeues_photos_stuck_in_pending_or_running(inspecting, settings):
    stuck_for = timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS + 60)
    long_ago = timezone.now() - stuck_for
    lost = uploaded(inspecting, phone_jpeg(inspecting, seed=1))
    abandoned = uploaded(inspecting, phone_jpeg(inspecting, seed=2))
    fresh = uploaded(inspecting, phone_jpeg(inspecting, seed=3))
    Photo.objects.filter(pk=lost.pk).update(updated_at=long_ago)
    Photo.objects.filter(pk=abandoned.pk).update(
        qc_status=QcStatus.RUNNING, qc_started_at=long_ago, updated_at=long_ago
    )

    requeue_stuck()

    statuses = dict(Photo.objects.values_list("pk", "qc_status"))
    assert statuses == {
        lost.pk: QcStatus.PASS,
        abandoned.pk: QcStatus.PASS,
        fresh.pk: QcStatus.PENDING,
    }


def test_the_sweep_leaves_checked_photos_alone(inspecting, settings):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    run_qc(photo_id=str(photo.pk))
    long_ago = timezone.now() - timedelta(seconds=settings.PHOTO_QC_STUCK_SECONDS + 60)
    Photo.objects.filter(pk=photo.pk).update(updated_at=long_ago)

    requeue_stuck()

    assert Photo.objects.get().updated_at == long_ago


# --- End to end through the API, the task run in-process after commit ---------------------------


def upload_and_check(cast, property, data, *, role="assigned_agent", capture):
    with capture(execute=True):
        response = upload(cast.client(role), property, data)
    assert response.status_code == 202
    checked = cast.client(role).get(f"/api/v1/photos/{response.json()['id']}/")
    return checked.json()


def verdicts(photo: dict[str, Any]) -> tuple[str, dict[str, str]]:
    return photo["qc_status"], {check["name"]: check["result"] for check in photo["qc_checks"]}


def test_a_good_photo_taken_at_the_property_passes(
    cast, inspecting, django_capture_on_commit_callbacks
):
    photo = upload_and_check(
        cast, inspecting, phone_jpeg(inspecting), capture=django_capture_on_commit_callbacks
    )

    assert verdicts(photo) == ("PASS", ALL_PASS)
    assert photo["preview_url"] == f"http://testserver/api/v1/photos/{photo['id']}/preview"
    assert photo["gps"]["lat"] == pytest.approx(inspecting.latitude + 0.1 / 111.195, abs=1e-6)


def test_a_photo_just_beyond_the_limit_but_within_its_accuracy_warns(
    cast, inspecting, django_capture_on_commit_callbacks
):
    data = phone_jpeg(inspecting, north_km=0.55, accuracy_m=100)

    photo = upload_and_check(cast, inspecting, data, capture=django_capture_on_commit_callbacks)

    assert verdicts(photo) == ("WARN", {**ALL_PASS, "gps_distance": "warn"})


def test_a_photo_taken_far_away_fails_the_distance(
    cast, inspecting, django_capture_on_commit_callbacks
):
    data = phone_jpeg(inspecting, north_km=5)

    photo = upload_and_check(cast, inspecting, data, capture=django_capture_on_commit_callbacks)

    assert verdicts(photo) == ("FAIL", {**ALL_PASS, "gps_distance": "fail"})
    assert photo["distance_km"] == pytest.approx(5, abs=0.01)


def test_a_photo_without_gps_fails_gps_present(
    cast, inspecting, django_capture_on_commit_callbacks
):
    data = phone_jpeg(inspecting, north_km=None)

    photo = upload_and_check(cast, inspecting, data, capture=django_capture_on_commit_callbacks)

    assert verdicts(photo) == (
        "FAIL",
        {**ALL_PASS, "gps_present": "fail", "gps_distance": "fail"},
    )
    assert (photo["gps"], photo["distance_km"]) == (None, None)


def test_a_blurry_photo_warns(cast, inspecting, django_capture_on_commit_callbacks):
    data = phone_jpeg(inspecting, content="blurry")

    photo = upload_and_check(cast, inspecting, data, capture=django_capture_on_commit_callbacks)

    assert verdicts(photo) == ("WARN", {**ALL_PASS, "sharpness": "warn"})


def test_the_same_bytes_on_another_property_fail_as_a_duplicate(
    cast, inspecting, django_capture_on_commit_callbacks
):
    data = phone_jpeg(inspecting)
    elsewhere = PropertyFactory.create(owner=cast.other_client)
    upload_and_check(
        cast, elsewhere, data, role="other_client", capture=django_capture_on_commit_callbacks
    )

    photo = upload_and_check(cast, inspecting, data, capture=django_capture_on_commit_callbacks)

    assert verdicts(photo) == ("FAIL", {**ALL_PASS, "duplicate": "fail"})


def test_the_capture_time_is_shown_as_the_camera_wrote_it(
    cast, inspecting, django_capture_on_commit_callbacks
):
    # One moment for both photos: two readings of the clock can straddle a second.
    taken = timezone.now() - timedelta(hours=1)
    with_offset = phone_jpeg(inspecting, taken=taken)
    without_offset = phone_jpeg(inspecting, taken=taken, seed=1, offset=None)

    first = upload_and_check(
        cast, inspecting, with_offset, capture=django_capture_on_commit_callbacks
    )
    second = upload_and_check(
        cast, inspecting, without_offset, capture=django_capture_on_commit_callbacks
    )

    assert first["taken_at"].endswith("+05:30")
    assert len(first["taken_at"]) == 25
    assert second["taken_at"] == first["taken_at"][:19]


# --- The real-photo corpus ----------------------------------------------------------------------


@pytest.mark.parametrize("entry", corpus_params())
def test_each_corpus_photo_is_refused_or_checked_as_its_ground_truth_says(
    cast, draft, django_capture_on_commit_callbacks, entry
):
    data = corpus_bytes(entry)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(cast.client("owner"), draft, data, name=entry["file"])

    if entry["expect"] == "unreadable":
        assert response.status_code == 415 or (
            response.status_code == 202
            and Photo.objects.get(pk=response.json()["id"]).qc_status == QcStatus.ERROR
        )
        return
    assert response.status_code == 202
    photo = cast.client("owner").get(f"/api/v1/photos/{response.json()['id']}/").json()
    truth = entry["gps"] if entry["expect"] == "ok" else None
    assert {
        "make": photo["make"],
        "model": photo["model"],
        "gps": photo["gps"],
        "qc_status": photo["qc_status"] in ("PASS", "WARN", "FAIL"),
    } == {
        "make": entry["make"] or "",
        "model": entry["model"] or "",
        "gps": None
        if truth is None
        else {
            "lat": pytest.approx(truth["lat"], abs=1e-6),
            "lon": pytest.approx(truth["lon"], abs=1e-6),
            "alt": None if truth["alt"] is None else pytest.approx(truth["alt"], abs=1e-6),
            "accuracy_m": entry["gps_hpositioning_error"],
        },
        "qc_status": True,
    }


def test_a_reshoot_sms_goes_through_a_task_of_ids_and_stays_out_of_the_logs(
    cast, draft, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    posted = use_twilio(settings, monkeypatch)
    photo = uploaded(draft, phone_jpeg(draft), category="LIVING")
    reason = "The curtains hide the balcony door."

    with django_capture_on_commit_callbacks(execute=True):
        photo_review(
            actor=cast.admin, photo_id=photo.pk, decision=ReviewDecision.RESHOOT, reason=reason
        )

    phone = str(cast.owner.phone)
    body = f"PropFlow: please re-take the living room photo at {draft.address}, Pune: {reason}"
    assert [(message["To"], message["Body"]) for message in posted] == [(phone, body)]
    secrets = (phone, phone.removeprefix("+"), body, draft.address, reason)
    assert [line for line in log_lines(caplog) if any(s in line for s in secrets)] == []
    assert task_runs(caplog) == [
        ("outbox.fan_out_webhooks", {"event_id": latest_event_id()}),
        ("photos.notify_reshoot", {"photo_id": str(photo.pk)}),
    ]


def test_a_reshoot_decided_otherwise_meanwhile_sends_nothing(cast, inspecting):
    photo = uploaded(inspecting, phone_jpeg(inspecting))
    photo_review(
        actor=cast.reviewer, photo_id=photo.pk, decision=ReviewDecision.RESHOOT, reason="Blurry."
    )
    photo_review(actor=cast.reviewer, photo_id=photo.pk, decision=ReviewDecision.APPROVE)

    notify_reshoot(photo_id=str(photo.pk))

    assert sms.outbox == []
