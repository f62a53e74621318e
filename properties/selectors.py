"""Property reads, and the one guard every fetch of a property goes through."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role, User
from properties.models import Property, StatusChange
from properties.workflow import Action, Actor, actions_from


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
