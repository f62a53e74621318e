"""GET /api/v1/properties/{id}/report/: who gets the valuation report when, what it says (read
back from the PDF with pdftotext), how it is made on approval and kept beside the photos, and
that a refusal changes nothing."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from photos.models import Photo, QcStatus, ReviewStatus
from properties.models import Property, Status, StatusChange, ValuationReport
from properties.reports import property_report_make
from properties.tasks import make_report
from tests.cast import ROLES, Cast
from tests.factories import PhotoFactory
from tests.photos.conftest import IST, phone_jpeg, stored_files, upload
from tests.properties.conftest import Snapshot, property_in
from tests.support.images import make_jpeg
from tests.support.pdf import pdf_text, pdf_words, requires_pdftotext

pytestmark = pytest.mark.django_db

# At most 300 characters: the longest address a property may have.
HOSTILE = '#import "x": * #panic("no") *bold* <script>alert(1)</script> $x$ ' + "Z" * 220


def report_url(property: Property) -> str:
    return f"/api/v1/properties/{property.pk}/report/"


def _valued_through_the_api(cast: Cast, capture: Any) -> Property:
    """An inspection as it happens: the agent uploads three phone photos (QC runs after each
    upload's commit; the kitchen's was taken 3 km away), completes, and the reviewer approves
    with a valuation, which makes the report after commit."""
    property = property_in(Status.INSPECTING, cast=cast, address="12 Koregaon Park Road")
    agent = cast.client("assigned_agent")
    for seed, (category, north_km) in enumerate((("FRONT", 0.05), ("LIVING", 0.1), ("KITCHEN", 3))):
        with capture(execute=True):
            data = phone_jpeg(property, north_km=north_km, seed=seed)
            assert upload(agent, property, data, category=category).status_code == 202
    assert agent.post(f"/api/v1/properties/{property.pk}/complete/").status_code == 200
    with capture(execute=True):
        approved = cast.client("reviewer").post(
            f"/api/v1/properties/{property.pk}/approve/",
            {"valuation_amount": "8500000", "valuation_notes": "In line with the street."},
            format="json",
        )
    assert approved.status_code == 200, approved.content
    return property


@requires_pdftotext
def test_approval_makes_the_report_that_the_owner_downloads(
    cast, media_root: Path, django_capture_on_commit_callbacks
):
    property = _valued_through_the_api(cast, django_capture_on_commit_callbacks)
    report = ValuationReport.objects.get(property=property)
    photos = list(Photo.objects.filter(property=property).order_by("created_at"))

    response = cast.client("owner").get(report_url(property), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, max-age=300"
    assert report.file.name == f"photos/{property.pk}/report-{report.pk}.pdf"
    assert response.content == (media_root / report.file.name).read_bytes()
    assert len(response.content) == report.size
    text = pdf_text(response.content)
    assert "12 Koregaon Park Road, Pune" in text
    assert "Value ₹85,00,000" in text
    assert "In line with the street." in text
    approval = StatusChange.objects.get(property=property, to_status=Status.VALUED)
    approved_at = timezone.localtime(approval.created_at, IST).strftime("%d %b %Y, %H:%M IST")
    assert f"Approved By Reviewer (Reviewer) on {approved_at}" in text
    assert f"Report {report.pk}" in text
    assert "DRAFT" not in text
    assert [p.qc_status for p in photos] == [QcStatus.PASS, QcStatus.PASS, QcStatus.FAIL]
    for photo in photos:
        assert f"SHA-256 of the original: {photo.sha256}" in text
        for check in photo.qc_checks:
            assert f"{check['name']} {check['result'].upper()} {check['detail']}" in text
    assert "Photo 3: Kitchen FAIL" in text
    # The property was made INSPECTING (tests/properties/conftest.py): two changes since.
    for change in ("Inspecting → In review Assigned agent (Field agent)", "In review → Valued"):
        assert change in text


@requires_pdftotext
def test_staff_get_a_draft_in_review_that_is_not_kept(cast, media_root: Path):
    property = property_in(Status.IN_REVIEW, cast=cast)
    PhotoFactory.create(property=property, uploaded_by=cast.assigned_agent)

    response = cast.client("reviewer").get(report_url(property))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content)
    assert "Valuation report (DRAFT)" in text
    assert "DRAFT: not valued" in text
    assert "Value Not valued yet" in text
    assert ValuationReport.objects.count() == 0
    assert [name for name in stored_files(media_root) if "report" in name] == []


def test_a_missing_report_is_made_on_request_and_kept(cast, media_root: Path):
    property = property_in(Status.VALUED, cast=cast)

    first = cast.client("owner").get(report_url(property))
    second = cast.client("reviewer").get(report_url(property))

    report = ValuationReport.objects.get()
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content == second.content == (media_root / report.file.name).read_bytes()
    assert stored_files(media_root) == [report.file.name]


def test_a_report_that_storage_lost_is_made_again(cast, media_root: Path):
    property = property_in(Status.VALUED, cast=cast)
    lost = property_report_make(property_id=property.pk)
    assert lost is not None
    (media_root / lost.file.name).unlink()

    response = cast.client("owner").get(report_url(property))

    remade = ValuationReport.objects.get()
    assert response.status_code == 200
    assert remade.pk != lost.pk
    assert response.content == (media_root / remade.file.name).read_bytes()


def test_the_task_makes_one_report_however_often_it_runs(cast, media_root: Path):
    valued = property_in(Status.VALUED, cast=cast)
    in_review = property_in(Status.IN_REVIEW, cast=cast)

    make_report(property_id=str(valued.pk))
    make_report(property_id=str(valued.pk))
    make_report(property_id=str(in_review.pk))

    report = ValuationReport.objects.get()
    assert report.property_id == valued.pk
    assert stored_files(media_root) == [report.file.name]


def test_storage_down_is_a_503_with_nothing_kept(cast, media_root: Path, settings):
    property = property_in(Status.VALUED, cast=cast)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.photos.test_upload_api.UnreachableStorage",
            "OPTIONS": {"location": media_root},
        },
    }

    response = cast.client("owner").get(report_url(property))

    assert response.status_code == 503
    assert response.json() == {
        "detail": "Report storage is unavailable; try again shortly.",
        "code": "storage_unavailable",
    }
    assert ValuationReport.objects.count() == 0
    assert stored_files(media_root) == []


def _queries_for_report(property: Property) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert property_report_make(property_id=property.pk) is not None
    return len(queries)


def test_the_report_reads_the_same_few_queries_whatever_the_number_of_photos(cast):
    one, many = property_in(Status.VALUED, cast=cast), property_in(Status.VALUED, cast=cast)
    PhotoFactory.create(property=one, uploaded_by=cast.assigned_agent)
    for _ in range(6):
        PhotoFactory.create(property=many, uploaded_by=cast.assigned_agent)

    assert _queries_for_report(one) == _queries_for_report(many)


@requires_pdftotext
def test_hostile_text_from_users_and_files_is_printed_as_typed(cast):
    property = property_in(Status.VALUED, cast=cast, address=HOSTILE, valuation_notes=HOSTILE)
    StatusChange.objects.create(
        property=property,
        from_status=Status.IN_REVIEW,
        to_status=Status.VALUED,
        actor=cast.reviewer,
        actor_role="reviewer",
        reason=HOSTILE,
    )
    PhotoFactory.create(
        property=property,
        uploaded_by=cast.assigned_agent,
        make=HOSTILE[:100],
        qc_status=QcStatus.WARN,
        qc_checks=[{"name": "provenance", "result": "warn", "detail": HOSTILE}],
        content_credentials={
            "validation": "valid",
            "signer": HOSTILE,
            "generator": "<img src=x onerror=alert(1)>",
            "signed_at": None,
            "actions": ["c2pa.created", HOSTILE],
            "ai_generated": False,
            "failures": [],
        },
        preview=ContentFile(make_jpeg(640, 480), name="preview.jpg"),
    )

    response = cast.client("owner").get(report_url(property))

    assert response.status_code == 200
    text = pdf_text(response.content)
    markup = '#import "x": * #panic("no") *bold* <script>alert(1)</script> $x$'
    # Address (twice: title and facts), notes, reason, camera, check, signer, actions.
    assert text.count(markup) == 8
    assert "Generator <img src=x onerror=alert(1)>" in text
    pages, words = pdf_words(response.content)
    for word in words:
        assert word.x_min > 0, word
        assert word.x_max < pages[word.page - 1].width, word


# --- Who gets it when: every status, every role ------------------------------------------------

SEES_ITS_REPORT = {
    "owner": {Status.VALUED},
    "reviewer": {Status.IN_REVIEW, Status.VALUED, Status.REJECTED},
    "admin": {Status.IN_REVIEW, Status.VALUED, Status.REJECTED},
}
STATUSES_WITH_AGENT = {
    Status.ASSIGNED,
    Status.INSPECTING,
    Status.IN_REVIEW,
    Status.VALUED,
    Status.REJECTED,
}


def _expected(role: str, status: Status) -> tuple[int, str | None]:
    if role == "anonymous":
        return 401, "not_authenticated"
    if role in ("other_client", "unrelated_agent"):
        return 404, "not_found"
    if role == "assigned_agent":
        return (403, "report_forbidden") if status in STATUSES_WITH_AGENT else (404, "not_found")
    return (200, None) if status in SEES_ITS_REPORT[role] else (409, "report_not_ready")


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_report_only_when_it_may(
    role: str, status: Status, cast, media_root: Path, django_capture_on_commit_callbacks
):
    property = property_in(status, cast=cast)
    before = Snapshot.of(property)
    expected_status, expected_code = _expected(role, status)

    with django_capture_on_commit_callbacks() as callbacks:
        response = cast.client(role).get(report_url(property))

    assert response.status_code == expected_status, response.content
    if expected_code is None:
        assert response.content.startswith(b"%PDF-")
        kept = ValuationReport.objects.filter(property=property).count()
        assert kept == (1 if status == Status.VALUED else 0)
        return
    body = response.json()
    assert body["code"] == expected_code
    assert isinstance(body["detail"], str)
    assert Snapshot.of(property) == before
    assert callbacks == []
    assert ValuationReport.objects.count() == 0
    assert stored_files(media_root) == []


def test_the_refusal_before_valuation_names_the_status(cast):
    property = property_in(Status.IN_REVIEW, cast=cast)

    response = cast.client("owner").get(report_url(property))

    assert response.json() == {
        "detail": "The report is available once the property is VALUED; this property is "
        "IN_REVIEW.",
        "code": "report_not_ready",
        "current_status": "IN_REVIEW",
    }


@requires_pdftotext
def test_the_valuation_amount_is_grouped_in_lakhs_and_crores(cast):
    property = property_in(Status.VALUED, cast=cast, valuation_amount=Decimal("123456789.50"))

    response = cast.client("owner").get(report_url(property))

    assert "Value ₹12,34,56,789.50" in pdf_text(response.content)


# --- From the admin's property page ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "link"),
    [
        (Status.SUBMITTED, None),
        (Status.IN_REVIEW, "Draft report (PDF)"),
        (Status.VALUED, "Valuation report (PDF)"),
        (Status.REJECTED, "Draft report (PDF)"),
    ],
)
def test_the_admin_page_links_the_report_that_its_session_downloads(
    status: Status, link: str | None, cast
):
    property = property_in(status, cast=cast)
    browser = Client()
    browser.force_login(cast.reviewer)

    page = browser.get(f"/admin/properties/property/{property.pk}/change/")

    url = reverse("property-report", args=[property.pk])
    assert page.status_code == 200
    if link is None:
        assert 'class="report-link"' not in page.content.decode()
        return
    assert f'<a href="{url}" class="report-link">{link}</a>' in page.content.decode()
    download = browser.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"


def test_a_client_session_is_no_way_around_the_report_rules(cast):
    property = property_in(Status.IN_REVIEW, cast=cast)
    browser = Client()
    browser.force_login(cast.owner)

    response = browser.get(report_url(property))

    assert response.status_code == 409
    assert response.json()["code"] == "report_not_ready"


@requires_pdftotext
def test_the_photo_facts_say_what_the_file_and_the_review_recorded(cast):
    property = property_in(Status.IN_REVIEW, cast=cast, assigned_agent=None, assigned_at=None)
    PhotoFactory.create(
        property=property,
        gps_lat=18.5371,
        gps_lon=73.8940,
        gps_alt=-3.5,
        gps_accuracy_m=12.0,
        taken_at="2026-12-01T10:00:00",
        review_status=ReviewStatus.RESHOOT,
        review_reason="The kitchen is blurred",
    )

    text = pdf_text(cast.client("reviewer").get(report_url(property)).content)

    assert "Field agent —" in text
    assert "GPS 18.537100, 73.894000 · altitude -4 m · accuracy ±12 m" in text
    assert "Capture time 2026-12-01T10:00:00 " in text
    assert "Review Re-shoot requested: The kitchen is blurred" in text
