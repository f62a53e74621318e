import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_creates_a_reviewer_with_a_password_for_the_admin():
    call_command(
        "createuser",
        "+919812345678",
        "--role",
        "reviewer",
        "--name",
        "Meera",
        "--password",
        "a-long-passphrase-9",
    )

    user = User.objects.get(phone="+919812345678")
    assert (user.role, user.name, user.is_staff) == ("reviewer", "Meera", True)
    assert user.check_password("a-long-passphrase-9")


def test_it_asks_for_the_password_when_no_value_is_given(monkeypatch):
    answers = iter(["a-long-passphrase-9", "a-long-passphrase-9"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    call_command("createuser", "+919812345678", "--role", "admin", "--password")

    assert User.objects.get(phone="+919812345678").check_password("a-long-passphrase-9")


def test_it_creates_an_agent_without_a_password_from_a_national_number():
    call_command("createuser", "09812345678", "--role", "agent")

    user = User.objects.get()
    assert (str(user.phone), user.role, user.is_staff) == ("+919812345678", "agent", False)
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["12", "--role", "agent"], "'12' is not a valid phone number."),
        (["+919812345678", "--role", "agent", "--password", "123"], "This password is too short."),
    ],
)
def test_it_refuses_bad_input_and_creates_nothing(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("createuser", *arguments)

    assert User.objects.count() == 0


def test_it_refuses_a_phone_that_has_an_account():
    call_command("createuser", "+919812345678", "--role", "agent")

    with pytest.raises(CommandError, match="already exists"):
        call_command("createuser", "+919812345678", "--role", "reviewer")

    assert User.objects.get().role == "agent"


def test_it_refuses_an_unknown_role():
    with pytest.raises(CommandError, match="invalid choice: 'boss'"):
        call_command("createuser", "+919812345678", "--role", "boss")


@pytest.mark.parametrize(
    ("role", "is_staff", "can_manage_users", "can_manage_properties"),
    [
        ("client", False, False, False),
        ("agent", False, False, False),
        ("reviewer", True, False, True),
        ("admin", True, True, True),
    ],
)
def test_permissions_follow_the_role(role, is_staff, can_manage_users, can_manage_properties):
    user = User.objects.create_user("+919812345678", role=role)

    assert user.is_staff is is_staff
    assert user.has_perm("accounts.change_user") is can_manage_users
    assert user.has_module_perms("properties") is can_manage_properties


def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser("+919812345678", "a-long-passphrase-9")

    assert (user.role, user.is_superuser, user.is_staff) == ("admin", True, True)
