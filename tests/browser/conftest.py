"""Browser tests: Debian's chromium, driven by Playwright's sync API, against a real PropFlow
(uvicorn, in its own process, on the embedded default in a temporary folder) seeded with the
demo data. Run by .ci/browser.sh; skipped unless PROPFLOW_BROWSER_TESTS=1, /usr/bin/chromium
and the playwright package are there (the plain `make test` stays browser-free)."""

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.images import make_jpeg
from tests.support.live_clients import ApiUser
from tests.support.processes import ROOT, asgi_server, embedded_environment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts"
PASSWORD = "browser-Test-pass-4821"
REVIEWER_PHONE = "+919800000001"
CLIENT_PHONE = "+919800000201"
AGENT_PHONE = "+919800000101"  # the demo's Mumbai agent
INSPECTING_ADDRESS = "21 Carter Road, Bandra West"  # accepted by that agent
# Nothing answers on port 9 (discard) of the loopback: the map must draw without its tiles.
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
# The server's settings: the project's, with static files served from the finders (the tests do
# not collectstatic into the working tree's STATIC_ROOT).
SETTINGS_OVERLAY = "from propflow.settings import *  # noqa: F403\nWHITENOISE_USE_FINDERS = True\n"


def _skip_reason() -> str | None:
    if os.environ.get("PROPFLOW_BROWSER_TESTS") != "1":
        return "browser tests run with PROPFLOW_BROWSER_TESTS=1 (bash .ci/browser.sh)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (requirements/dev.txt)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass(frozen=True)
class Server:
    base_url: str
    data_dir: Path
    environment: dict[str, str]

    def manage(self, *arguments: str) -> str:
        finished = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self.environment,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return finished.stdout


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the session, with the demo data, a known staff password and a client
    who has a password too (to prove that a password alone does not open the admin)."""
    data_dir = tmp_path_factory.mktemp("browser")
    (data_dir / "browser_settings.py").write_text(SETTINGS_OVERLAY)
    environment = embedded_environment(
        data_dir,
        DJANGO_SETTINGS_MODULE="browser_settings",
        PYTHONPATH=os.pathsep.join([str(data_dir), str(ROOT)]),
        SMS_BACKEND="file",
        LEAFLET_TILE_URL=UNREACHABLE_TILES,
    )
    with asgi_server(environment) as base_url:
        running = Server(base_url=base_url, data_dir=data_dir, environment=environment)
        running.manage("seed_demo", "--password", PASSWORD)
        running.manage(
            "shell",
            "-c",
            "from accounts.models import User; "
            f"client = User.objects.get(phone='{CLIENT_PHONE}'); "
            f"client.set_password('{PASSWORD}'); client.save()",
        )
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


# Each page reports what its Content-Security-Policy blocked (the binding is Playwright's, so the
# policy does not block the report itself).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    return []


@pytest.fixture
def page(browser: Any, server: Server, csp_violations: list[str]) -> Iterator[Any]:
    """A fresh browser context; every test's pages must run without a CSP violation."""
    context = browser.new_context(
        base_url=server.base_url, accept_downloads=True, viewport={"width": 1680, "height": 1000}
    )
    context.set_default_timeout(15_000)
    context.expose_binding(
        "reportCspViolation", lambda source, violation: csp_violations.append(violation)
    )
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    yield page
    context.close()
    assert csp_violations == []


def sign_in(page: Any, phone: str, password: str = PASSWORD) -> None:
    page.goto("/admin/login/?next=/admin/properties/property/")
    page.fill("#id_username", phone)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


@pytest.fixture
def reviewer_page(page: Any) -> Any:
    sign_in(page, REVIEWER_PHONE)
    page.wait_for_url("**/admin/properties/property/")
    return page


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def agent(server: Server) -> ApiUser:
    """The Mumbai agent, signed in to the API with a code from the file SMS backend."""
    return ApiUser(server.base_url, server.data_dir / "sms", AGENT_PHONE)


def photo_at(
    property: dict[str, Any],
    *,
    seed: int = 7,
    shift: tuple[float, float] = (0.0, 0.0),
    make: str = "Google",
    model: str = "Pixel 8",
) -> bytes:
    """A phone photo taken now at the property's position, moved by `shift` degrees."""
    taken_at = datetime.now(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%dT%H:%M:%S")
    return make_jpeg(
        seed=seed,
        gps=(float(property["latitude"]) + shift[0], float(property["longitude"]) + shift[1]),
        taken_at=taken_at,
        offset="+05:30",
        make=make,
        model=model,
    )
