"""The accounts' pages of the admin: adding users, and the sign-in tokens it lists."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role, User
from accounts.services import user_tokens
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD_USER = reverse("admin:accounts_user_add")
PASSWORD = "staff-Pass-9134"


def signed_in(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory.create(role=role))
    return client


def test_an_admin_adds_a_reviewer_with_a_password():
    http = signed_in(Role.ADMIN)
    assert http.get(ADD_USER).status_code == 200

    response = http.post(
        ADD_USER,
        {
            "phone": "+919800000777",
            "name": "Meera",
            "role": Role.REVIEWER,
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 302
    added = User.objects.get(phone="+919800000777")
    assert (added.name, added.role, added.is_staff) == ("Meera", Role.REVIEWER, True)
    assert added.check_password(PASSWORD)


def test_an_admin_adds_an_agent_who_signs_in_by_code_only():
    response = signed_in(Role.ADMIN).post(
        ADD_USER,
        {"phone": "+919800000778", "name": "Ravi", "role": Role.AGENT, "usable_password": "false"},
    )

    assert response.status_code == 302
    added = User.objects.get(phone="+919800000778")
    assert added.role == Role.AGENT
    assert not added.has_usable_password()


def test_a_reviewer_may_not_add_users():
    http = signed_in(Role.REVIEWER)
    before = User.objects.count()

    response = http.post(
        ADD_USER,
        {"phone": "+919800000779", "role": Role.ADMIN, "usable_password": "false"},
    )

    assert response.status_code == 403
    assert User.objects.count() == before


def test_no_admin_page_shows_a_sign_in_token():
    holder = UserFactory.create(role=Role.CLIENT)
    kept = user_tokens(user=holder)["refresh"]
    revoked = user_tokens(user=holder)["refresh"]
    RefreshToken(revoked).blacklist()  # type: ignore[arg-type]  # simplejwt is untyped
    http = signed_in(Role.ADMIN)
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    for outstanding in OutstandingToken.objects.all():
        pages.append(
            reverse("admin:token_blacklist_outstandingtoken_change", args=[outstanding.pk])
        )
    for entry in BlacklistedToken.objects.all():
        pages.append(reverse("admin:token_blacklist_blacklistedtoken_change", args=[entry.pk]))

    for page in pages:
        response = http.get(page)
        assert response.status_code == 200, page
        for token in (kept, revoked):
            # Its claims or its signature would give it away (the header is every token's).
            for part in token.split(".")[1:]:
                assert part not in response.content.decode(), page
