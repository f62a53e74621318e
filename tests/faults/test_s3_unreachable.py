"""S3 out of reach: the server refuses uploads with a 503 that says so, keeps nothing of them,
and its health check reports the storage down."""

from pathlib import Path

import httpx
import pytest

from photos.models import Photo
from tests.faults.conftest import (
    bearer,
    bucket_keys,
    needs_services,
    owner_with_draft,
    phone_photo,
    upload_photo,
)
from tests.support.processes import asgi_server, free_port

pytestmark = [pytest.mark.services, needs_services]


@pytest.mark.django_db(transaction=True)
def test_uploads_get_a_503_and_leave_nothing_while_s3_is_unreachable(
    stack_environment: dict[str, str], tmp_path: Path
) -> None:
    owner, property = owner_with_draft()
    # The bucket's credentials and name, at an address where nothing listens.
    environment = {**stack_environment, "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}

    with (
        asgi_server(environment, healthy=False) as base_url,
        httpx.Client(base_url=base_url, headers=bearer(owner), timeout=60) as http,
    ):
        uploaded = upload_photo(http, property.pk, phone_photo(seed=21))
        health = http.get("/health")

    assert uploaded.status_code == 503
    assert uploaded.headers["content-type"] == "application/json"
    assert uploaded.json() == {
        "detail": "Photo storage is unavailable; try again shortly.",
        "code": "storage_unavailable",
    }
    assert Photo.objects.filter(property=property).count() == 0
    assert bucket_keys(f"photos/{property.pk}/") == []  # the real bucket, as a check
    assert sorted(tmp_path.glob("media/**/*")) == []  # nor a local fallback
    assert health.status_code == 503
    assert health.json() == {
        "status": "unavailable",
        "checks": {
            "database": {"ok": True},
            "cache": {"ok": True},
            "storage": {"ok": False, "error": "EndpointConnectionError"},
            "broker": {"ok": True},
        },
    }
