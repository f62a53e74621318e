import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def test_it_reports_every_dependency_healthy(client, settings):
    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    expected = {"database", "cache", "storage"} | (
        set() if settings.CELERY_TASK_ALWAYS_EAGER else {"broker"}
    )
    assert set(body["checks"]) == expected
    assert all(check == {"ok": True} for check in body["checks"].values())


def test_it_answers_503_when_the_cache_is_down(client, settings):
    # A real cache server that does not answer: nothing listens on port 1.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}
    assert response.json()["checks"]["database"] == {"ok": True}


def test_it_answers_503_when_the_database_is_down(tmp_path):
    # A separate process configured with a PostgreSQL server that does not answer.
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client(SERVER_NAME='localhost').get('/health');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    environment = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/propflow",
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "propflow.settings",
    }
    environment.pop("REDIS_URL", None)
    environment.pop("S3_BUCKET", None)

    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )

    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert answer["body"]["checks"]["cache"] == {"ok": True}


def test_it_answers_503_when_storage_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "media"},
        },
    }

    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"ok": False, "error": "NotADirectoryError"}
