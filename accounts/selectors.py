"""Account reads."""

from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.models import Role, User


def request_user(request: Request | HttpRequest) -> User:
    """The signed-in user of a request whose view requires authentication."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


def agents(*, active_only: bool = False) -> QuerySet[User]:
    """The agents by name (then phone); those who may still be given work when active_only."""
    agents = User.objects.filter(role=Role.AGENT).order_by("name", "phone")
    return agents.filter(is_active=True) if active_only else agents
