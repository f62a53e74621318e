"""Users, keyed by phone number. Permissions follow the role, not per-user grants."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField


class Role(models.TextChoices):
    CLIENT = "client", "Client"
    AGENT = "agent", "Field agent"
    REVIEWER = "reviewer", "Reviewer"
    ADMIN = "admin", "Admin"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
# Reviewers manage the inspection work; only admins manage accounts.
REVIEWER_APP_LABELS = frozenset({"properties", "photos"})


class UserManager(BaseUserManager["User"]):
    def create_user(
        self,
        phone: str,
        password: str | None = None,
        *,
        role: str = Role.CLIENT,
        **fields: Any,
    ) -> "User":
        user = self.model(phone=phone, role=role, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **fields: Any) -> "User":
        fields.pop("role", None)
        return self.create_user(phone, password, role=Role.ADMIN, **fields)


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = PhoneNumberField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ("phone",)
        indexes = (models.Index(fields=("role",), name="user_role_idx"),)

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})" if self.name else str(self.phone)

    @property
    def is_staff(self) -> bool:
        """Reviewers and admins may use the Django admin."""
        return self.role in STAFF_ROLES

    @property
    def is_superuser(self) -> bool:
        return self.role == Role.ADMIN

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.has_module_perms(perm.split(".", 1)[0])

    def has_perms(self, perm_list: Any, obj: object = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        if not self.is_active:
            return False
        if self.role == Role.ADMIN:
            return True
        return self.role == Role.REVIEWER and app_label in REVIEWER_APP_LABELS
