"""The admin's password sign-in under django-axes (settings AXES_*): whose account an attempt
is for, and the page a locked-out sign-in gets."""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from phonenumber_field.phonenumber import to_python

LOCKED_OUT_STATUS = 429


def attempted_phone(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The phone number an attempt signs in with, in E.164 however it was typed: the same
    account written another way ("098000 00001") counts against the same limit."""
    typed = str((credentials or {}).get("username") or request.POST.get("username", ""))
    number = to_python(typed.strip())
    return str(number.as_e164) if number and number.is_valid() else typed


def locked_out(request: HttpRequest, *attempt: object) -> HttpResponse:
    """The sign-in page, saying that sign-in is locked and for how long (429). django-axes
    passes the attempt's response and credentials, which the page does not show."""
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in locked",
        "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/admin_locked_out.html", context, status=LOCKED_OUT_STATUS)
