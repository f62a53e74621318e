"""Schemathesis against the running API, once per role: does every answer match the schema?

    python -m tests.live.fuzz_api [--max-examples 30] [--runs client,agent,...] [--keep DIR]

Needs the live stack (.ci/run's ``start_live_stack``): ``PROPFLOW_LIVE_URL``,
``PROPFLOW_LIVE_SMS_DIR``, ``PROPFLOW_LIVE_REVIEWER_PHONE``, ``PROPFLOW_LIVE_AGENT_PHONE`` and
``PROPFLOW_LIVE_ADMIN_PHONE`` (without the last, the admin run is skipped, and says so).

Each role signs in by OTP as a phone app does (clients on fresh numbers) and is given data of
its own to reach, so that the fuzzer gets past 404s: a draft with coordinates and a photo for
the client, assignments for the agent, properties in review and their photos for staff. Every
operation that takes an id is pointed at a property in the state its action needs (submit at a
draft, approve at one in review...) through schemathesis dictionaries: most generated requests
carry the real id, the others a generated one.

The runs, in order:

- client, agent, reviewer, admin: one identity each, its own data;
- peers: two clients and the agent, as schemathesis's peers for object_level_authorization
  (one user's property or photo served to another is a failure);
- anonymous: every operation without a token, and the ones that need none (OTP request and
  verify, token refresh, logout), fuzzed here only. They run last and once because their
  per-IP limits are shared with every sign-in from this machine. A fresh number and real
  refresh tokens are among the values, so their success answers are checked too, and the
  per-phone limit is reached: a 429 is a documented answer there (with Retry-After), not a
  failure.

Checks: statuses, content types, headers and bodies against the schema; no 5xx; a secured
operation refuses a missing or bad token (ignored_auth); a deleted resource is gone and a
created one is there (use_after_free, ensure_resource_availability). Not
positive_data_acceptance / negative_data_rejection: they flag ordinary 400s for values only the
server can know to be valid (a phone number, an id in another state). Prints a line per run and
exits non-zero when any run fails (the failing run's whole report is printed above it).

Sign-ins from this machine: five (two clients, the agent, the reviewer, the admin), and about
six more code requests in the anonymous run, against the default limit of 20 per IP per 10
minutes; the agent's and reviewer's numbers get one request each (3 per number allowed).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from tests.support.images import make_jpeg
from tests.support.live_clients import ApiUser, read_code

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
)
PUBLIC_OPERATIONS = (
    "auth_otp_request_create",
    "auth_otp_verify_create",
    "auth_token_refresh_create",
    "auth_logout_create",
)
RUNS = ("client", "agent", "reviewer", "admin", "peers", "anonymous")
# How often a generated request carries the seeded id rather than a generated one.
REAL_ID = 0.85
# How often the OTP operations get the fresh number, for which this script first asks for
# codes PRIMED_CODE_REQUESTS times: one below the default per-phone limit (3 per 10 minutes), so
# the fuzzer's first request with it gets a 202 and the next ones the 429. Every request with a
# valid number also counts against the per-IP limit (20 per 10 minutes) that sign-ins share.
REAL_PHONE = 0.2
PRIMED_CODE_REQUESTS = 2
REAL_REFRESH_TOKEN = 0.3
# A sign-in is reused while its access token has at least this long to live.
TOKEN_MARGIN_SECONDS = 240
PUNE = (18.5362, 73.8940)
IST = ZoneInfo("Asia/Kolkata")
REQUIRED_CATEGORIES = ("FRONT", "LIVING", "KITCHEN")


@dataclass(frozen=True)
class Live:
    base_url: str
    sms_dir: Path
    reviewer_phone: str
    agent_phone: str
    admin_phone: str | None

    @classmethod
    def from_environment(cls) -> Live:
        required = (
            "PROPFLOW_LIVE_URL",
            "PROPFLOW_LIVE_SMS_DIR",
            "PROPFLOW_LIVE_REVIEWER_PHONE",
            "PROPFLOW_LIVE_AGENT_PHONE",
        )
        missing = [name for name in required if not os.environ.get(name)]
        if missing:
            sys.exit(f"fuzz_api: {', '.join(missing)} not set: start the live stack first")
        return cls(
            base_url=os.environ["PROPFLOW_LIVE_URL"].rstrip("/"),
            sms_dir=Path(os.environ["PROPFLOW_LIVE_SMS_DIR"]),
            reviewer_phone=os.environ["PROPFLOW_LIVE_REVIEWER_PHONE"],
            agent_phone=os.environ["PROPFLOW_LIVE_AGENT_PHONE"],
            admin_phone=os.environ.get("PROPFLOW_LIVE_ADMIN_PHONE") or None,
        )


class SignInError(Exception):
    pass


class Account(ApiUser):
    """A signed-in user that keeps its refresh token too (ApiUser signs in the same way)."""

    def __init__(self, base_url: str, sms_dir: Path, phone: str) -> None:
        self.base_url = base_url
        self.phone = phone
        self.http = httpx.Client(base_url=base_url, timeout=30)
        asked_at = time.time() - 1
        response = self.http.post("/api/v1/auth/otp/request/", json={"phone": phone})
        if response.status_code != 202:
            retry_after = response.headers.get("Retry-After")
            raise SignInError(
                f"sign-in code for {phone}: {response.status_code} {response.text}"
                + (f" (Retry-After: {retry_after} s)" if retry_after else "")
            )
        code = read_code(sms_dir, phone, after=asked_at)
        response = self.http.post("/api/v1/auth/otp/verify/", json={"phone": phone, "code": code})
        if response.status_code != 200:
            raise SignInError(f"verify for {phone}: {response.status_code} {response.text}")
        body = response.json()
        self.access: str = body["access"]
        self.refresh: str = body["refresh"]
        self.user = body["user"]
        self.http.headers["Authorization"] = f"Bearer {self.access}"

    def seconds_left(self) -> float:
        payload = self.access.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) - time.time()


class Accounts:
    """Signs users in when first needed, and again when their access token runs short."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self._accounts: dict[str, Account] = {}
        self.client_phone = fresh_client_phone()
        self.other_client_phone = fresh_client_phone()

    def get(self, phone: str) -> Account:
        account = self._accounts.get(phone)
        if account is None or account.seconds_left() < TOKEN_MARGIN_SECONDS:
            account = Account(self.live.base_url, self.live.sms_dir, phone)
            self._accounts[phone] = account
        return account

    def existing(self, phone: str) -> Account | None:
        return self._accounts.get(phone)


