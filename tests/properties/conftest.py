"""The properties tests' fixed cast, properties in every status, and a real event listener."""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from accounts.models import Role, User
from photos.models import Category
from properties.models import Property, Status, StatusChange
from propflow import sms
from propflow.realtime.broadcast import STAFF_GROUP, user_group
from tests.factories import PhotoFactory, PropertyFactory, UserFactory

# The statuses in which a property has an assigned agent (the workflow clears it on decline).
STATUSES_WITH_AGENT = frozenset(
    {Status.ASSIGNED, Status.INSPECTING, Status.IN_REVIEW, Status.VALUED, Status.REJECTED}
)
REQUIRED_CATEGORIES = (Category.FRONT, Category.LIVING, Category.KITCHEN)
DUE_DATE = date(2031, 3, 14)


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings: Any) -> None:
    """Each test gets its own in-memory channel layer (changing the setting drops the cached
    one), so that a Redis shared with other test runs cannot leak events into assertions."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


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


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


def property_in(status: Status, *, cast: Cast, **fields: Any) -> Property:
    """A property as the workflow leaves it in this status: an agent and a due date from
    ASSIGNED on, a valuation once VALUED."""
    details: dict[str, Any] = {"owner": cast.owner, "status": status}
    if status in STATUSES_WITH_AGENT:
        details.update(
            assigned_agent=cast.assigned_agent,
            assigned_at=timezone.now() - timedelta(days=1),
            due_date=DUE_DATE,
        )
    if status == Status.VALUED:
        details.update(valuation_amount=Decimal("8500000.00"), valuation_notes="Fair price.")
    details.update(fields)
    return PropertyFactory.create(**details)


def add_required_photos(property: Property, *, uploaded_by: User) -> None:
    for category in REQUIRED_CATEGORIES:
        PhotoFactory.create(property=property, category=category, uploaded_by=uploaded_by)


def row(property: Property) -> dict[str, Any]:
    """Every column of the property's row as stored now."""
    return dict(Property.objects.filter(pk=property.pk).values().get())


@dataclass(frozen=True)
class Snapshot:
    """What a refused request must leave exactly as it was."""

    property_row: dict[str, Any]
    audit_rows: int
    properties: int
    sms_sent: int

    @classmethod
    def of(cls, property: Property) -> "Snapshot":
        return cls(
            property_row=row(property),
            audit_rows=StatusChange.objects.count(),
            properties=Property.objects.count(),
            sms_sent=len(sms.outbox),
        )


async def _subscribe(groups: list[str]) -> dict[str, str]:
    layer = get_channel_layer()
    channels: dict[str, str] = {}
    for group in groups:
        channels[group] = await layer.new_channel()
        await layer.group_add(group, channels[group])
    return channels


async def _subscribe_one(groups: list[str]) -> dict[str, str]:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    return {"any group": channel}


async def _drain(channels: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    layer = get_channel_layer()
    received: dict[str, list[dict[str, Any]]] = {group: [] for group in channels}
    for group, channel in channels.items():
        while True:
            try:
                # A queued message comes back at once; an empty queue times out at once.
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.001)
            except TimeoutError:
                break
            assert message["type"] == "event.message"
            received[group].append(message["event"])
    return received


class EventListener:
    """One channel per group, subscribed on the real channel layer, as a consumer would be."""

    def __init__(self, groups: Iterable[str]) -> None:
        self.channels = async_to_sync(_subscribe)(list(groups))

    @classmethod
    def anywhere(cls, groups: Iterable[str]) -> "EventListener":
        """One channel in all these groups: hears an event sent to any of them."""
        listener = cls([])
        listener.channels = async_to_sync(_subscribe_one)(list(groups))
        return listener

    def received(self) -> dict[str, list[dict[str, Any]]]:
        """The events each group has received since the last call."""
        return async_to_sync(_drain)(self.channels)

    def received_anything(self) -> bool:
        return any(self.received().values())


def audience_groups(cast: Cast) -> list[str]:
    """The staff group and the personal group of everyone in the cast."""
    return [STAFF_GROUP, *(user_group(user.pk) for user in cast.everyone().values())]


def listen_to(cast: Cast) -> EventListener:
    return EventListener(audience_groups(cast))


@pytest.fixture
def listener(cast: Cast) -> EventListener:
    return listen_to(cast)
