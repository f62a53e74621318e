import getpass
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import Role, User
from accounts.services import user_create


class Command(BaseCommand):
    help = "Creates a user: createuser +91XXXXXXXXXX --role reviewer [--name …] [--password]"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("phone", help="Phone number, E.164 (+91…) or national for India.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--password",
            nargs="?",
            const="",
            default=None,
            help="Give the user a password for the admin; asked for when no value is given.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        phone = PhoneNumber.from_string(options["phone"])
        if not phone.is_valid():
            raise CommandError(f"{options['phone']!r} is not a valid phone number.")
        if User.objects.filter(phone=phone).exists():
            raise CommandError(f"A user with phone {phone.as_e164} already exists.")
        password = options["password"]
        if password == "":
            password = self._ask_password()
        if password is not None:
            try:
                validate_password(password)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        user = user_create(
            phone=phone.as_e164, role=options["role"], name=options["name"], password=password
        )
        self.stdout.write(f"Created {user.role} {user.phone} ({user.pk}).")

    def _ask_password(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        if not password:
            raise CommandError("The password may not be empty.")
        return password