def fresh_client_phone() -> str:
    """An Indian mobile number no earlier run is likely to have used."""
    return f"+9198{random.randrange(10**7, 10**8)}"


@dataclass(frozen=True)
class Binding:
    value: str
    probability: float


@dataclass
class Target:
    """One schemathesis run: who (identity -> access token; none for anonymous, several for
    peers), and the real values its operations get (operation id -> parameter key -> value)."""

    name: str
    tokens: dict[str, str]
    bindings: dict[str, dict[str, Binding]] = field(default_factory=dict)
    checks: tuple[str, ...] = CHECKS

    def point(self, operation_id: str, key: str, value: str, probability: float = REAL_ID) -> None:
        self.bindings.setdefault(operation_id, {})[key] = Binding(value, probability)


@dataclass(frozen=True)
class Outcome:
    name: str
    returncode: int
    seconds: float
    summary: str
    skipped: str = ""


# --- The data each role reaches -----------------------------------------------------------------


def property_body(address: str) -> dict[str, object]:
    return {
        "property_type": "APARTMENT",
        "address": address,
        "city": "Pune",
        "postal_code": "411001",
        "area_sqft": "1150.50",
        "latitude": PUNE[0],
        "longitude": PUNE[1],
    }


class Seeder:
    """Puts properties of the client in the states the fuzzed actions need, through the API."""

    def __init__(self, client: ApiUser, agent: ApiUser, staff: ApiUser) -> None:
        self.client, self.agent, self.staff = client, agent, staff
        self.photo_seed = random.randrange(10**6)

    def draft(self, label: str) -> str:
        body = self.client.ok("POST", "/api/v1/properties/", 201, json=property_body(label))
        return str(body["id"])

    def photo(self, user: ApiUser, property_id: str, category: str) -> str:
        self.photo_seed += 1
        taken_at = datetime.now(IST).strftime("%Y-%m-%dT%H:%M:%S")
        jpeg = make_jpeg(
            1280,
            960,
            seed=self.photo_seed,
            gps=(PUNE[0] + 0.0005, PUNE[1]),
            taken_at=taken_at,
            offset="+05:30",
        )
        body = user.ok(
            "POST",
            f"/api/v1/properties/{property_id}/photos/",
            202,
            files={"file": ("IMG.jpg", jpeg, "image/jpeg")},
            data={"category": category},
        )
        return str(body["id"])

    def submitted(self, label: str) -> str:
        property_id = self.draft(label)
        self.client.ok("POST", f"/api/v1/properties/{property_id}/submit/", json={})
        return property_id

    def assigned(self, label: str) -> str:
        property_id = self.submitted(label)
        agent_id = self.agent.user["id"]
        self.staff.ok("POST", f"/api/v1/properties/{property_id}/assign/", json={"agent": agent_id})
        return property_id

    def inspecting(self, label: str, *categories: str) -> tuple[str, list[str]]:
        property_id = self.assigned(label)
        self.agent.ok("POST", f"/api/v1/properties/{property_id}/accept/", json={})
        photos = [self.photo(self.agent, property_id, category) for category in categories]
        return property_id, photos

    def in_review(self, label: str) -> tuple[str, list[str]]:
        property_id, photos = self.inspecting(label, *REQUIRED_CATEGORIES)
        self.agent.ok("POST", f"/api/v1/properties/{property_id}/complete/", json={})
        return property_id, photos


