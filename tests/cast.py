"""The one cast of users every test draws on: the people around one property, as a role matrix
names them. The `cast` fixture (tests/conftest.py) makes a fresh one for each test."""

from dataclasses import dataclass

from rest_framework.test import APIClient

from accounts.models import Role, User
from tests.factories import UserFactory

# The columns of every role matrix: no one signed in, then the cast from furthest to closest.
ROLES = (
    "anonymous",
    "other_client",
    "owner",
    "unrelated_agent",
    "assigned_agent",
    "reviewer",
    "admin",
)


def authenticated_client(user: User) -> APIClient:
    """An API client that sends the user's access token."""
    from accounts.services import user_tokens

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {user_tokens(user=user)['access']}")
    return client


@dataclass(frozen=True)
class Cast:
    """The people around one property: its owner, its (future) agent, and everyone else."""

    owner: User
    other_client: User
    assigned_agent: User
    unrelated_agent: User
    reviewer: User
    admin: User

    def everyone(self) -> dict[str, User]:
        return {
            "owner": self.owner,
            "other_client": self.other_client,
            "assigned_agent": self.assigned_agent,
            "unrelated_agent": self.unrelated_agent,
            "reviewer": self.reviewer,
            "admin": self.admin,
        }

    def user(self, role: str) -> User | None:
        """The cast member of a role matrix's column (None: anonymous)."""
        return None if role == "anonymous" else self.everyone()[role]

    def client(self, role: str) -> APIClient:
        """An API client of the role matrix's column: signed in as that member, or anonymous."""
        user = self.user(role)
        return APIClient() if user is None else authenticated_client(user)


def make_cast() -> Cast:
    cast = Cast(
        owner=UserFactory.build(role=Role.CLIENT, name="Owner"),
        other_client=UserFactory.build(role=Role.CLIENT, name="Other client"),
        assigned_agent=UserFactory.build(role=Role.AGENT, name="Assigned agent"),
        unrelated_agent=UserFactory.build(role=Role.AGENT, name="Unrelated agent"),
        reviewer=UserFactory.build(role=Role.REVIEWER, name="Reviewer"),
        admin=UserFactory.build(role=Role.ADMIN, name="Admin"),
    )
    # One insert for the six: the table-driven tests make a cast hundreds of times.
    User.objects.bulk_create(cast.everyone().values())
    return cast
