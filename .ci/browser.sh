#!/usr/bin/env bash
# The browser tests (tests/browser): Debian's chromium driven by Playwright against a real
# uvicorn process. Never `playwright install`: the browser is the distribution's.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  apt-get update
  apt-get install -y chromium
fi
.venv/bin/pip install --quiet -r requirements/dev.txt
export PROPFLOW_BROWSER_TESTS=1 DJANGO_ALLOW_ASYNC_UNSAFE=true
.venv/bin/python -m pytest tests/browser -p no:cacheprovider
