import os
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class LiveStack:
    """PropFlow running as in production (ASGI server, worker, beat), started by .ci/run."""

    base_url: str
    sms_dir: Path
    reviewer_phone: str
    agent_phone: str


@pytest.fixture(scope="session")
def live() -> LiveStack:
    base_url = os.environ.get("PROPFLOW_LIVE_URL")
    if not base_url:
        pytest.skip("PROPFLOW_LIVE_URL is not set: .ci/run starts the live stack for these tests")
    return LiveStack(
        base_url=base_url,
        sms_dir=Path(os.environ["PROPFLOW_LIVE_SMS_DIR"]),
        reviewer_phone=os.environ["PROPFLOW_LIVE_REVIEWER_PHONE"],
        agent_phone=os.environ["PROPFLOW_LIVE_AGENT_PHONE"],
    )
