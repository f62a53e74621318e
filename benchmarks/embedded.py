"""Django set up for a benchmark run as a script, before it imports any model."""

import os
import tempfile

import django
from django.conf import settings


def setup_django(prefix: str) -> str | None:
    """Sets Django up on DATABASE_URL's database, else on the embedded default in a throwaway
    folder (its SQLite database, media and key; DEBUG on, as `make run` has it), and returns
    that folder for the caller to migrate and delete. Nothing when Django is set up already
    (the tests import the benchmarks on their own database)."""
    if settings.configured:
        return None
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propflow.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    folder = None
    if not os.environ.get("DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix=prefix)
        os.environ["DATA_DIR"] = folder
        os.environ.setdefault("DEBUG", "true")
    django.setup()
    return folder
