"""Account writes: sign-in by one-time code, user creation, tokens."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import otp
from accounts.models import Role, User
from propflow.errors import ErrorCode, ForbiddenError, InvalidInputError
from propflow.sms import send_sms

logger = logging.getLogger(__name__)


def otp_request(*, phone: str, client_ip: str) -> int:
    """Sends a new sign-in code to the phone and returns its lifetime in seconds.

    Side effects: counts the request against the per-IP and per-phone limits (raising
    RateLimitedError past them), replaces any earlier code, sends one SMS. Answers the same
    whether or not the phone has an account. Raises SmsDeliveryError when the SMS fails (the
    code is discarded then).
    """
    otp.hit_limit(f"request:ip:{client_ip}", otp.Limit.parse(settings.OTP_REQUEST_LIMIT_PER_IP))
    otp.hit_limit(f"request:phone:{phone}", otp.Limit.parse(settings.OTP_REQUEST_LIMIT_PER_PHONE))
    code = otp.issue_code(phone)
    minutes = settings.OTP_TTL_SECONDS // 60
    try:
        send_sms(to=phone, body=f"{code} is your PropFlow code. It expires in {minutes} minutes.")
    except Exception:
        otp.discard_code(phone)
        raise
    logger.info("sign-in code sent", extra={"ip": client_ip})
    return int(settings.OTP_TTL_SECONDS)


def otp_verify(*, phone: str, code: str, client_ip: str) -> User:
    """Checks the code and returns the phone's user, creating a client on first sign-in.

    Refuses a code that is wrong, expired, used, or dead after too many attempts (400), and a
    disabled account (403).

    Side effects: counts the attempt against the per-IP verify limit and the code's attempts;
    a right code is used up; may create a user.
    """
    otp.hit_limit(f"verify:ip:{client_ip}", otp.Limit.parse(settings.OTP_VERIFY_LIMIT_PER_IP))
    if not otp.consume_code(phone, code):
        raise InvalidInputError(
            "The code is wrong or has expired. Request a new one.",
            code=ErrorCode.INVALID_CODE,
            field="code",
        )
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = _client_create_once(phone=phone)
    if not user.is_active:
        raise ForbiddenError("This account is disabled.", code=ErrorCode.ACCOUNT_DISABLED)
    return user


def _client_create_once(*, phone: str) -> User:
    """Creates the client account; a concurrent first sign-in finds the other one's row."""
    try:
        with transaction.atomic():
            return user_create(phone=phone, role=Role.CLIENT)
    except IntegrityError:
        return User.objects.get(phone=phone)


def user_create(*, phone: str, role: str, name: str = "", password: str | None = None) -> User:
    """Creates a user (validated); staff get a password for the admin, others none."""
    user = User.objects.create_user(phone, password, role=role, name=name)
    logger.info("user created", extra={"user_id": str(user.pk), "role": role})
    return user


def user_tokens(*, user: User) -> dict[str, str]:
    """A fresh refresh/access pair for the user (the refresh token is tracked for blacklisting)."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
