"""The Content-Security-Policy of the admin and the API docs (propflow.csp): sent on their pages,
with no inline script or style allowed, and pages that need none."""

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Role, User
from propflow.csp import HEADER, ContentSecurityPolicyMiddleware, policy_header, url_source
from tests.factories import PhotoFactory, PropertyFactory, UserFactory
from tests.support.processes import ROOT, embedded_environment

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    return {
        name: sources for name, *sources in (directive.split() for directive in header.split(";"))
    }


class _InlineCode(HTMLParser):
    """What a policy without 'unsafe-inline' would block: inline scripts (JSON data is not run),
    event handler attributes, style elements and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        is_data = attributes.get("type") == "application/json"
        if tag == "script" and "src" not in attributes and not is_data:
            self.found.append(f"inline <script> {attributes}")
        if tag == "style":
            self.found.append("<style>")
        self.found.extend(
            f"{name}= on <{tag}>" for name in attributes if name == "style" or name.startswith("on")
        )


def _inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def admin() -> User:
    return UserFactory.create(role=Role.ADMIN)


@pytest.fixture
def admin_client(admin: User) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def _back_office_pages(admin: User) -> list[str]:
    """A page of each kind in the back office: lists, a property with its map and photo cards,
    a workflow form (with the admin's date widget), a photo, the users."""
    property = PropertyFactory.create(status="SUBMITTED", latitude=19.07, longitude=72.87)
    photo = PhotoFactory.create(property=property, gps_lat=19.071, gps_lon=72.87, uploaded_by=admin)
    return [
        reverse("admin:index"),
        reverse("admin:properties_property_changelist"),
        reverse("admin:properties_property_change", args=[property.pk]),
        reverse("admin:properties_property_workflow", args=[property.pk, "assign"]),
        reverse("admin:photos_photo_changelist"),
        reverse("admin:photos_photo_change", args=[photo.pk]),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[admin.pk]),
    ]


def test_it_sends_the_policy_on_the_admin_s_pages(
    admin: User, admin_client: Client, settings: Any
) -> None:
    expected = policy_header(settings.CONTENT_SECURITY_POLICY)

    for url in _back_office_pages(admin):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert response[HEADER] == expected, url


def test_it_sends_the_policy_on_the_sign_in_page_and_the_api_docs(
    client: Client, settings: Any
) -> None:
    expected = policy_header(settings.CONTENT_SECURITY_POLICY)

    for url in ("/admin/login/", "/api/v1/docs/", "/api/v1/docs"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response[HEADER] == expected, url


def test_the_policy_allows_no_inline_script_or_style(client: Client) -> None:
    directives = _directives(client.get("/admin/login/")[HEADER])

    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in directives.values() for source in sources)


def test_the_admin_s_pages_have_no_inline_script_handler_or_style(
    admin: User, admin_client: Client
) -> None:
    for url in _back_office_pages(admin):
        html = admin_client.get(url).content.decode()
        assert _inline_code(html) == [], url
    assert _inline_code(Client().get("/admin/login/").content.decode()) == []


def test_the_api_docs_load_their_script_and_style_from_urls(client: Client) -> None:
    html = client.get("/api/v1/docs/").content.decode()
    script = client.get("/api/v1/docs/?script=")

    assert _inline_code(html) == []
    assert '<script src="/api/v1/docs/?script="></script>' in html
    assert "propflow/swagger_ui.css" in html
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/v1/schema"' in script.content.decode()


def test_the_images_may_come_from_the_map_s_tile_server(settings: Any) -> None:
    image_sources = settings.CONTENT_SECURITY_POLICY["img-src"]

    assert url_source(settings.LEAFLET_TILE_URL) in image_sources
    assert url_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://tile.openstreetmap.org"
    )
    assert url_source("http://{s}.tiles.example:8080/{z}/{x}/{y}.png?key=k") == (
        "http://*.tiles.example:8080"
    )


def _image_sources(data_dir: Path, **environment: str) -> list[str]:
    """img-src as the settings build it from this environment (in a process of its own)."""
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['img-src']))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=embedded_environment(
            data_dir,
            **{"S3_ENDPOINT_URL": "", "CONTENT_SECURITY_POLICY_IMG_SRC": "", **environment},
        ),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    sources: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return sources


def test_the_images_may_come_from_the_photo_storage_and_more_sources(tmp_path: Path) -> None:
    keys = {"AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret", "S3_BUCKET": "photos"}

    assert _image_sources(
        tmp_path,
        LEAFLET_TILE_URL="https://{s}.tiles.example/{z}/{x}/{y}.png",
        CONTENT_SECURITY_POLICY_IMG_SRC="https://cdn.example,https://img.example",
    ) == [
        "'self'",
        "data:",
        "https://*.tiles.example",
        "https://cdn.example",
        "https://img.example",
    ]
    assert _image_sources(
        tmp_path, LEAFLET_TILE_URL="", S3_ENDPOINT_URL="https://minio.example:9000/", **keys
    ) == ["'self'", "data:", "https://minio.example:9000"]
    assert _image_sources(tmp_path, LEAFLET_TILE_URL="", S3_REGION="ap-south-1", **keys) == [
        "'self'",
        "data:",
        "https://s3.amazonaws.com",
        "https://s3.ap-south-1.amazonaws.com",
    ]


def test_the_api_and_the_health_check_have_no_policy(client: Client) -> None:
    assert HEADER not in client.get("/health")
    assert HEADER not in client.get("/api/v1/properties/")


def test_a_view_s_own_policy_is_kept() -> None:
    own = "default-src 'none'"
    response = HttpResponse()
    response[HEADER] = own
    middleware = ContentSecurityPolicyMiddleware(lambda request: response)

    answered = middleware.process_response(RequestFactory().get("/admin/something/"), response)

    assert answered[HEADER] == own
