"""The valuation report on a real S3 server (SeaweedFS in CI): kept in the bucket beside the
photos, made with the preview read from the bucket, served as the object holds it, and made
again when the bucket has lost it."""

import os
import re
from decimal import Decimal

from properties.models import Property, Status, ValuationReport
from tests.cast import authenticated_client
from tests.storage.conftest import NEEDS_S3, Uploaded, stored_object
from tests.support.pdf import pdf_text, requires_pdftotext
from tests.support.s3 import s3_client

pytestmark = NEEDS_S3


def _valued(uploaded: Uploaded) -> Property:
    Property.objects.filter(pk=uploaded.property.pk).update(
        status=Status.VALUED, valuation_amount=Decimal("8500000")
    )
    return uploaded.property


@requires_pdftotext
def test_the_report_is_kept_in_the_bucket_beside_the_photos(uploaded: Uploaded) -> None:
    property = _valued(uploaded)

    response = authenticated_client(uploaded.owner).get(f"/api/v1/properties/{property.pk}/report/")

    assert response.status_code == 200
    report = ValuationReport.objects.get()
    assert report.file.name == f"photos/{property.pk}/report-{report.pk}.pdf"
    stored, head = stored_object(report.file.name)
    assert stored == response.content
    assert head["ContentLength"] == report.size
    assert uploaded.photo.sha256 in pdf_text(stored)
    # The preview, read back from the bucket, is in it.
    assert re.search(rb"/Subtype\s*/Image", stored)


def test_a_report_the_bucket_lost_is_made_again(uploaded: Uploaded) -> None:
    property = _valued(uploaded)
    client = authenticated_client(uploaded.owner)
    assert client.get(f"/api/v1/properties/{property.pk}/report/").status_code == 200
    lost = ValuationReport.objects.get()
    s3_client().delete_object(Bucket=os.environ["S3_BUCKET"], Key=lost.file.name)

    response = client.get(f"/api/v1/properties/{property.pk}/report/")

    remade = ValuationReport.objects.get()
    assert response.status_code == 200
    assert remade.pk != lost.pk
    assert stored_object(remade.file.name)[0] == response.content
