"""Properties in every status for the cast (tests/cast.py), the API's URL and a new property,
what a refused request must leave as it was, and a listener on the cast's event groups."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.fields import DateTimeField

from accounts.models import User
from photos.models import Category
from properties.models import Property, Status, StatusChange
from propflow import sms
from tests.cast import Cast
from tests.events import EventListener, listen_to
from tests.factories import PhotoFactory, PropertyFactory

# The statuses in which a property has an assigned agent (the workflow clears it on decline).
STATUSES_WITH_AGENT = frozenset(
    {Status.ASSIGNED, Status.INSPECTING, Status.IN_REVIEW, Status.VALUED, Status.REJECTED}
)
REQUIRED_CATEGORIES = (Category.FRONT, Category.LIVING, Category.KITCHEN)
DUE_DATE = date(2031, 3, 14)

# The properties API as its tests call it.
URL = "/api/v1/properties/"
NEW_PROPERTY = {
    "property_type": "HOUSE",
    "address": "4 Lake View Road",
    "city": "Bengaluru",
    "postal_code": "560001",
    "area_sqft": "1820.50",
    "latitude": 12.9716,
    "longitude": 77.5946,
}


def api_timestamp(value: datetime) -> str:
    """A moment as the API writes it."""
    return str(DateTimeField().to_representation(value))


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


@pytest.fixture
def listener(cast: Cast) -> EventListener:
    return listen_to(cast)