READS = ("properties_retrieve", "properties_history_list", "property_photos_list")
WRITES = (
    "properties_partial_update",
    "properties_destroy",
    "property_photos_upload",
    "properties_submit_create",
    "properties_cancel_create",
    "properties_assign_create",
    "properties_accept_create",
    "properties_decline_create",
    "properties_complete_create",
    "properties_request_revision_create",
    "properties_approve_create",
    "properties_reject_create",
)


def point_at_property(target: Target, property_id: str, *operation_ids: str) -> None:
    for operation_id in operation_ids:
        key = "path.property_id" if operation_id.startswith("property_photos") else "path.id"
        target.point(operation_id, key, property_id)


def point_at_photo(target: Target, photo_id: str) -> None:
    for operation_id in ("photos_retrieve", "photo_file", "photos_review_create"):
        target.point(operation_id, "path.id", photo_id)


def client_target(client: Account, seeder: Seeder) -> Target:
    """The owner: a draft with a photo for everything; drafts of their own to delete, submit
    and cancel (each succeeds once, then answers 404 or 409)."""
    target = Target("client", {"client": client.access})
    main = seeder.draft("1 Fuzz Lane (draft)")
    point_at_property(target, main, *READS, *WRITES)
    point_at_photo(target, seeder.photo(client, main, "FRONT"))
    for operation_id in (
        "properties_destroy",
        "properties_submit_create",
        "properties_cancel_create",
    ):
        point_at_property(target, seeder.draft(f"2 Fuzz Lane ({operation_id})"), operation_id)
    return target


def agent_target(agent: Account, seeder: Seeder) -> Target:
    """An inspection under way with a photo; one ready to complete; two to accept / decline."""
    target = Target("agent", {"agent": agent.access})
    main, photos = seeder.inspecting("3 Fuzz Lane (inspecting)", "FRONT")
    point_at_property(target, main, *READS, *WRITES)
    point_at_photo(target, photos[0])
    done, _ = seeder.inspecting("4 Fuzz Lane (to complete)", *REQUIRED_CATEGORIES)
    point_at_property(target, done, "properties_complete_create")
    for operation_id in ("properties_accept_create", "properties_decline_create"):
        point_at_property(target, seeder.assigned(f"5 Fuzz Lane ({operation_id})"), operation_id)
    return target


def staff_target(name: str, staff: Account, agent: Account, seeder: Seeder) -> Target:
    """A property in review with photos to review; one submitted to assign (to the real agent);
    one in review each to approve, reject and send back."""
    target = Target(name, {name: staff.access})
    main, photos = seeder.in_review(f"6 Fuzz Lane (in review, {name})")
    point_at_property(target, main, *READS, *WRITES)
    point_at_photo(target, photos[0])
    point_at_property(target, seeder.submitted(f"7 Fuzz Lane (to assign, {name})"), WRITES[5])
    target.point("properties_assign_create", "body.agent", str(agent.user["id"]))
    for operation_id in (
        "properties_approve_create",
        "properties_reject_create",
        "properties_request_revision_create",
    ):
        property_id, _ = seeder.in_review(f"8 Fuzz Lane ({operation_id}, {name})")
        point_at_property(target, property_id, operation_id)
    return target


