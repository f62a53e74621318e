"""Real PropFlow processes for end-to-end tests: started on a free loopback port, always stopped."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "S3_BUCKET")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def embedded_environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a production-like process on the embedded default."""
    environment = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    environment.update(
        DEBUG="false",
        SECRET_KEY="end-to-end-" + "k" * 50,
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="propflow.settings",
    )
    environment.update(overrides)
    return environment


@contextmanager
def asgi_server(environment: dict[str, str], *, startup_seconds: float = 30) -> Iterator[str]:
    """Migrates, starts the ASGI server, waits until /health answers; yields the base URL."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    log = Path(environment["DATA_DIR"]) / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "propflow.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--no-access-log",
                "--ws-max-size",
                "65536",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, server, log, startup_seconds)
        yield base_url
    finally:
        _stop(server)


def services_environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    """Like embedded_environment, but on this process's services: DATABASE_URL, REDIS_URL and
    S3_BUCKET pass through (a test overrides DATABASE_URL with its test database's)."""
    environment = embedded_environment(data_dir)
    environment.update({key: os.environ[key] for key in SERVICE_VARIABLES if key in os.environ})
    environment.update(overrides)
    return environment


@contextmanager
def celery_worker(environment: dict[str, str], *, startup_seconds: float = 60) -> Iterator[None]:
    """Starts a Celery worker (one process, the default queue) and waits until it is ready."""
    log = Path(environment["DATA_DIR"]) / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "propflow",
                "worker",
                "--pool",
                "solo",
                "-Q",
                "celery",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + startup_seconds
        while " ready." not in (text := log.read_text()):
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited with {worker.returncode}:\n{text}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker not ready after {startup_seconds} s:\n{text}")
            time.sleep(0.2)
        yield
    finally:
        _stop(worker)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_healthy(
    base_url: str, server: subprocess.Popen[bytes], log: Path, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {seconds} s:\n{log.read_text()}")
