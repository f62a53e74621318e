"""Django for the benchmarks that run on a database: set up when this module is imported (before
the models are), on DATABASE_URL's database or, with none, on a throwaway SQLite database in a
temporary folder; then `on_a_database` migrates that one, refuses a database that already holds
properties (their rows would be in the timings) and deletes the throwaway one at the end.

Imported by a benchmark run as a script; the tests import the benchmarks with Django already set
up on their own database, and nothing is set up here then.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import django
from django.conf import settings

THROWAWAY_DATA_DIR: str | None = None
if not settings.configured:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propflow.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        # The embedded default, as `make run` has it (DEBUG on: its key is made in the folder).
        THROWAWAY_DATA_DIR = tempfile.mkdtemp(prefix="propflow-benchmark-")
        os.environ["DATA_DIR"] = THROWAWAY_DATA_DIR
        os.environ.setdefault("DEBUG", "true")
    django.setup()


@contextmanager
def on_a_database(*, force: bool) -> Iterator[None]:
    """The benchmark's database, migrated when throwaway, without properties unless forced."""
    from django.core.management import call_command

    from properties.models import Property

    try:
        if THROWAWAY_DATA_DIR:
            call_command("migrate", verbosity=0)
        existing = Property.objects.count()
        if existing and not force:
            raise SystemExit(
                f"The database has {existing} properties; the timings would include them. "
                "Use an empty database, or --force."
            )
        yield
    finally:
        if THROWAWAY_DATA_DIR:
            shutil.rmtree(THROWAWAY_DATA_DIR)
