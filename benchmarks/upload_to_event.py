"""From a photo's upload to its QC result on the events WebSocket, against a running stack.

    python -m benchmarks.upload_to_event [--photos 50] [--timeout 30]
    PROPFLOW_LIVE_URL=http://127.0.0.1:8000 PROPFLOW_LIVE_SMS_DIR=data/sms \
        python -m benchmarks.upload_to_event [--photos 50] [--timeout 30]

As a phone app lives it: a client signs in by OTP (a fresh number; the code is read from the
file SMS backend's folder), registers a draft with coordinates, connects the events socket, and
uploads generated 1600x1200 JPEGs (taken now, GPS a few metres from the property) one at a
time, each after the previous one's result. For each photo: the time from sending the upload
request to its 202, and to the ``photo.qc_completed`` frame for that photo; "lost" is a photo
whose frame did not come within the timeout. The last row is the server's own view: the photo's
``processed_at`` minus its ``created_at`` (queue wait plus QC in the worker).

Without PROPFLOW_LIVE_URL it starts a server on the embedded default in a temporary folder (as
the end-to-end tests do: tests/support/processes.py), where QC runs in the server's own process
after each upload's commit. PROPFLOW_LIVE_URL names a running stack instead: the way .ci/run's
``start_live_stack`` runs it (ASGI server, Celery worker and beat on PostgreSQL, Redis and S3),
or any PropFlow with ``SMS_BACKEND=file`` writing into PROPFLOW_LIVE_SMS_DIR. The JPEGs are made
before the first upload, so their encoding is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from benchmarks.stats import percentile
from tests.support.images import make_jpeg
from tests.support.live_clients import ApiUser
from tests.support.processes import asgi_server, embedded_environment

PROPERTY = (18.5362, 73.8940)  # Pune
IST = ZoneInfo("Asia/Kolkata")
Event = dict[str, Any]


class Frames:
    """The ``photo.qc_completed`` frames of one events socket, with when each arrived."""

    def __init__(self, url: str) -> None:
        self._exit = ExitStack()
        # websockets wants a connection it iterates used as a context manager.
        self.connection: ClientConnection = self._exit.enter_context(
            connect(url, open_timeout=10, proxy=None)
        )
        self.arrivals: dict[str, tuple[float, Event]] = {}
        self.closed: str | None = None
        self._ready = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()
        # The server joins the socket to its groups before accepting it; the pong shows that it
        # did not close it instead.
        self.connection.send(json.dumps({"action": "ping"}))
        if not self._ready.wait(10):
            raise RuntimeError(f"no pong on the events socket ({self.closed or 'open'})")

    def _receive(self) -> None:
        try:
            for message in self.connection:
                arrived = time.perf_counter()
                event = json.loads(message)
                if event.get("type") == "pong":
                    self._ready.set()
                elif event.get("type") == "photo.qc_completed":
                    with self._changed:
                        self.arrivals.setdefault(str(event["photo_id"]), (arrived, event))
                        self._changed.notify_all()
        except ConnectionClosed as closed:
            self.closed = f"closed with {closed.rcvd.code if closed.rcvd else 'no code'}"
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, photo_id: str, timeout_seconds: float) -> tuple[float, Event] | None:
        with self._changed:
            self._changed.wait_for(
                lambda: photo_id in self.arrivals or self.closed is not None, timeout_seconds
            )
            return self.arrivals.get(photo_id)

    def close(self) -> None:
        self._exit.close()
        self._thread.join(timeout=5)


@dataclass
class Stage:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    lost: int | None = None

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


def main() -> None:
    parser = argparse.ArgumentParser(description="Upload to photo.qc_completed, per photo.")
    parser.add_argument("--photos", type=int, default=50, help="how many uploads")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for a frame")
    parser.add_argument("--phone", default=None, help="the client's number (default: a fresh one)")
    args = parser.parse_args()
    base_url = os.environ.get("PROPFLOW_LIVE_URL", "").rstrip("/")
    if base_url:
        sms_dir = os.environ.get("PROPFLOW_LIVE_SMS_DIR")
        if not sms_dir:
            sys.exit("PROPFLOW_LIVE_SMS_DIR is required with PROPFLOW_LIVE_URL.")
        lost = measure(base_url, Path(sms_dir), args)
    else:
        # The embedded default, started here: QC runs in the server's own process.
        with tempfile.TemporaryDirectory(prefix="propflow-upload-") as folder:
            data_dir = Path(folder)
            environment = embedded_environment(data_dir, SMS_BACKEND="file", LOG_LEVEL="WARNING")
            with asgi_server(environment) as embedded_url:
                lost = measure(embedded_url, data_dir / "sms", args)
    sys.exit(1 if lost else 0)


def measure(base_url: str, sms_dir: Path, args: argparse.Namespace) -> int:
    """Uploads the photos one at a time and prints the table; returns how many were lost."""
    phone = args.phone or f"+9198{random.randrange(10**7, 10**8)}"
    client = ApiUser(base_url, sms_dir, phone)
    home = client.ok("POST", "/api/v1/properties/", 201, json=property_body())
    time.sleep(1.05 - time.time() % 1)  # camera times are whole seconds, after the creation
    seed = random.randrange(10**6)
    photos = [photo_taken_now(seed + index) for index in range(args.photos)]

    frames = Frames(base_url.replace("http", "ws", 1) + f"/ws/events/?token={client.access}")
    try:
        sent, answered, arrived = upload_all(client, frames, home["id"], photos, args.timeout)
    finally:
        frames.close()

    to_202 = Stage("upload request -> 202")
    to_event = Stage("upload request -> qc_completed", lost=0)
    statuses: Counter[str] = Counter()
    for photo_id, started in sent.items():
        to_202.latencies_ms.append((answered[photo_id] - started) * 1000)
        if photo_id in arrived:
            at, event = arrived[photo_id]
            to_event.latencies_ms.append((at - started) * 1000)
            statuses[str(event["qc_status"])] += 1
        else:
            to_event.lost = (to_event.lost or 0) + 1
    server = Stage("server: created_at -> processed_at")
    for photo in property_photos(client, home["id"]):
        if photo["processed_at"]:
            processed = datetime.fromisoformat(photo["processed_at"])
            created = datetime.fromisoformat(photo["created_at"])
            server.latencies_ms.append((processed - created).total_seconds() * 1000)

    mean_kb = sum(len(photo) for photo in photos) / len(photos) / 1024 if photos else 0.0
    print(
        f"{len(photos)} uploads of 1600x1200 JPEGs (mean {mean_kb:.0f} KB) to {base_url}, "
        f"one at a time; QC results: {dict(statuses) or 'none'}"
        + (f"; socket {frames.closed}" if frames.closed else "")
    )
    print_table([to_202, to_event, server])
    return to_event.lost or 0


def property_body() -> dict[str, object]:
    return {
        "property_type": "APARTMENT",
        "address": "12 Benchmark Road, Koregaon Park",
        "city": "Pune",
        "postal_code": "411001",
        "area_sqft": "1150.50",
        "latitude": PROPERTY[0],
        "longitude": PROPERTY[1],
    }


def photo_taken_now(seed: int) -> bytes:
    """A phone photo taken this second within 50 m of the property, with the phone's offset."""
    rng = random.Random(seed)
    position = (
        PROPERTY[0] + rng.uniform(-0.0004, 0.0004),
        PROPERTY[1] + rng.uniform(-0.0004, 0.0004),
    )
    taken_at = datetime.now(IST).strftime("%Y-%m-%dT%H:%M:%S")
    return make_jpeg(
        1600,
        1200,
        seed=seed,
        gps=position,
        accuracy_m=5.0,
        taken_at=taken_at,
        offset="+05:30",
        make="Google",
        model="Pixel 8",
    )


