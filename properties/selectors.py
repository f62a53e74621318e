"""Property reads, and the one guard every fetch of a property goes through."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, User
from properties.models import Property, StatusChange
from properties.workflow import OPEN_STATUSES, Action, Actor, actions_from


def properties_visible_to(user: User) -> QuerySet[Property]:
    """A client sees own properties, an agent current assignments, staff everything."""
    properties = Property.objects.select_related("owner", "assigned_agent")
    if not user.is_active:
        return properties.none()
    if user.is_staff:
        return properties
    if user.role == Role.CLIENT:
        return properties.filter(owner=user)
    if user.role == Role.AGENT:
        return properties.filter(assigned_agent=user)
    return properties.none()


def property_get_for(*, user: User, property_id: UUID | str, for_update: bool = False) -> Property:
    """The property if the user may see it; 404 otherwise, whether it exists or not."""
    properties = properties_visible_to(user)
    if for_update:
        properties = properties.select_for_update(of=("self",))
    try:
        return properties.get(pk=property_id)
    except (Property.DoesNotExist, ValueError, ValidationError) as error:
        raise Http404("No such property.") from error


def actors_for(*, user: User, property: Property) -> frozenset[Actor]:
    """What the user is to this property: its owner, its assigned agent, staff (or nothing)."""
    actors: set[Actor] = set()
    if user.is_staff:
        actors.add(Actor.STAFF)
    if user.role == Role.CLIENT and property.owner_id == user.pk:
        actors.add(Actor.OWNER)
    if user.role == Role.AGENT and property.assigned_agent_id == user.pk:
        actors.add(Actor.ASSIGNED_AGENT)
    return frozenset(actors)


def actions_allowed(*, user: User, property: Property) -> list[Action]:
    return actions_from(property.status, actors_for(user=user, property=property))


def property_history(*, property: Property) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(property=property).select_related("actor")


def overdue_condition() -> Q:
    """A property still open and past its due date (one with no due date is not overdue)."""
    return Q(due_date__isnull=False, due_date__lt=timezone.localdate(), status__in=OPEN_STATUSES)


def properties_with_overdue_flag(properties: QuerySet[Property]) -> QuerySet[Property]:
    """The properties, each with ``is_overdue``: still open and past its due date."""
    # With no due date the flag is false, not NULL: "not overdue" must find those too.
    return properties.annotate(
        is_overdue=ExpressionWrapper(overdue_condition(), output_field=BooleanField())
    )


# The distinct cities, ascending, by a loose index scan: each step asks property_city_idx for the
# next city, so the cost follows the number of cities, where SELECT DISTINCT reads every row
# (58 ms at 100 000 properties on PostgreSQL; under 1 ms this way).
_CITIES_SQL = """
WITH RECURSIVE cities(city) AS (
    SELECT MIN(city) FROM properties_property
    UNION ALL
    SELECT (SELECT MIN(city) FROM properties_property WHERE city > cities.city)
    FROM cities WHERE cities.city IS NOT NULL
)
SELECT city FROM cities WHERE city IS NOT NULL
"""


def property_cities() -> list[str]:
    """Every city that has a property, in order."""
    with connections[Property.objects.db].cursor() as cursor:
        cursor.execute(_CITIES_SQL)
        return [city for (city,) in cursor.fetchall()]
