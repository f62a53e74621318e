"""Redis restarted under a running server and worker, in the middle of a sequence of uploads.

Redis keeps nothing on disk here: the restart loses the queued task messages (that is the
point). Every upload accepted around it is checked all the same, once: by the worker when its
message survived, else after the sweep re-queues it. The web process and the worker reconnect
by themselves. This module runs after every other test (see conftest): it empties Redis.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from photos.models import Photo, QcStatus
from tests.faults.conftest import (
    STUCK_SECONDS,
    all_checked,
    bucket_keys,
    log_entries,
    needs_services,
    owner_with_draft,
    phone_photo,
    qc_runs,
    qc_status,
    run_sweep,
    slow_photo,
    upload_photo,
    wait_for,
)
from tests.support.live_clients import ApiUser
from tests.support.processes import asgi_server, worker_process
from tests.support.webhook_receiver import webhook_receiver

REDIS = urlsplit(os.environ.get("REDIS_URL", ""))
REDIS_PORT = REDIS.port or 6379


def can_restart_redis() -> bool:
    """Whether this process can stop the Redis of REDIS_URL and start it again as CI does:
    on this machine, without a password, with the tools and the folders it needs."""
    return (
        REDIS.hostname in ("127.0.0.1", "localhost")
        and not REDIS.password
        and shutil.which("redis-server") is not None
        and shutil.which("redis-cli") is not None
        and os.access("/var/lib/redis", os.W_OK)
    )


pytestmark = [
    pytest.mark.services,
    needs_services,
    pytest.mark.skipif(
        not can_restart_redis(),
        reason="restarts the Redis server of REDIS_URL as .ci/services.sh starts it: needs it "
        "on 127.0.0.1 without a password, redis-server, redis-cli and a writable /var/lib/redis",
    ),
]


def redis_start_command() -> list[str]:
    """How .ci/services.sh starts this machine's Redis (require_redis), to the letter."""
    command = [
        "redis-server",
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "-::1",
        "--port",
        str(REDIS_PORT),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        "/var/lib/redis",
        "--logfile",
        "/var/log/redis/ci.log",
    ]
    if REDIS_PORT != 6379:
        # A developer's own server on another port: off the machine server's pid and log files.
        own_files = Path(tempfile.gettempdir()) / f"redis-{REDIS_PORT}"
        command += ["--pidfile", f"{own_files}.pid", "--logfile", f"{own_files}.log"]
    return command


def redis_answers() -> bool:
    answer = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "ping"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return answer.stdout.strip() == "PONG"


def start_redis() -> None:
    if not redis_answers():
        subprocess.run(redis_start_command(), check=False, timeout=30, capture_output=True)
    wait_for(redis_answers, seconds=30, what="Redis answers PONG")


@contextmanager
def redis_down() -> Iterator[None]:
    """Redis shut down without saving (everything in it is lost), started again at the end,
    whatever happens meanwhile."""
    try:
        subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "shutdown", "nosave"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        wait_for(lambda: not redis_answers(), seconds=10, what="Redis stops")
        yield
    finally:
        start_redis()


