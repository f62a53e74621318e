"""Behind a load balancer, the per-IP sign-in limits count the client's address that a trusted
proxy forwards (uvicorn's --proxy-headers with FORWARDED_ALLOW_IPS), and only from one: from
any other peer, X-Forwarded-For is the client's own claim and is ignored."""

from pathlib import Path

import httpx
import yaml

from tests.support.processes import ROOT, asgi_server, embedded_environment

OTP_REQUEST = "/api/v1/auth/otp/request/"
# Two code requests per address; the phone's own limit out of the way.
LIMITS = {"OTP_REQUEST_LIMIT_PER_IP": "2/600", "OTP_REQUEST_LIMIT_PER_PHONE": "100/600"}
# As the Dockerfile and docker-compose.yml start the server.
PRODUCTION_OPTIONS = ("--proxy-headers",)


def request_codes(base_url: str, forwarded_for: list[str]) -> list[int]:
    """The status of a code request from each forwarded address, in turn (one phone each)."""
    with httpx.Client(base_url=base_url, timeout=10) as http:
        return [
            http.post(
                OTP_REQUEST,
                json={"phone": f"+9198765{number:05d}"},
                headers={"X-Forwarded-For": address},
            ).status_code
            for number, address in enumerate(forwarded_for)
        ]


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(tmp_path: Path):
    # The test's connections come from 127.0.0.1: here, the load balancer.
    environment = embedded_environment(tmp_path, FORWARDED_ALLOW_IPS="127.0.0.1", **LIMITS)

    with asgi_server(environment, server_options=PRODUCTION_OPTIONS) as base_url:
        statuses = request_codes(
            base_url, ["203.0.113.1", "203.0.113.2", "203.0.113.1", "203.0.113.2", "203.0.113.1"]
        )

    assert statuses == [202, 202, 202, 202, 429]


def test_from_a_peer_that_is_not_a_trusted_proxy_the_forwarded_address_is_ignored(tmp_path):
    # The load balancer is elsewhere: the test's connections are clients of their own.
    environment = embedded_environment(tmp_path, FORWARDED_ALLOW_IPS="10.0.0.1", **LIMITS)

    with asgi_server(environment, server_options=PRODUCTION_OPTIONS) as base_url:
        statuses = request_codes(base_url, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])

    assert statuses == [202, 202, 429]


def test_compose_gives_the_web_server_its_trusted_proxies():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web = compose["services"]["web"]

    assert web["environment"]["FORWARDED_ALLOW_IPS"] == "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
    assert "--proxy-headers" in web["command"]
