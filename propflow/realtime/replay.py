"""What the events socket replays from: the event log, registered by the app that keeps it
(``outbox``, in its ``AppConfig.ready``), since ``propflow`` imports no app.

A log answers ``messages_after(user, after, limit)``: the messages after the event ``after``
(from the oldest kept, with None) that the user may hear now, oldest first, at most ``limit``;
it raises ``MalformedEventId`` for an ``after`` that is no event id and ``EventsGone`` for one no
longer in the log. ``newest_id()`` is the id of the newest event, None in an empty log.
"""

from typing import Any, Protocol

from django.contrib.auth.base_user import AbstractBaseUser


class MalformedEventId(ValueError):
    pass


class EventsGone(LookupError):
    """The event is older than the log's retention: the listener must reload."""


class EventLog(Protocol):
    def messages_after(
        self, user: AbstractBaseUser, after: str | None, limit: int
    ) -> list[dict[str, Any]]: ...

    def newest_id(self) -> str | None: ...


_logs: list[EventLog] = []


def register(log: EventLog) -> None:
    _logs[:] = [log]


def event_log() -> EventLog:
    if not _logs:
        raise LookupError("No event log is registered (is the outbox app installed?).")
    return _logs[0]
