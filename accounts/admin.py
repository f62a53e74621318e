from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group

from accounts.models import User

# Permissions follow the role; Django's groups would be a second, unused way to grant them.
admin.site.unregister(Group)


class UserCreateForm(UserCreationForm[User]):
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
