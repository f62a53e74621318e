"""The settings as a process started from scratch reads them: each case runs `manage.py` in a
process of its own, with the environment the test gives it (no DEBUG, keys or .env of the
developer's)."""

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

KEY = "settings-test-" + "s" * 50
OTHER_KEY = "settings-test-jwt-" + "j" * 50
SYSTEM_VARIABLES = ("PATH", "HOME", "LANG", "TMPDIR")
PRINT_SETTINGS = (
    "import json; from django.conf import settings; print(json.dumps({"
    "'DEBUG': settings.DEBUG, 'SECRET_KEY': settings.SECRET_KEY,"
    " 'SIGNING_KEY': settings.SIMPLE_JWT['SIGNING_KEY']}))"
)
# The production environment of the README (services that need not answer for a check).
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": KEY,
    "ALLOWED_HOSTS": "propflow.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://propflow.example.com",
    "DATABASE_URL": "postgres://propflow@127.0.0.1:1/propflow",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "S3_BUCKET": "propflow",
    "AWS_ACCESS_KEY_ID": "propflow",
    "AWS_SECRET_ACCESS_KEY": "propflow-secret",
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM_NUMBER": "+15005550006",
}


def manage(data_dir: Path, *arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    bare = {name: os.environ[name] for name in SYSTEM_VARIABLES if name in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**bare, "ENV_FILE": "", **environment, "DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_of(data_dir: Path, **environment: str) -> dict[str, object]:
    printed = manage(data_dir, "shell", "-c", PRINT_SETTINGS, **environment)
    assert printed.returncode == 0, printed.stderr
    settings: dict[str, object] = json.loads(printed.stdout.strip().splitlines()[-1])
    return settings


def image_environment() -> dict[str, str]:
    """The variables the ENV instructions of the Dockerfile's last stage set in the image (its
    PATH aside; the tests give DATA_DIR)."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    image_stage = dockerfile.rpartition("\nFROM ")[2]
    environment: dict[str, str] = {}
    for instruction in image_stage.splitlines():
        if instruction.startswith("ENV "):
            for word in shlex.split(instruction.removeprefix("ENV ")):
                name, _, value = word.partition("=")
                environment[name] = value
    environment.pop("PATH")
    return environment


def test_the_image_does_not_start_without_a_secret_key(tmp_path):
    checked = manage(tmp_path, "check", **image_environment())

    assert checked.returncode == 1
    assert (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off"
        in checked.stderr
    )


def test_the_image_starts_with_a_secret_key_and_debug_off(tmp_path):
    environment = {**image_environment(), "SECRET_KEY": KEY}

    checked = manage(tmp_path, "check", **environment)

    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "System check identified no issues (0 silenced).\n"
    assert settings_of(tmp_path, **environment) == {
        "DEBUG": False,
        "SECRET_KEY": KEY,
        "SIGNING_KEY": KEY,
    }


def test_with_debug_on_a_random_key_is_made_once_and_kept_in_the_data_folder(tmp_path):
    first = settings_of(tmp_path, DEBUG="true")
    again = settings_of(tmp_path, DEBUG="true")
    elsewhere = settings_of(tmp_path / "elsewhere", DEBUG="true")

    key_file = tmp_path / "secret_key"
    assert first["DEBUG"] is True
    assert first["SECRET_KEY"] == again["SECRET_KEY"] == key_file.read_text()
    assert len(str(first["SECRET_KEY"])) >= 50
    assert elsewhere["SECRET_KEY"] != first["SECRET_KEY"]
    assert first["SIGNING_KEY"] == first["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_tokens_have_a_signing_key_of_their_own_when_one_is_set(tmp_path):
    own = settings_of(tmp_path, SECRET_KEY=KEY, JWT_SIGNING_KEY=OTHER_KEY)
    empty = settings_of(tmp_path, SECRET_KEY=KEY, JWT_SIGNING_KEY="")

    assert own == {"DEBUG": False, "SECRET_KEY": KEY, "SIGNING_KEY": OTHER_KEY}
    assert empty == {"DEBUG": False, "SECRET_KEY": KEY, "SIGNING_KEY": KEY}


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    checked = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "System check identified no issues (0 silenced).\n"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {"PHOTO_CONTENT_BACKEND": "google_vision"},
            "PHOTO_CONTENT_BACKEND=google_vision needs GOOGLE_VISION_API_KEY.",
        ),
        (
            {"PHOTO_CONTENT_BACKEND": "rekognition"},
            "PHOTO_CONTENT_BACKEND must be empty, google_vision or locmem.",
        ),
        (
            {"PHOTO_CONTENT_BACKEND": "locmem", "PHOTO_CONTENT_TIMEOUT_SECONDS": "60"},
            "PHOTO_CONTENT_TIMEOUT_SECONDS must be positive and below half "
            "CELERY_TASK_SOFT_TIME_LIMIT.",
        ),
    ],
    ids=["no-key", "unknown-backend", "timeout-beyond-the-task-s"],
)
def test_a_content_backend_that_could_not_work_stops_the_start(tmp_path, environment, message):
    # Found in the QC task instead, it would fail every photo's run and the sweep re-queue it.
    checked = manage(tmp_path, "check", SECRET_KEY=KEY, **environment)

    assert checked.returncode == 1
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in checked.stderr


def test_the_content_label_table_comes_whole_from_the_environment(tmp_path):
    printed = manage(
        tmp_path,
        "shell",
        "-c",
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.PHOTO_CONTENT_EXPECTED_LABELS))",
        SECRET_KEY=KEY,
        PHOTO_CONTENT_EXPECTED_LABELS=" KITCHEN=kitchen,kitchen sink;OTHER=",
    )

    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout.strip().splitlines()[-1]) == {
        "KITCHEN": ["kitchen", "kitchen sink"],
        "OTHER": [],
    }
