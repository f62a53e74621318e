"""The test suite's settings: PropFlow's own, read with the inputs a test run fixes.

A test run never depends on the developer's shell or ``.env`` for DEBUG and the keys: DEBUG is
off as in production (with plain-HTTP requests, as the test client makes them, not redirected),
the keys are the suite's, and no ``.env`` is read. The services' variables (DATABASE_URL,
REDIS_URL, S3_*) still come from the environment: CI runs the same suite on real services.
The processes that tests start inherit this environment, unless they are given their own.
"""

import os

os.environ.update(
    DEBUG="false",
    SECURE_SSL_REDIRECT="false",
    SECRET_KEY="test-suite-" + "k" * 50,
    ENV_FILE="",
)
os.environ.pop("JWT_SIGNING_KEY", None)

from propflow.settings import *  # noqa: F403
