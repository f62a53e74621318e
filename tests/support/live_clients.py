"""Clients of a running PropFlow, as a phone app would be: HTTP with a bearer token, the events
WebSocket, and sign-in codes read from the file SMS backend's folder."""

import json
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

Event = dict[str, Any]


def read_code(sms_dir: Path, phone: str, *, after: float, timeout_seconds: float = 15) -> str:
    """The code of the newest SMS to the phone written after the given time."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        newest: tuple[float, str] | None = None
        for path in sms_dir.glob("*.json"):
            message = json.loads(path.read_text())
            match = re.search(r"\b(\d{6})\b", message["body"])
            modified = path.stat().st_mtime
            is_candidate = match is not None and message["to"] == phone and modified >= after
            if match is not None and is_candidate and (newest is None or modified > newest[0]):
                newest = (modified, match.group(1))
        if newest:
            return newest[1]
        time.sleep(0.1)
    raise AssertionError(f"no sign-in code for {phone} in {sms_dir}")


class ApiUser:
    """A signed-in user of the API."""

    def __init__(self, base_url: str, sms_dir: Path, phone: str) -> None:
        self.base_url = base_url
        self.phone = phone
        self.http = httpx.Client(base_url=base_url, timeout=30)
        asked_at = time.time() - 1
        response = self.http.post("/api/v1/auth/otp/request/", json={"phone": phone})
        assert response.status_code == 202, response.text
        code = read_code(sms_dir, phone, after=asked_at)
        response = self.http.post("/api/v1/auth/otp/verify/", json={"phone": phone, "code": code})
        assert response.status_code == 200, response.text
        self.access = response.json()["access"]
        self.user = response.json()["user"]
        self.http.headers["Authorization"] = f"Bearer {self.access}"

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, **kwargs)

    def ok(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code == expected, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def listen(self, *, after: str | None = None) -> "Listener":
        """A socket of this user's, from now on, or replaying what came after the event
        ``after`` first."""
        ws_url = self.base_url.replace("http://", "ws://") + f"/ws/events/?token={self.access}"
        if after is not None:
            ws_url += f"&after={after}"
        return Listener(connect(ws_url, open_timeout=10))


class Listener:
    """Collects the events a WebSocket receives, on a thread of its own."""

    def __init__(self, connection: ClientConnection) -> None:
        self._exit = ExitStack()
        # websockets wants a connection used as a context manager when it is iterated.
        self.connection = self._exit.enter_context(connection)
        self.events: queue.Queue[Event] = queue.Queue()
        self.seen: list[Event] = []
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        try:
            for message in self.connection:
                self.events.put(json.loads(message))
        except ConnectionClosed:
            return

    def wait_for(self, matches: Callable[[Event], bool], timeout_seconds: float = 60) -> Event:
        """The first event (already seen or still to come) that matches."""
        for event in self.seen:
            if matches(event):
                return event
        deadline = time.monotonic() + timeout_seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(event)
            if matches(event):
                return event
        raise AssertionError(f"no matching event in {timeout_seconds} s; seen: {self.seen}")

    def drain(self) -> list[Event]:
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return self.seen

    def cut(self) -> None:
        """The network drops: the TCP connection ends with no closing handshake."""
        self.connection.socket.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def close(self) -> None:
        self._exit.close()
        self._thread.join(timeout=5)