@pytest.mark.django_db(transaction=True)
def test_uploads_around_a_redis_restart_are_all_checked_once(
    stack_environment, processes_redis_url, bucket_prefixes
) -> None:
    owner, property = owner_with_draft()
    bucket_prefixes.append(f"photos/{property.pk}/")
    sms_dir = Path(stack_environment["SMS_FILE_PATH"])
    sms_dir.mkdir(parents=True)
    photos = {seed: phone_photo(seed=seed) for seed in (41, 43, 44, 45, 46)}
    photos[42] = slow_photo(seed=42)
    photo_ids: dict[str, str] = {}

    def accept(moment: str, client: ApiUser, seed: int) -> None:
        """Uploads a photo, which must be accepted (202)."""
        answer = upload_photo(client.http, property.pk, photos[seed])
        assert answer.status_code == 202, f"upload {moment}: {answer.status_code} {answer.text}"
        photo_ids[moment] = answer.json()["id"]

    with (
        asgi_server(stack_environment) as base_url,
        worker_process(stack_environment, pool="prefork") as worker,
    ):
        # Signs in with a one-time code sent by SMS (to a file), as the phone app does.
        client = ApiUser(base_url, sms_dir, str(owner.phone))
        accept("before", client, 41)
        wait_for(
            lambda: qc_status(photo_ids["before"]) == QcStatus.PASS,
            seconds=60,
            what="the photo uploaded before the restart is checked",
        )
        # The worker busy with a 48 MP photo (one task at a time), the next message waits in
        # Redis: the restart loses it.
        accept("running", client, 42)
        wait_for(
            lambda: qc_status(photo_ids["running"]) == QcStatus.RUNNING,
            seconds=60,
            interval=0.01,
            what="the worker starts on the 48 MP photo",
        )
        accept("queued", client, 43)
        with redis_down():
            # Stored all the same; its message cannot be sent.
            accept("while down", client, 44)
        accept("just after", client, 45)

        wait_for(
            lambda: httpx.get(f"{base_url}/health", timeout=10).status_code == 200,
            seconds=60,
            what="the web process is healthy again",
        )
        # A new sign-in: one-time codes are kept in Redis. Then a new upload, checked by the
        # worker (reconnected) and heard on a new socket (the channel layer is Redis too).
        client = ApiUser(base_url, sms_dir, str(owner.phone))
        listener = client.listen()
        try:
            accept("after", client, 46)
            event = listener.wait_for(
                lambda event: (
                    event["type"] == "photo.qc_completed"
                    and event["photo_id"] == photo_ids["after"]
                ),
                timeout_seconds=60,
            )
        finally:
            listener.close()
        wait_for(
            lambda: all_checked(list(photo_ids.values())),
            seconds=STUCK_SECONDS + 90,
            interval=2,
            meanwhile=lambda: run_sweep(processes_redis_url),
            what="every accepted upload is checked",
        )
        worker_log = worker.log_text()

    assert event["qc_status"] == "PASS"
    photos_by_id = {str(photo.pk): photo for photo in Photo.objects.filter(property=property)}
    assert sorted(photos_by_id) == sorted(photo_ids.values())  # none lost, no duplicates
    assert {moment: photos_by_id[id].qc_status for moment, id in photo_ids.items()} == (
        dict.fromkeys(photo_ids, QcStatus.PASS)
    )
    assert all(photos_by_id[id].processed_at is not None for id in photo_ids.values())
    assert {moment: qc_runs(worker_log, id) for moment, id in photo_ids.items()} == (
        dict.fromkeys(photo_ids, 1)
    )
    # The message that could not be sent while Redis was down (and the queued one, lost with
    # Redis' contents): the sweep queued those photos again.
    assert any(
        entry["message"].startswith("re-queueing QC of") for entry in log_entries(worker_log)
    ), worker_log
    assert bucket_keys(f"photos/{property.pk}/") == sorted(
        f"photos/{property.pk}/{id}/{name}"
        for id in photo_ids.values()
        for name in ("original", "preview.jpg")
    )


@pytest.mark.django_db(transaction=True)
def test_a_change_while_redis_is_down_reaches_the_open_socket_and_the_webhook(
    stack_environment, processes_redis_url
) -> None:
    owner, property = owner_with_draft()
    sms_dir = Path(stack_environment["SMS_FILE_PATH"])
    sms_dir.mkdir(parents=True)
    environment = {
        **stack_environment,
        "WEBSOCKET_SESSION_RECHECK_SECONDS": "1",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
    }

    with (
        webhook_receiver() as receiver,
        asgi_server(environment) as base_url,
        worker_process(environment),
    ):
        client = ApiUser(base_url, sms_dir, str(owner.phone))
        client.ok(
            "POST",
            "/api/v1/webhooks/",
            201,
            json={"url": receiver.url, "event_types": ["property.status_changed"]},
        )
        listener = client.listen()
        try:
            with redis_down():
                # Committed with its event row; neither its broadcast nor its fan-out task
                # can be sent.
                submitted = client.post(f"/api/v1/properties/{property.pk}/submit/", json={})
            event = listener.wait_for(
                lambda event: (
                    event["type"] == "property.status_changed"
                    and event["property_id"] == str(property.pk)
                ),
                timeout_seconds=60,
            )
        finally:
            listener.close()
        wait_for(
            lambda: len(receiver.received) > 0,
            seconds=90,
            interval=1,
            meanwhile=lambda: run_sweep(processes_redis_url, "outbox.retry_webhooks"),
            what="the webhook of the change is delivered",
        )

    assert submitted.status_code == 200, submitted.text
    assert event["to"] == "SUBMITTED"
    [delivery] = receiver.received
    assert delivery.headers["webhook-id"] == event["id"]