def peers_target(client: Account, other_client: Account, agent: Account) -> Target:
    """Two clients and the agent, none of whom may see what the others own."""
    tokens = {"client": client.access, "other-client": other_client.access, "agent": agent.access}
    # Not the resource checks: across identities they take the agent's rightful 404 for the
    # client's new property as "created resource not found".
    resource_checks = ("use_after_free", "ensure_resource_availability")
    checks = (
        *(check for check in CHECKS if check not in resource_checks),
        "object_level_authorization",
    )
    return Target("peers", tokens, checks=checks)


def anonymous_target(phone: str, refresh_tokens: list[str]) -> Target:
    target = Target("anonymous", {})
    for operation_id in ("auth_otp_request_create", "auth_otp_verify_create"):
        target.point(operation_id, "body.phone", phone, REAL_PHONE)
    for operation_id, token in zip(
        ("auth_token_refresh_create", "auth_logout_create"), refresh_tokens, strict=False
    ):
        target.point(operation_id, "body.refresh", token, REAL_REFRESH_TOKEN)
    return target


def ask_for_codes(live: Live, phone: str, count: int) -> None:
    for _ in range(count):
        response = httpx.post(
            f"{live.base_url}/api/v1/auth/otp/request/", json={"phone": phone}, timeout=30
        )
        if response.status_code != 202:
            raise SignInError(f"code for {phone}: {response.status_code} {response.text}")


def targets(live: Live, names: list[str], skipped: list[Outcome]) -> Iterator[Target]:
    """Each run's target, signed in and seeded just before the run (access tokens are short)."""
    accounts = Accounts(live)

    def seeder(staff_phone: str) -> Seeder:
        client, agent = accounts.get(accounts.client_phone), accounts.get(live.agent_phone)
        return Seeder(client, agent, accounts.get(staff_phone))

    for name in names:
        if name == "client":
            yield client_target(accounts.get(accounts.client_phone), seeder(live.reviewer_phone))
        elif name == "agent":
            yield agent_target(accounts.get(live.agent_phone), seeder(live.reviewer_phone))
        elif name == "reviewer":
            reviewer, agent = accounts.get(live.reviewer_phone), accounts.get(live.agent_phone)
            yield staff_target(name, reviewer, agent, seeder(live.reviewer_phone))
        elif name == "admin" and live.admin_phone is None:
            skipped.append(Outcome(name, 0, 0.0, "", "PROPFLOW_LIVE_ADMIN_PHONE is not set"))
        elif name == "admin":
            assert live.admin_phone is not None
            admin, agent = accounts.get(live.admin_phone), accounts.get(live.agent_phone)
            yield staff_target(name, admin, agent, seeder(live.admin_phone))
        elif name == "peers":
            yield peers_target(
                accounts.get(accounts.client_phone),
                accounts.get(accounts.other_client_phone),
                accounts.get(live.agent_phone),
            )
        else:
            signed_in = [
                accounts.existing(phone)
                for phone in (accounts.client_phone, accounts.other_client_phone)
            ]
            refresh_tokens = [account.refresh for account in signed_in if account is not None]
            phone = fresh_client_phone()
            ask_for_codes(live, phone, PRIMED_CODE_REQUESTS)
            yield anonymous_target(phone, refresh_tokens)


# --- One schemathesis run per target -------------------------------------------------------------


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


