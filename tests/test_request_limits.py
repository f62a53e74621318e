"""Request bodies over their limit are refused before they are read, against a real uvicorn:
a huge declared Content-Length is answered at once, a chunked body as soon as it passes the
limit, and uploads within their own (larger) limit still go through."""

import json
import select
import socket
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from propflow.request_limits import body_limit
from tests.support.images import make_jpeg
from tests.support.live_clients import ApiUser
from tests.support.processes import asgi_server, embedded_environment

MB = 1024 * 1024
OTP_REQUEST = "/api/v1/auth/otp/request/"
PHOTOS_OF = "/api/v1/properties/{}/photos/"
ANSWER_SECONDS = 10
# A chunked body is sent up to this much: a server still reading it then has not refused it.
CHUNKED_BODY_BYTES = 64 * MB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("request-limits")
    sms_dir = data_dir / "sms"
    environment = embedded_environment(data_dir, SMS_BACKEND="file", SMS_FILE_PATH=str(sms_dir))
    with asgi_server(environment) as base_url:
        yield base_url, sms_dir


def open_request(base_url: str, path: str, headers: dict[str, str]) -> socket.socket:
    """A connection that has sent a POST's head, and none of its body."""
    address = urlsplit(base_url)
    connection = socket.create_connection(
        (address.hostname, address.port or 80), timeout=ANSWER_SECONDS
    )
    head = f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    connection.sendall((head + "\r\n").encode())
    return connection


def read_answer(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body the server sent before it closed the connection."""
    received = b""
    # A server that closes a connection with unread bytes of the request resets it: what it
    # sent before is still read first.
    with suppress(ConnectionResetError):
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(server):
    base_url, _ = server
    headers = {"Content-Type": "application/json", "Content-Length": str(400 * MB)}

    with open_request(base_url, OTP_REQUEST, headers) as connection:
        status, answer_headers, body = read_answer(connection)

    assert status == 413
    assert answer_headers["connection"] == "close"
    assert json.loads(body) == {
        "detail": "The request body is larger than the 1 MB allowed here.",
        "code": "request_too_large",
    }


def test_a_chunked_body_is_refused_once_it_passes_the_limit(server):
    base_url, _ = server
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
    sent = 0

    with open_request(base_url, OTP_REQUEST, headers) as connection:
        with suppress(BrokenPipeError, ConnectionResetError):  # closed once it has answered
            while sent < CHUNKED_BODY_BYTES and not select.select([connection], [], [], 0)[0]:
                connection.sendall(chunk)
                sent += 64 * 1024
        assert sent < CHUNKED_BODY_BYTES, f"no answer while the whole {sent // MB} MB were sent"
        status, _, body = read_answer(connection)

    assert status == 413
    assert json.loads(body)["code"] == "request_too_large"
    # The limit, plus what the loopback's socket buffers held while the server answered.
    assert sent < 16 * MB


def test_a_photo_over_the_upload_limit_is_refused_before_it_is_sent(server, settings):
    base_url, _ = server
    declared = settings.PHOTO_MAX_UPLOAD_BYTES + MB + 1
    headers = {
        "Authorization": "Bearer not-even-checked",
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(declared),
    }
    path = PHOTOS_OF.format("00000000-0000-0000-0000-000000000000")

    started = time.monotonic()
    with open_request(base_url, path, headers) as connection:
        status, _, body = read_answer(connection)

    assert time.monotonic() - started < ANSWER_SECONDS
    assert status == 413
    assert json.loads(body) == {
        "detail": "The request body is larger than the 26 MB allowed here.",
        "code": "request_too_large",
    }


def test_uploads_and_requests_within_their_limits_still_work(server):
    base_url, sms_dir = server
    owner = ApiUser(base_url, sms_dir, "+919812300001")
    created = owner.ok(
        "POST",
        "/api/v1/properties/",
        201,
        json={
            "property_type": "HOUSE",
            "address": "4 Lake Road",
            "city": "Pune",
            "postal_code": "411001",
            "area_sqft": 1200,
            "latitude": 18.5362,
            "longitude": 73.8939,
        },
    )
    photo = make_jpeg(2400, 1800, noise=40, quality=95)
    assert len(photo) > MB  # over the limit of other paths, within the upload's

    uploaded = owner.post(
        PHOTOS_OF.format(created["id"]),
        data={"category": "FRONT"},
        files={"file": ("front.jpg", photo, "image/jpeg")},
    )

    assert uploaded.status_code == 202, uploaded.text
    assert uploaded.json()["size"] == len(photo)


def test_the_limit_is_the_photo_limit_plus_1_mb_for_uploads_and_1_mb_elsewhere(settings):
    upload = PHOTOS_OF.format("5a0c6e0e-8f4b-4d3c-9a55-2f6e1d7b9c10")

    assert body_limit(upload) == settings.PHOTO_MAX_UPLOAD_BYTES + MB
    assert body_limit(upload.rstrip("/")) == settings.PHOTO_MAX_UPLOAD_BYTES + MB
    assert body_limit(upload + "extra/") == MB
    assert body_limit(OTP_REQUEST) == MB
    assert body_limit("/admin/accounts/user/add/") == MB
