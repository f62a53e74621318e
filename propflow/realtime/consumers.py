"""The events WebSocket: ``/ws/events/``, behind ``propflow.realtime.auth.TokenAuthMiddleware``."""

import asyncio
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings

from propflow.realtime.auth import (
    CLOSE_BAD_AFTER,
    CLOSE_EVENTS_GONE,
    CLOSE_INTERNAL_ERROR,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_TOO_MANY_MESSAGES,
    CLOSE_UNAUTHENTICATED,
    TokenBucket,
    listener_revocation,
    query_value,
    refusal,
)
from propflow.realtime.broadcast import STAFF_GROUP, user_group
from propflow.realtime.replay import EventsGone, MalformedEventId, event_log

logger = logging.getLogger("propflow.websocket")


class EventsConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # untyped library
    """Forwards the events a listener may see, as JSON text messages.

    Side effects: on connect, refuses (accept, then close 4403 for a foreign Origin, 4401 without
    a valid user) or joins the user's group, and the staff group for staff; with ``after=<id>``,
    then sends the events after that one the user may hear (``propflow.realtime.replay``, read
    in pages of REPLAY_PAGE_SIZE), and drops the live ones it replayed already (ids sort in
    commit order: a live one no later than the last replayed was in the replay); closes 4400
    for an ``after`` that is no event id, 4410 for one older than the retention. It schedules a
    close (4401) at the access token's expiry or the session socket's
    WEBSOCKET_SESSION_MAX_SECONDS.
    Every WEBSOCKET_SESSION_RECHECK_SECONDS, re-checks the listener (``listener_revocation``,
    one trip to the database thread) and closes 4401 once its session ended, its user is
    inactive or gone, or the user's staff role changed; 1011 when the re-check itself fails.
    Then it catches up: it reads the log after the point it had read through and sends what
    the socket has not sent yet (an event whose broadcast was lost, e.g. while Redis was away,
    arrives here at the latest one period later), the live ones held meanwhile so that none
    is sent twice. On
    disconnect, leaves the groups and cancels that close and the re-checks.
    Answers ``{"action": "ping"}`` with ``{"type": "pong"}`` and anything else with
    ``{"type": "error", "detail": …}``; closes 1009 on a message over
    WEBSOCKET_MAX_MESSAGE_BYTES and 4429 when messages come faster than the token bucket
    (WEBSOCKET_MESSAGES_PER_SECOND, WEBSOCKET_MESSAGE_BURST) allows. Logs one line per connect,
    refusal and server-side close, with the user id and never the token.
    """

    groups: list[str]
    REPLAY_PAGE_SIZE = 200

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closing = False
        # The log was read up to this event (the newest when the socket opened without an
        # `after`): every later event the socket sent live is in `sent_live`, and an event up
        # to it that arrives live was sent already, except one no later than `opened_at` (the
        # newest when a socket without `after` opened: its broadcast may still be on its way).
        self.read_through: str | None = None
        self.opened_at: str | None = None
        self.sent_live: set[str] = set()
        # Held while the log is read and sent, and while each live event is judged and sent.
        self.sending = asyncio.Lock()
        self.expiry: asyncio.Task[None] | None = None
        self.recheck: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.max_message_bytes: int = settings.WEBSOCKET_MAX_MESSAGE_BYTES
        self.bucket = TokenBucket(
            rate=settings.WEBSOCKET_MESSAGES_PER_SECOND, burst=settings.WEBSOCKET_MESSAGE_BURST
        )
        refused = refusal(self.scope)
        if refused is not None:
            code, reason = refused
            logger.info("websocket refused: %s", reason, extra={"close_code": code})
            self.closing = True
            # Accepted first so that the client sees the code: a close before accepting is an
            # HTTP 403 at the handshake, without one.
            await self.accept()
            await self.close(code=code, reason=reason)
            return

        user = self.scope["user"]
        self.groups = [user_group(user.pk)]
        if user.is_staff:
            self.groups.append(STAFF_GROUP)
        # Joined before accepting: once the client is connected, it misses nothing.
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        after = query_value(self.scope, "after")
        if after is None:
            self.opened_at = self.read_through = await database_sync_to_async(
                event_log().newest_id
            )()
        elif not await self.catch_up(after):
            return
        expires_at = self.scope["auth_expires_at"]
        if expires_at is not None:
            self.expiry = asyncio.create_task(self.close_at(expires_at))
        self.recheck = asyncio.create_task(
            self.recheck_every(settings.WEBSOCKET_SESSION_RECHECK_SECONDS)
        )
        logger.info("websocket connected", extra={"user_id": str(user.pk)})

    async def catch_up(self, after: str | None) -> bool:
        """Sends the logged events after ``after`` (from the oldest kept with None) that this
        socket did not send live, page by page; False when it closed instead. The groups were
        joined first: what commits meanwhile arrives live, and waits until this is done."""
        read = database_sync_to_async(event_log().messages_after)
        user = self.scope["user"]
        async with self.sending:
            while True:
                try:
                    messages = await read(user, after, self.REPLAY_PAGE_SIZE)
                except MalformedEventId:
                    await self.close_with(CLOSE_BAD_AFTER, "after is not an event id")
                    return False
                except EventsGone:
                    await self.close_with(CLOSE_EVENTS_GONE, "after is older than the event log")
                    return False
                for message in messages:
                    if message["id"] not in self.sent_live:
                        await self.send_json(message)
                if messages:
                    after = self.read_through = messages[-1]["id"]
                if len(messages) < self.REPLAY_PAGE_SIZE:
                    break
            through = self.read_through
            if through is not None:
                self.sent_live = {sent for sent in self.sent_live if sent > through}
        return True

    async def disconnect(self, code: int) -> None:
        # The groups in self.groups are left by channels itself.
        if self.expiry is not None:
            self.expiry.cancel()
        if self.recheck is not None:
            self.recheck.cancel()

    async def close_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        is_session_socket = self.scope["auth_session_key"] is not None
        reason = "session socket lifetime over" if is_session_socket else "token expired"
        await self.close_with(CLOSE_UNAUTHENTICATED, reason)

    async def recheck_every(self, period: float) -> None:
        while not self.closing:
            await asyncio.sleep(period)
            try:
                revoked = await listener_revocation(self.scope)
            except Exception:
                # Fails closed: a listener that cannot be re-checked must not go on listening
                # unchecked. The client reconnects, and is checked afresh.
                logger.exception(
                    "websocket re-check failed", extra={"user_id": str(self.scope["user"].pk)}
                )
                await self.close_with(CLOSE_INTERNAL_ERROR, "re-check failed")
                return
            if revoked is not None:
                await self.close_with(CLOSE_UNAUTHENTICATED, revoked)
                return
            if not await self.catch_up(self.read_through):
                return

    async def close_with(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        logger.info(
            "websocket closed: %s",
            reason,
            extra={"close_code": code, "user_id": str(self.scope["user"].pk)},
        )
        await self.close(code=code, reason=reason)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Whatever arrives between our close and the client's acknowledgement is ignored.
        if self.closing:
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > self.max_message_bytes:
            await self.close_with(CLOSE_MESSAGE_TOO_BIG, "message too big")
            return
        if not self.bucket.take():
            await self.close_with(CLOSE_TOO_MANY_MESSAGES, "too many messages")
            return
        if text_data is None:
            await self.send_error("Send JSON as text messages.")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_error("Malformed JSON.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("action") == "ping":
            await self.send_json({"type": "pong"})
            return
        await self.send_error('Unknown message; the only action is {"action": "ping"}.')

    async def send_error(self, detail: str) -> None:
        await self.send_json({"type": "error", "detail": detail})

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message["type"] == "event.message":
            # Channels' dispatch first closes stale database connections in the sync thread: one
            # thread hop per listener per event, all through one thread, which was most of a
            # fan-out's cost (benchmarks/websocket_fanout.py). Forwarding uses no database.
            await self.event_message(message)
            return
        await super().dispatch(message)

    async def event_message(self, message: dict[str, Any]) -> None:
        """A ``propflow.realtime.broadcast`` event sent to one of this socket's groups."""
        event = message["event"]
        event_id = event.get("id")
        async with self.sending:
            if self.closing or self.was_sent(event_id):
                return
            await self.send_json(event)
            if event_id is not None and (self.read_through is None or event_id > self.read_through):
                self.sent_live.add(event_id)

    def was_sent(self, event_id: str | None) -> bool:
        """Whether the socket sent this event already: read from the log (no later than the
        point read through, and later than the newest when it opened), or sent live."""
        if event_id is None:
            return False
        if event_id in self.sent_live:
            return True
        if self.read_through is None or event_id > self.read_through:
            return False
        return self.opened_at is None or event_id > self.opened_at


class UnknownPathConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # untyped library
    """Refuses the handshake (HTTP 403) of any other WebSocket path. Side effects: none; the
    router would otherwise raise, and the server log an application error for every probe."""

    async def connect(self) -> None:
        await self.close()
