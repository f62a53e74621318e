"""Who is on the other end of an events WebSocket, and whether the socket may stay open.

The ASGI middleware here authenticates; the consumer (``propflow.realtime.consumers``) decides
in its ``connect()`` with ``refusal()``, and while the socket is open asks
``listener_revocation()`` every WEBSOCKET_SESSION_RECHECK_SECONDS. Settings are read per
connection, never at import, so that a changed ``ALLOWED_HOSTS`` or origin list takes effect
without re-importing ``asgi.py``. The user is whatever ``AUTH_USER_MODEL`` is.
"""

import time
from collections.abc import Callable
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

from channels.auth import get_user
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
Application = Callable[[Scope, Receive, Send], Any]

# Close codes. 4000-4999 are the application's own (RFC 6455, 7.4.2): these mirror HTTP.
# no, bad or expired token; inactive user; token expired, session ended or role lost while open
CLOSE_UNAUTHENTICATED = 4401
CLOSE_ORIGIN_FORBIDDEN = 4403  # a browser page of an origin that may not listen
CLOSE_TOO_MANY_MESSAGES = 4429  # more messages than the token bucket allows
CLOSE_BAD_AFTER = 4400  # an `after` that is no event id
CLOSE_EVENTS_GONE = 4410  # an `after` older than the event log's retention: reload
CLOSE_MESSAGE_TOO_BIG = 1009  # RFC 6455's own code for a message over the size limit
CLOSE_INTERNAL_ERROR = 1011  # RFC 6455's own: the server could not re-check the listener


class TokenAuthMiddleware:
    """ASGI middleware for the events WebSocket: sets ``scope["user"]``,
    ``scope["auth_expires_at"]`` (epoch seconds, or None), ``scope["auth_session_key"]`` (the
    session a session's socket listens with, or None) and ``scope["auth_refused"]`` (why nobody
    was authenticated, for the log; never the token).

    With a ``token`` query parameter, the user is the active owner of that access JWT (one
    database query), whatever session cookie came along, until the token expires. Without one,
    the session user that channels' ``AuthMiddlewareStack`` (outside this one) found is kept only
    when staff: the admin's pages listen with their session, for at most
    WEBSOCKET_SESSION_MAX_SECONDS. Anyone else is ``AnonymousUser``.
    """

    def __init__(self, inner: Application) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        scope = dict(scope)
        scope["auth_session_key"] = None
        raw_token = _query_token(scope)
        if raw_token is None:
            session_user = scope.get("user")
            if session_user is not None and session_user.is_authenticated:
                is_staff_session = session_user.is_active and session_user.is_staff
                scope["auth_refused"] = None if is_staff_session else "session user is not staff"
            else:
                is_staff_session = False
                scope["auth_refused"] = "no token"
            scope["user"] = session_user if is_staff_session else AnonymousUser()
            scope["auth_expires_at"] = None
            if is_staff_session:
                scope["auth_session_key"] = scope["session"].session_key
                scope["auth_expires_at"] = time.time() + settings.WEBSOCKET_SESSION_MAX_SECONDS
        else:
            user, expires_at, refused = await _token_user(raw_token)
            scope["user"] = user or AnonymousUser()
            scope["auth_expires_at"] = expires_at
            scope["auth_refused"] = refused
        return await self.inner(scope, receive, send)


def _query_token(scope: Scope) -> str | None:
    return query_value(scope, "token")


def query_value(scope: Scope, name: str) -> str | None:
    """The first value of a query parameter of the socket's URL, or None without one."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    values = query.get(name)
    return values[0] if values else None


async def _token_user(raw_token: str) -> tuple[AbstractBaseUser | None, float | None, str | None]:
    """The token's user, its expiry, and why it was refused (exactly one of user and reason)."""
    try:
        # Checks the signature, the expiry and that it is an access (not a refresh) token.
        token = AccessToken(raw_token)  # type: ignore[arg-type]  # str is accepted and decoded
    except TokenError:
        return None, None, "invalid or expired token"
    try:
        # The API's own rules: the user exists and is active.
        user = await database_sync_to_async(JWTAuthentication().get_user)(token)
    except (AuthenticationFailed, InvalidToken):
        return None, None, "token of an unknown or inactive user"
    return user, float(token["exp"]), None


async def listener_revocation(scope: Scope) -> str | None:
    """Why the socket's user may no longer hear what it joined for, or None while it may: the
    session ended (logout, expiry, password change) or the user is gone or inactive, or the user
    gained or lost the staff role the socket's groups were chosen by. One trip to the database
    thread: the user's row for a token's socket; for a session's, the session (a query on the
    database backend) and its user's row, with Django's own session-hash check."""
    user = scope["user"]
    session_key = scope["auth_session_key"]
    if session_key is None:
        current = await database_sync_to_async(_active_user)(user.pk)
        if current is None:
            return "user inactive or deleted"
    else:
        # A fresh read: the scope's own session object caches what it read at connect.
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        current = await get_user({"session": session})
        if current.pk != user.pk:
            return "session ended"
    if current.is_staff != user.is_staff:
        return "staff role changed"
    return None


def _active_user(user_id: UUID) -> AbstractBaseUser | None:
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


# What browsers send for each scheme they open a WebSocket from.
DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


def origin_allowed(scope: Scope) -> bool:
    """True without an Origin header (not a browser), for the socket's own origin (a page served
    by this server: the socket's scheme, and its Host, port included, one of ALLOWED_HOSTS), or
    for one of WEBSOCKET_ALLOWED_ORIGINS. Scheme, host and port must all match."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    page = _origin(origin)
    if page is None:
        return False
    if page == _own_origin(scope):
        return True
    return page in {_origin(allowed) for allowed in settings.WEBSOCKET_ALLOWED_ORIGINS}


def _origin(origin: str) -> Origin | None:
    """Scheme, host and port (the scheme's default when not written) of an http(s) origin; None
    for anything else ("null", another scheme, a path)."""
    try:
        parsed = urlsplit(origin)
        port = parsed.port
    except ValueError:  # an unclosed IPv6 bracket, a port out of range
        return None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.hostname or parsed.path or parsed.query:
        return None
    return parsed.scheme, parsed.hostname, port or DEFAULT_PORTS[parsed.scheme]


def _own_origin(scope: Scope) -> Origin | None:
    """The origin of this server's own pages, as the browser reached it: the Host header and the
    scheme (``wss`` behind a TLS proxy, from its X-Forwarded-Proto, for ``--proxy-headers``)."""
    host = _header(scope, b"host")
    if host is None:
        return None
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return _origin(f"{scheme}://{host}")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def refusal(scope: Scope) -> tuple[int, str] | None:
    """The close code and reason for a socket that may not listen, or None when it may."""
    if not origin_allowed(scope):
        return CLOSE_ORIGIN_FORBIDDEN, "origin not allowed"
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return CLOSE_UNAUTHENTICATED, scope.get("auth_refused") or "not authenticated"
    return None


class TokenBucket:
    """Allows ``burst`` messages at once, refilled at ``rate`` per second."""

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated_at = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated_at) * self.rate)
        self.updated_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
