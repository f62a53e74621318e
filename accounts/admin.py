from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist.admin import OutstandingTokenAdmin
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User

# Permissions follow the role; Django's groups would be a second, unused way to grant them.
admin.site.unregister(Group)
admin.site.unregister(OutstandingToken)
admin.site.unregister(AccessAttempt)


@admin.register(OutstandingToken)
class SignInTokenAdmin(OutstandingTokenAdmin):
    """Who holds a refresh token and until when; never the token, which is a credential."""

    fields = ("jti", "user", "created_at", "expires_at")

    def get_readonly_fields(self, *args: Any, **kwargs: Any) -> list[Any]:
        return list(self.fields)


@admin.register(AccessAttempt)
class SignInAttemptAdmin(AccessAttemptAdmin):  # type: ignore[misc]  # untyped library
    """django-axes' failed sign-ins. Its clean-up action reads the request's attempt time, which
    axes sets only on sign-in requests: set it here, or the action is a 500."""

    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        AxesProxyHandler.update_request(request)
        super().cleanup_expired_attempts(request, queryset)


# With the choice of a password or none (clients and agents sign in by code only).
class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone", "name", "role")


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = ("phone", "name", "role", "is_active")


@admin.register(User)
# Django types UserAdmin for AbstractUser; ours has no username, the admin is configured for it.
class UserAdmin(BaseUserAdmin[User]):  # type: ignore[type-var]
    form = UserEditForm
    add_form = UserCreateForm
    list_display = ("phone", "name", "role", "is_active", "date_joined", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("phone", "name")
    ordering = ("phone",)
    readonly_fields = ("date_joined", "last_login")
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        ("Profile", {"fields": ("name", "role", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("phone", "name", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
