"""One photo through a running PropFlow, over HTTP only, and its QC result printed.

    python -m tests.live.one_upload BASE_URL SMS_DIR [--phone +91...] [--timeout-seconds 120]

A client signs in by OTP (the code read from the file SMS backend's folder), registers a flat,
uploads a phone photo taken at it this second, and asks for the photo until the worker has
judged it. .ci/container.sh runs it against PropFlow's image (web, worker and beat, each a
container). Exits non-zero when a request is refused, QC does not finish in time, or the photo,
taken at the property, does not pass.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.live.test_journey import PUNE, photo_taken_now, property_body, upload
from tests.support.live_clients import ApiUser

UNJUDGED = ("PENDING", "RUNNING")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("sms_dir", type=Path)
    parser.add_argument("--phone", default="+919811100042")
    parser.add_argument("--timeout-seconds", type=float, default=120)
    args = parser.parse_args(argv)

    client = ApiUser(args.base_url, args.sms_dir, args.phone)
    home = client.ok(
        "POST", "/api/v1/properties/", 201, json=property_body("7 Lane 5, Koregaon Park", PUNE)
    )
    started = time.monotonic()
    photo = upload(client, home["id"], photo_taken_now(7, (PUNE[0] + 0.0008, PUNE[1])), "FRONT")
    deadline = started + args.timeout_seconds
    while photo["qc_status"] in UNJUDGED and time.monotonic() < deadline:
        time.sleep(0.5)
        photo = client.ok("GET", f"/api/v1/photos/{photo['id']}/")
    elapsed = time.monotonic() - started

    print(f"photo {photo['id']} of property {home['id']}: qc_status {photo['qc_status']}")
    for check in photo["qc_checks"]:
        print(f"  {check['name']:<20} {check['result']:<5} {check['detail']}")
    print(f"upload to QC result: {elapsed:.1f} s")
    if photo["qc_status"] in UNJUDGED:
        print(f"FAIL: no QC result in {args.timeout_seconds:.0f} s", file=sys.stderr)
        return 1
    if photo["qc_status"] != "PASS":
        print("FAIL: a photo taken at the property did not pass QC", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