def write_config(target: Target, workdir: Path) -> Path:
    """schemathesis.toml for a run: its identities, and its real values as dictionaries."""
    lines: list[str] = []
    if len(target.tokens) == 1:
        (token,) = target.tokens.values()
        lines += ["[auth.openapi.jwtAuth]", f"bearer = {toml_string(token)}", ""]
    elif target.tokens:
        wfc = workdir / f"{target.name}-auth.json"
        identities = [
            {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
            for name, token in target.tokens.items()
        ]
        wfc.write_text(json.dumps({"auth": identities}))
        peers = ", ".join(toml_string(name) for name in target.tokens)
        lines += ["[auth.wfc]", f"path = {toml_string(str(wfc))}", f"peers = [{peers}]", ""]
    operations: list[str] = []
    for operation_id, bindings in sorted(target.bindings.items()):
        entries = []
        for key, binding in sorted(bindings.items()):
            dictionary = f"{operation_id}_{key}".replace(".", "_")
            lines += [f"[dictionaries.{dictionary}]", f"values = [{toml_string(binding.value)}]"]
            entries.append(
                f"{toml_string(key)} = {{ dictionary = {toml_string(dictionary)}, "
                f"probability = {binding.probability} }}"
            )
        operations += [
            "",
            "[[operations]]",
            f"include-operation-id = {toml_string(operation_id)}",
            f"parameters = {{ {', '.join(entries)} }}",
        ]
    config = workdir / f"{target.name}.toml"
    config.write_text("\n".join([*lines, *operations, ""]))
    return config


def run(live: Live, target: Target, args: argparse.Namespace, workdir: Path) -> Outcome:
    reports = workdir / target.name
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(write_config(target, workdir)),
        "run",
        f"{live.base_url}/api/v1/schema/",
        "--checks",
        ",".join(target.checks),
        "--max-examples",
        str(args.max_examples),
        "--workers",
        str(args.workers),
        "--request-timeout",
        "30",
        "--report",
        "har",
        "--report-dir",
        str(reports),
        "--no-color",
    ]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    if target.tokens:  # the public operations are the anonymous run's
        for operation_id in PUBLIC_OPERATIONS:
            command += ["--exclude-operation-id", operation_id]
    print(f"== {target.name}: schemathesis {' '.join(command[3:])}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    (workdir / f"{target.name}.log").write_text(output)
    if result.returncode != 0 or args.verbose:
        print(output, flush=True)
    return Outcome(target.name, result.returncode, seconds, summary(output, reports))


def summary(output: str, reports: Path) -> str:
    """schemathesis's closing line and the statuses it received, e.g.
    '1 failure, 2 warnings in 40.2s; 1733 requests: 2xx 278, 4xx 1455'."""
    lines = [line.strip(" =") for line in output.splitlines()]
    closing = next((line for line in reversed(lines) if " in " in line), "no result")
    statuses: Counter[str] = Counter()
    for har in reports.glob("har-*.json"):
        for entry in json.loads(har.read_text())["log"]["entries"]:
            status = entry["response"]["status"]
            statuses["429" if status == 429 else f"{status // 100}xx"] += 1
    counts = ", ".join(f"{group} {count}" for group, count in sorted(statuses.items()))
    return f"{closing}; {sum(statuses.values())} requests: {counts or 'none'}"


def report(outcomes: list[Outcome], total_seconds: float) -> int:
    print("\n== schemathesis, per run")
    print(f"{'run':<10} {'result':<8} {'time':>7}  summary")
    for outcome in outcomes:
        if outcome.skipped:
            result, text = "SKIPPED", outcome.skipped
        else:
            result, text = ("ok" if outcome.returncode == 0 else "FAILED"), outcome.summary
        print(f"{outcome.name:<10} {result:<8} {outcome.seconds:>6.1f}s  {text}")
    print(f"total {total_seconds:.0f} s")
    return 0 if all(outcome.returncode == 0 for outcome in outcomes) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=30, help="per operation and phase")
    # One: schemathesis's workers are threads, and concurrent ast.parse calls (Hypothesis
    # describing strategies) fail now and then on Python 3.11 before 3.11.9 ("AST constructor
    # recursion depth mismatch").
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None, help="schemathesis's random seed")
    parser.add_argument("--runs", default=",".join(RUNS), help="comma-separated subset, in order")
    parser.add_argument("--verbose", action="store_true", help="print passing runs' output too")
    parser.add_argument("--keep", type=Path, help="keep configs, logs and HAR reports here")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.runs.split(",") if name.strip()]
    if unknown := sorted(set(names) - set(RUNS)):
        parser.error(f"unknown runs: {', '.join(unknown)} (known: {', '.join(RUNS)})")
    live = Live.from_environment()

    started = time.monotonic()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="propflow-fuzz-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            for target in targets(live, names, outcomes):
                outcomes.append(run(live, target, args, workdir))
        except SignInError as error:
            print(f"fuzz_api: could not sign in: {error}", file=sys.stderr)
            outcomes.append(Outcome("sign-in", 1, 0.0, str(error)))
    return report(outcomes, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())
