"""``manage.py recheck_provenance``: photos checked before the provenance check get it, once."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from photos.models import Photo, QcStatus
from photos.services import photo_run_qc
from tests.factories import PhotoFactory, PropertyFactory
from tests.photos.conftest import phone_jpeg, uploaded
from tests.support.images import c2pa_corpus_bytes, c2pa_corpus_entry

pytestmark = pytest.mark.django_db


def checked_before_provenance(property, data: bytes) -> Photo:
    """A photo as QC left it before the provenance check existed: six checks, no credentials."""
    photo = uploaded(property, data)
    photo_run_qc(photo_id=photo.pk)
    photo.refresh_from_db()
    photo.qc_checks = [check for check in photo.qc_checks if check["name"] != "provenance"]
    photo.content_credentials = None
    photo.save(update_fields=["qc_checks", "content_credentials"])
    return photo


def recheck(*arguments: str) -> str:
    output = io.StringIO()
    call_command("recheck_provenance", *arguments, stdout=output)
    return output.getvalue()


def test_photos_checked_before_the_check_get_it_with_their_credentials(inspecting, c2pa_trusted):
    plain = checked_before_provenance(inspecting, phone_jpeg(inspecting))
    signed = checked_before_provenance(
        inspecting, c2pa_corpus_bytes(c2pa_corpus_entry("capture_canon_600d_gps_rewritten.jpg"))
    )

    output = recheck("--batch-size", "1")

    plain.refresh_from_db()
    signed.refresh_from_db()
    assert output.split("\r")[1:] == [
        f"[{'#' * 15}{'.' * 15}] 1/2",
        f"[{'#' * 30}] 2/2\nRechecked 2 photos: FAIL 1, PASS 1.\n",
    ]
    assert [check["name"] for check in plain.qc_checks][-1] == "provenance"
    assert (plain.qc_status, plain.content_credentials) == (QcStatus.PASS, None)
    assert signed.content_credentials is not None
    assert (signed.qc_status, signed.content_credentials["validation"]) == (
        QcStatus.FAIL,
        "invalid",
    )


def test_a_second_run_finds_nothing_to_do(inspecting):
    photo = checked_before_provenance(inspecting, phone_jpeg(inspecting))
    recheck()
    processed_at = Photo.objects.get(pk=photo.pk).processed_at

    output = recheck()

    assert output == "Every checked photo has the provenance check: nothing to do.\n"
    assert Photo.objects.get(pk=photo.pk).processed_at == processed_at


def test_only_finished_photos_of_the_property_asked_for_are_rechecked(cast, inspecting):
    mine = checked_before_provenance(inspecting, phone_jpeg(inspecting))
    other = PropertyFactory.create(owner=cast.owner)
    elsewhere = PhotoFactory.create(property=other, qc_status=QcStatus.PASS, qc_checks=[])
    unreadable = PhotoFactory.create(property=inspecting, qc_status=QcStatus.ERROR)
    pending = PhotoFactory.create(property=inspecting)

    output = recheck("--property", str(inspecting.pk))

    assert output.endswith("Rechecked 1 photos: PASS 1.\n")
    assert Photo.objects.get(pk=mine.pk).qc_checks[-1]["name"] == "provenance"
    assert [
        (photo.qc_status, photo.qc_checks)
        for photo in Photo.objects.filter(
            pk__in=[elsewhere.pk, unreadable.pk, pending.pk]
        ).order_by("created_at")
    ] == [(QcStatus.PASS, []), (QcStatus.ERROR, []), (QcStatus.PENDING, [])]


def test_an_unknown_property_is_refused(db):
    with pytest.raises(CommandError, match="No property"):
        recheck("--property", str(uuid.uuid4()))


def test_a_photo_storage_cannot_give_now_is_left_for_the_sweep(inspecting, monkeypatch):
    photo = checked_before_provenance(inspecting, phone_jpeg(inspecting))

    def storage_down(name, *args):
        raise ConnectionResetError("storage is down")

    monkeypatch.setattr("photos.storage.default_storage.open", storage_down)
    output = recheck()

    assert output.endswith("Rechecked 1 photos: left for the sweep (storage unavailable) 1.\n")
    assert Photo.objects.get(pk=photo.pk).qc_status == QcStatus.PENDING
