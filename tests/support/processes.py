"""Real PropFlow processes for end-to-end tests and benchmarks: started on a free loopback port,
always stopped."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "S3_BUCKET")

# For the tests whose processes share the test's database and Redis.
needs_postgresql_and_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL")
    or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs REDIS_URL and a PostgreSQL DATABASE_URL: the processes it starts share the "
    "test database and Redis with the test",
)


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
def asgi_server(
    environment: dict[str, str],
    *,
    startup_seconds: float = 30,
    healthy: bool = True,
    server_options: Sequence[str] = (),
) -> Iterator[str]:
    """Migrates, starts the ASGI server (with uvicorn's ``server_options`` besides the usual
    ones), waits until /health answers (200, or any answer when a dependency is meant to be
    down: ``healthy=False``); yields the base URL."""
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
                "on",
                "--no-access-log",
                "--ws-max-size",
                "65536",
                *server_options,
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, server, log, startup_seconds, any_answer=not healthy)
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


@dataclass(frozen=True)
class RunningProcess:
    """A process started in a process group of its own (a prefork worker and its children)."""

    popen: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, *, timeout_seconds: float = 10) -> int:
        """SIGKILL to the whole group, as when the machine dies: nothing can clean up or
        acknowledge anything. Returns the exit status (-9)."""
        _signal_group(self.popen, signal.SIGKILL)
        return self.popen.wait(timeout=timeout_seconds)


@contextmanager
def worker_process(
    environment: dict[str, str],
    *,
    name: str = "worker",
    pool: str = "solo",
    concurrency: int = 1,
    startup_seconds: float = 60,
) -> Iterator[RunningProcess]:
    """Starts a Celery worker (the default queue; its log is DATA_DIR/<name>.log) in a process
    group of its own, waits until it is ready, and stops the whole group at the end."""
    with _celery_process(
        environment,
        name,
        [
            "worker",
            "--hostname",
            f"{name}@%h",
            "--pool",
            pool,
            "-Q",
            "celery",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
        ],
        ready=" ready.",
        startup_seconds=startup_seconds,
    ) as running:
        yield running


@contextmanager
def beat_process(
    environment: dict[str, str], *, name: str = "beat", startup_seconds: float = 60
) -> Iterator[RunningProcess]:
    """Starts Celery beat (CELERY_BEAT_SCHEDULE; its schedule file and its log DATA_DIR/<name>.*)
    in a process group of its own, waits until it has started, and stops it at the end."""
    schedule = Path(environment["DATA_DIR"]) / f"{name}-schedule"
    with _celery_process(
        environment,
        name,
        ["beat", "--schedule", str(schedule)],
        # The last line of the banner beat prints as it starts its scheduler (its own log
        # lines are below PropFlow's level for celery.beat: settings.LOGGING).
        ready="maxinterval ->",
        startup_seconds=startup_seconds,
    ) as running:
        yield running


@contextmanager
def _celery_process(
    environment: dict[str, str],
    name: str,
    arguments: Sequence[str],
    *,
    ready: str,
    startup_seconds: float,
) -> Iterator[RunningProcess]:
    """``celery -A propflow <arguments>`` in a group of its own, logging to DATA_DIR/<name>.log,
    once its log shows ``ready``; the whole group is stopped at the end."""
    log = Path(environment["DATA_DIR"]) / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "propflow", *arguments, "--loglevel", "INFO"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = RunningProcess(popen=process, log=log)
    try:
        deadline = time.monotonic() + startup_seconds
        while ready not in (text := running.log_text()):
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{text}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready after {startup_seconds} s:\n{text}")
            time.sleep(0.2)
        yield running
    finally:
        _stop_group(process)


@contextmanager
def celery_worker(environment: dict[str, str], *, startup_seconds: float = 60) -> Iterator[None]:
    """Starts a Celery worker (one process, the default queue) and waits until it is ready."""
    with worker_process(environment, startup_seconds=startup_seconds):
        yield


def database_url_of_this_test() -> str:
    """The URL of the database this test runs on (pytest-django's test database), for the
    processes a test starts."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    credentials = quote(str(database["USER"]), safe="")
    if database.get("PASSWORD"):
        credentials += ":" + quote(str(database["PASSWORD"]), safe="")
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


def redis_url_with_database(url: str, database: int) -> str:
    """The same Redis server, another database number (e.g. one of a test's own)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _signal_group(process: subprocess.Popen[bytes], signal_number: int) -> None:
    # The group's id is its leader's pid (start_new_session); it outlives the leader while
    # children (prefork pool processes) remain, and the kernel reuses no id still in use.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal_number)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the leader (a worker's warm shutdown), then SIGKILL to whatever is left of
    the group after 10 s."""
    process.terminate()
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    _signal_group(process, signal.SIGKILL)
    process.wait()


def _wait_until_healthy(
    base_url: str,
    server: subprocess.Popen[bytes],
    log: Path,
    seconds: float,
    *,
    any_answer: bool = False,
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}:\n{log.read_text()}")
        try:
            status_code = httpx.get(f"{base_url}/health", timeout=5).status_code
            if status_code == 200 or (any_answer and status_code == 503):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {seconds} s:\n{log.read_text()}")
