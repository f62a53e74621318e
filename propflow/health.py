"""``GET /health``: one check per dependency in use; 503 when any is down."""

import logging
import os
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from propflow.celery import app as celery_app

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    cache.set("health:probe", "ok", timeout=10)
    if cache.get("health:probe") != "ok":
        raise RuntimeError("cache did not return the value just written")


def check_broker() -> None:
    with celery_app.connection_for_write() as connection_:
        connection_.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)


def check_storage() -> None:
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None:
        bucket.meta.client.head_bucket(Bucket=bucket.name)
        return
    location = default_storage.path("")
    os.makedirs(location, exist_ok=True)
    if not os.access(location, os.W_OK):
        raise RuntimeError("media folder is not writable")


def checks_in_use() -> dict[str, Callable[[], None]]:
    checks = {"database": check_database, "cache": check_cache, "storage": check_storage}
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = check_broker
    return checks


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in checks_in_use().items():
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure means the dependency is down
            logger.warning("health check %s failed: %s", name, error)
            results[name] = {"ok": False, "error": type(error).__name__}
        else:
            results[name] = {"ok": True}
    healthy = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
