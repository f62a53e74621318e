"""Instants on their way to the database."""

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime | None:
    """The same instant in UTC; None when that falls outside years 1 to 9999.

    Python takes offsets up to ±23:59, PostgreSQL refuses those past ±15:59: an instant sent as
    ``2025-01-01T00:00:00-19:30`` reached the database as it was, and was a 500.
    """
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        return None
