"""One-time sign-in codes and their limits, kept in the cache.

A code is stored only as HMAC-SHA256(server key, phone|code); a plain hash of six digits is
brute-forced in under a second. Counters use the cache's atomic increment: DRF's throttles
read-then-write and let bursts through.
"""

import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from propflow.errors import RateLimitedError


@dataclass(frozen=True)
class Limit:
    count: int
    window_seconds: int

    @classmethod
    def parse(cls, text: str) -> "Limit":
        count, _, window = text.partition("/")
        return cls(count=int(count), window_seconds=int(window))


def hit_limit(key: str, limit: Limit) -> None:
    """Counts one hit in the current fixed window; raises RateLimitedError past the limit."""
    now = time.time()
    window_index = int(now // limit.window_seconds)
    bucket = f"otp:limit:{key}:{window_index}"
    cache.add(bucket, 0, timeout=limit.window_seconds + 1)
    try:
        hits = cache.incr(bucket)
    except ValueError:  # expired between add and incr: this hit starts a new window
        cache.add(bucket, 1, timeout=limit.window_seconds + 1)
        hits = 1
    if hits > limit.count:
        retry_after = (window_index + 1) * limit.window_seconds - now
        raise RateLimitedError(max(1, int(retry_after + 0.999)))


def _code_key(phone: str) -> str:
    return f"otp:code:{phone}"


def _attempts_key(phone: str) -> str:
    return f"otp:attempts:{phone}"


def _mac(phone: str, code: str) -> str:
    return salted_hmac("propflow.accounts.otp", f"{phone}|{code}", algorithm="sha256").hexdigest()


def issue_code(phone: str) -> str:
    """Makes a new code for the phone, replacing any earlier one, and returns it."""
    code = f"{secrets.randbelow(10**settings.OTP_LENGTH):0{settings.OTP_LENGTH}d}"
    ttl = settings.OTP_TTL_SECONDS
    cache.set_many({_code_key(phone): _mac(phone, code), _attempts_key(phone): 0}, timeout=ttl)
    return code


def discard_code(phone: str) -> None:
    cache.delete_many([_code_key(phone), _attempts_key(phone)])


def consume_code(phone: str, code: str) -> bool:
    """True once for the right code; every attempt counts, the right one included.

    After ``OTP_MAX_ATTEMPTS`` attempts the code is dead. Deleting the code is the claim, so
    two concurrent requests with the right code cannot both succeed.
    """
    stored = cache.get(_code_key(phone))
    if stored is None:
        return False
    try:
        attempts = cache.incr(_attempts_key(phone))
    except ValueError:
        return False
    if attempts > settings.OTP_MAX_ATTEMPTS:
        discard_code(phone)
        return False
    if not hmac.compare_digest(stored, _mac(phone, code)):
        return False
    return bool(cache.delete(_code_key(phone)))
