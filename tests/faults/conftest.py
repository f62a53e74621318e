"""Faults on the real stack: PropFlow's own processes (ASGI server, Celery worker) on this
machine's PostgreSQL, Redis and S3, broken on purpose. The tests talk to the processes over
HTTP and read the shared test database; the Redis restart runs last (it empties Redis).

The processes use Redis database FAULTS_REDIS_DATABASE, emptied before each test, and short
QC time limits (QC_ENVIRONMENT) so that the sweep may take a stuck photo over within seconds.
"""

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from celery import Celery
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Role, User
from photos.models import Photo, QcStatus
from properties.models import Property
from tests.factories import PropertyFactory, UserFactory
from tests.support.images import make_jpeg
from tests.support.processes import (
    database_url_of_this_test,
    redis_url_with_database,
    services_environment,
)
from tests.support.s3 import s3_client

T = TypeVar("T")

FAULTS_REDIS_DATABASE = 4
# A task may run 10 s, so the sweep may take over a claim 12 s old (settings require more), and
# a decode 5 s (settings require less than the soft limit).
QC_ENVIRONMENT = {
    "CELERY_TASK_TIME_LIMIT": "10",
    "CELERY_TASK_SOFT_TIME_LIMIT": "8",
    "PHOTO_QC_STUCK_SECONDS": "12",
    "PHOTO_MAX_DECODE_SECONDS": "5",
}
STUCK_SECONDS = int(QC_ENVIRONMENT["PHOTO_QC_STUCK_SECONDS"])
FINAL_STATUSES = frozenset({QcStatus.PASS, QcStatus.WARN, QcStatus.FAIL, QcStatus.ERROR})
PUNE = (18.5362, 73.8940)
IST = ZoneInfo("Asia/Kolkata")


def missing_services() -> list[str]:
    missing = []
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.append("a PostgreSQL DATABASE_URL")
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL")
    if not (os.environ.get("S3_BUCKET") and os.environ.get("S3_ENDPOINT_URL")):
        missing.append("S3_BUCKET and S3_ENDPOINT_URL")
    return missing


needs_services = pytest.mark.skipif(
    bool(missing_services()),
    reason=f"needs {', '.join(missing_services())}: the server and worker processes share the "
    "test database, Redis and S3 with the test (.ci/run's services run sets them)",
)


@pytest.hookimpl(trylast=True)  # after pytest-django's own reordering
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Redis restart runs after every other test of the session: it empties Redis."""
    last = [item for item in items if item.path.name == "test_redis_restart.py"]
    if last:
        items[:] = [item for item in items if item not in last] + last


# --- The stack's environment ----------------------------------------------------------------


@pytest.fixture
def processes_redis_url() -> str:
    """The Redis database of the processes a test starts, emptied first."""
    url = redis_url_with_database(os.environ["REDIS_URL"], FAULTS_REDIS_DATABASE)
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


@pytest.fixture
def stack_environment(
    transactional_db: None, tmp_path: Path, processes_redis_url: str
) -> dict[str, str]:
    """The environment of a server and workers on the test's database, Redis database and S3,
    with the same signing key as this process (which issues their tokens) and SMS to files."""
    return services_environment(
        tmp_path,
        DATABASE_URL=database_url_of_this_test(),
        REDIS_URL=processes_redis_url,
        SECRET_KEY=settings.SECRET_KEY,
        SMS_BACKEND="file",
        SMS_FILE_PATH=str(tmp_path / "sms"),
        **QC_ENVIRONMENT,
    )


def run_sweep(broker_url: str, task: str = "photos.requeue_stuck") -> None:
    """Sends a sweep to the workers, as beat does (photos.requeue_stuck: every 5 minutes)."""
    app = Celery("propflow-faults", broker=broker_url, set_as_current=False)
    try:
        app.send_task(task)
    finally:
        app.close()


def wait_for(
    probe: Callable[[], T | None],
    *,
    seconds: float,
    what: str,
    interval: float = 0.2,
    meanwhile: Callable[[], object] | None = None,
) -> T:
    """The probe's first answer that is not None (or False), asked until the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        answer = probe()
        if answer is not None and answer is not False:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        if meanwhile is not None:
            meanwhile()
        time.sleep(interval)


# --- People, properties, photos -------------------------------------------------------------


def owner_with_draft() -> tuple[User, Property]:
    """A client and their draft in Pune, registered an hour ago (an owner's photo must be taken
    after that)."""
    owner = UserFactory.create(role=Role.CLIENT)
    property = PropertyFactory.create(owner=owner, latitude=PUNE[0], longitude=PUNE[1])
    Property.objects.filter(pk=property.pk).update(created_at=timezone.now() - timedelta(hours=1))
    return owner, property


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


def phone_photo(seed: int, *, width: int = 1600, height: int = 1200) -> bytes:
    """A photo that passes every check on the draft of owner_with_draft: taken there five
    minutes ago by a phone set to India's time (a different scene for each seed)."""
    taken_at = datetime.now(IST) - timedelta(minutes=5)
    return make_jpeg(
        width,
        height,
        seed=seed,
        gps=PUNE,
        taken_at=taken_at.strftime("%Y-%m-%dT%H:%M:%S"),
        offset="+05:30",
    )


def slow_photo(seed: int) -> bytes:
    """Like phone_photo, but 48 MP of sensor grain in 14 MB: its QC takes long enough (about
    a second) to be caught in the act."""
    taken_at = datetime.now(IST) - timedelta(minutes=5)
    return make_jpeg(
        8000,
        6000,
        seed=seed,
        noise=20.0,
        quality=95,
        gps=PUNE,
        taken_at=taken_at.strftime("%Y-%m-%dT%H:%M:%S"),
        offset="+05:30",
    )


def upload_photo(
    http: httpx.Client, property_id: object, data: bytes, *, category: str = "FRONT"
) -> httpx.Response:
    return http.post(
        f"/api/v1/properties/{property_id}/photos/",
        files={"file": ("IMG_0001.jpg", data, "image/jpeg")},
        data={"category": category},
        timeout=60,
    )


def qc_status(photo_id: str) -> str | None:
    return Photo.objects.filter(pk=photo_id).values_list("qc_status", flat=True).first()


def all_checked(photo_ids: list[str]) -> bool:
    statuses = Photo.objects.filter(pk__in=photo_ids).values_list("qc_status", flat=True)
    return len(statuses) == len(photo_ids) and all(s in FINAL_STATUSES for s in statuses)


# --- What the processes said and stored -----------------------------------------------------


def log_entries(text: str) -> list[dict[str, Any]]:
    """The JSON lines of a process's log (DEBUG off); banners and tracebacks are skipped."""
    entries = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return entries


def qc_runs(log_text: str, photo_id: str) -> int:
    """How many QC runs of the photo recorded a result ("photo checked", once per run that
    wrote its verdict)."""
    return sum(
        1
        for entry in log_entries(log_text)
        if entry.get("message") == "photo checked" and entry.get("photo_id") == photo_id
    )


def bucket_keys(prefix: str) -> list[str]:
    """The keys under the prefix in the shared bucket, sorted."""
    listing = s3_client().list_objects_v2(Bucket=os.environ["S3_BUCKET"], Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def bucket_prefixes() -> Iterator[list[str]]:
    """Prefixes of the shared bucket that a test writes under (e.g. photos/<property id>/),
    emptied at the end."""
    prefixes: list[str] = []
    yield prefixes
    client = s3_client()
    for prefix in prefixes:
        for key in bucket_keys(prefix):
            client.delete_object(Bucket=os.environ["S3_BUCKET"], Key=key)
