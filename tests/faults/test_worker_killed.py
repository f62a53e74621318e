"""A worker killed in the middle of a photo's QC loses nothing: the photo is checked once,
by another worker, after the sweep finds its claim abandoned."""

import httpx
import pytest

from photos.models import Photo, QcStatus
from tests.faults.conftest import (
    STUCK_SECONDS,
    bearer,
    bucket_keys,
    log_entries,
    needs_services,
    owner_with_draft,
    qc_runs,
    qc_status,
    run_sweep,
    slow_photo,
    upload_photo,
    wait_for,
)
from tests.support.processes import asgi_server, worker_process

pytestmark = [pytest.mark.services, needs_services]


@pytest.mark.django_db(transaction=True)
def test_a_photo_whose_worker_was_killed_mid_qc_is_checked_once_by_another(
    stack_environment, processes_redis_url, bucket_prefixes
) -> None:
    owner, property = owner_with_draft()
    bucket_prefixes.append(f"photos/{property.pk}/")
    photo_bytes = slow_photo(seed=11)

    with (
        asgi_server(stack_environment) as base_url,
        httpx.Client(base_url=base_url, headers=bearer(owner), timeout=30) as http,
    ):
        with worker_process(stack_environment, name="doomed-worker", pool="prefork") as doomed:
            uploaded = upload_photo(http, property.pk, photo_bytes)
            assert uploaded.status_code == 202, uploaded.text
            photo_id = uploaded.json()["id"]
            wait_for(
                lambda: qc_status(photo_id) == QcStatus.RUNNING,
                seconds=60,
                interval=0.01,
                what="the worker claims the photo",
            )
            # The pool child and its parent at once: nothing acknowledges or rejects the
            # message, which stays unacknowledged in Redis for its visibility timeout (1 h).
            assert doomed.kill() == -9
        abandoned = Photo.objects.get(pk=photo_id)
        assert (abandoned.qc_status, abandoned.processed_at) == (QcStatus.RUNNING, None), (
            "QC finished before the worker was killed: nothing was tested"
        )

        with worker_process(stack_environment, name="next-worker", pool="prefork") as rescuer:
            wait_for(
                lambda: qc_status(photo_id) not in (QcStatus.PENDING, QcStatus.RUNNING),
                seconds=STUCK_SECONDS + 90,
                interval=2,
                meanwhile=lambda: run_sweep(processes_redis_url),
                what="the sweep re-queues the abandoned photo and the next worker checks it",
            )
        final = http.get(f"/api/v1/photos/{photo_id}/")

    photo = Photo.objects.get(pk=photo_id)
    assert final.status_code == 200
    assert (final.json()["qc_status"], photo.qc_error) == ("PASS", ""), final.json()["qc_checks"]
    assert photo.processed_at is not None
    assert abandoned.qc_started_at is not None
    assert photo.qc_started_at is not None
    assert photo.qc_started_at > abandoned.qc_started_at  # a new claim took the old one over
    assert list(Photo.objects.filter(property=property).values_list("pk", flat=True)) == [photo.pk]
    assert bucket_keys(f"photos/{property.pk}/") == [
        f"photos/{property.pk}/{photo_id}/original",
        f"photos/{property.pk}/{photo_id}/preview.jpg",
    ]
    # The killed run recorded nothing, the next one recorded the verdict once.
    assert (qc_runs(doomed.log_text(), photo_id), qc_runs(rescuer.log_text(), photo_id)) == (0, 1)
    received = [
        entry
        for entry in log_entries(doomed.log_text())
        if "photos.run_qc" in entry["message"] and "received" in entry["message"]
    ]
    assert len(received) == 1, doomed.log_text()
    swept = [
        entry
        for entry in log_entries(rescuer.log_text())
        if entry["message"] == "re-queueing QC of 1 stuck photos"
    ]
    assert len(swept) >= 1, rescuer.log_text()