def upload_all(
    client: ApiUser, frames: Frames, property_id: str, photos: list[bytes], timeout: float
) -> tuple[dict[str, float], dict[str, float], dict[str, tuple[float, Event]]]:
    """Uploads each photo and waits for its frame (or the timeout) before the next one.

    Returns, per photo id: when its request was sent, when its 202 came, and its frame."""
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    for index, photo in enumerate(photos):
        category = ("FRONT", "STREET", "LIVING", "KITCHEN", "BEDROOM", "BATHROOM")[index % 6]
        started = time.perf_counter()
        response = client.post(
            f"/api/v1/properties/{property_id}/photos/",
            files={"file": (f"PXL_{index:04d}.jpg", photo, "image/jpeg")},
            data={"category": category},
        )
        done = time.perf_counter()
        if response.status_code != 202:
            raise RuntimeError(f"upload {index}: {response.status_code} {response.text}")
        photo_id = str(response.json()["id"])
        sent[photo_id], answered[photo_id] = started, done
        frames.wait_for(photo_id, timeout)
        if frames.closed:
            break
    return sent, answered, dict(frames.arrivals)


def property_photos(client: ApiUser, property_id: str) -> list[dict[str, Any]]:
    photos: list[dict[str, Any]] = []
    url: str | None = f"/api/v1/properties/{property_id}/photos/?page_size=100"
    while url:
        page = client.ok("GET", url)
        photos += page["results"]
        url = page["next"]
    return photos


def print_table(stages: list[Stage]) -> None:
    print(f"{'':36} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'lost':>5}")
    for stage in stages:
        maximum = max(stage.latencies_ms, default=float("nan"))
        lost = "" if stage.lost is None else str(stage.lost)
        print(
            f"{stage.name:36} {len(stage.latencies_ms):>4} {stage.percentile(0.5):>8.0f} "
            f"{stage.percentile(0.95):>8.0f} {maximum:>8.0f} {lost:>5}"
        )


if __name__ == "__main__":
    main()
