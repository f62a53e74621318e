import json
import re
import time

import httpx

from tests.support.processes import asgi_server, embedded_environment


def read_code(sms_dir, phone: str, timeout_seconds: float = 10) -> str:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for path in sorted(sms_dir.glob("*.json")):
            message = json.loads(path.read_text())
            match = re.search(r"\b(\d{6})\b", message["body"])
            if message["to"] == phone and match:
                return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no SMS to {phone} in {sms_dir}")


def test_it_signs_in_over_http_against_the_real_server(tmp_path):
    sms_dir = tmp_path / "sms"
    environment = embedded_environment(tmp_path, SMS_BACKEND="file", SMS_FILE_PATH=str(sms_dir))

    with asgi_server(environment) as base_url, httpx.Client(base_url=base_url, timeout=10) as http:
        requested = http.post("/api/v1/auth/otp/request/", json={"phone": "+919876543210"})
        assert requested.status_code == 202

        verified = http.post(
            "/api/v1/auth/otp/verify/",
            json={"phone": "+919876543210", "code": read_code(sms_dir, "+919876543210")},
        )
        assert verified.status_code == 200

        me = http.get(
            "/api/v1/auth/me/", headers={"Authorization": f"Bearer {verified.json()['access']}"}
        )
        assert me.status_code == 200
        assert me.json()["phone"] == "+919876543210"
        assert me.json()["role"] == "client"
        assert http.get("/api/v1/nothing/").json() == {"detail": "Not found.", "code": "not_found"}

    server_log = (tmp_path / "server.log").read_text()
    assert read_code(sms_dir, "+919876543210") not in server_log
    assert verified.json()["access"] not in server_log
