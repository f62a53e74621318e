"""``python manage.py seed_demo``: a small, believable data set to try PropFlow with."""

import hashlib
import io
import secrets
from argparse import ArgumentParser
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from accounts.models import Role, User
from accounts.services import user_create
from photos.models import Category, Photo, QcStatus
from properties.models import Property, PropertyType, Status
from properties.services import property_create, property_transition
from properties.workflow import TRANSITIONS, Action, Actor

REVIEWER = ("+919800000001", "Asha Kulkarni")
ADMIN = ("+919800000002", "Vikram Iyer")
AGENTS = {
    "Mumbai": ("+919800000101", "Sneha Patil"),
    "Pune": ("+919800000102", "Rahul Deshmukh"),
    "Bengaluru": ("+919800000103", "Karthik Reddy"),
}
CLIENTS = (
    ("+919800000201", "Priya Sharma"),
    ("+919800000202", "Arjun Mehta"),
    ("+919800000203", "Neha Gupta"),
    ("+919800000204", "Rohan Nair"),
    ("+919800000205", "Ananya Rao"),
    ("+919800000206", "Siddharth Joshi"),
    ("+919800000207", "Kavya Menon"),
    ("+919800000208", "Aditya Singh"),
)
DEMO_PHONES = (
    REVIEWER[0],
    ADMIN[0],
    *(phone for phone, _ in AGENTS.values()),
    *(phone for phone, _ in CLIENTS),
)

# Rough market rates, INR per square foot, for believable valuations.
RATE_PER_SQFT = {"Mumbai": Decimal(28000), "Pune": Decimal(9500), "Bengaluru": Decimal(11000)}


class Address(NamedTuple):
    property_type: PropertyType
    street: str
    postal_code: str
    area_sqft: int
    latitude: float
    longitude: float


APT, HOUSE, VILLA = PropertyType.APARTMENT, PropertyType.HOUSE, PropertyType.VILLA
PLOT, OFFICE = PropertyType.PLOT, PropertyType.COMMERCIAL
ADDRESSES = {
    "Mumbai": (
        Address(APT, "1203 Lodha Bellissimo, Lower Parel", "400011", 1150, 18.9890, 72.8255),
        Address(APT, "B-404, Hiranandani Gardens, Powai", "400076", 980, 19.1176, 72.9060),
        Address(HOUSE, "7 Pali Hill Road, Bandra West", "400050", 2400, 19.0680, 72.8270),
        Address(APT, "21 Carter Road, Bandra West", "400050", 1320, 19.0655, 72.8226),
        Address(VILLA, "A-12, Juhu Tara Road, Juhu", "400049", 3100, 19.0990, 72.8265),
        Address(APT, "302 Oberoi Springs, Andheri West", "400053", 870, 19.1364, 72.8296),
        Address(OFFICE, "Shop 5, Linking Road, Santacruz West", "400054", 450, 19.0810, 72.8365),
        Address(APT, "14 Marine Drive, Churchgate", "400020", 1600, 18.9430, 72.8236),
        Address(APT, "C-601, Vasant Valley, Goregaon East", "400063", 760, 19.1750, 72.8660),
        Address(PLOT, "Plot 88, Sector 17, Vashi, Navi Mumbai", "400703", 2000, 19.0760, 72.9980),
    ),
    "Pune": (
        Address(HOUSE, "12 Lane 5, Koregaon Park", "411001", 2100, 18.5362, 73.8940),
        Address(APT, "A-702, Amanora Park Town, Hadapsar", "411028", 1250, 18.5190, 73.9350),
        Address(APT, "45 Baner Road, Baner", "411045", 1080, 18.5590, 73.7868),
        Address(VILLA, "Villa 9, Magarpatta City, Hadapsar", "411013", 2800, 18.5158, 73.9272),
        Address(APT, "B-1104, Blue Ridge, Hinjewadi Phase 1", "411057", 940, 18.5912, 73.7389),
        Address(HOUSE, "33 Prabhat Road, Erandwane", "411004", 1900, 18.5140, 73.8340),
        Address(OFFICE, "Office 402, Kalyani Nagar IT Park", "411006", 1500, 18.5463, 73.9033),
        Address(APT, "17 Aundh Road, Aundh", "411007", 1150, 18.5580, 73.8075),
        Address(APT, "C-303, Nyati Empire, Kharadi", "411014", 1020, 18.5515, 73.9440),
        Address(PLOT, "Survey No. 42, Wagholi", "412207", 4000, 18.5808, 73.9787),
    ),
    "Bengaluru": (
        Address(HOUSE, "No. 14, 12th Main, Indiranagar", "560038", 2200, 12.9719, 77.6412),
        Address(APT, "1502 Prestige Shantiniketan, Whitefield", "560048", 1450, 12.9900, 77.7280),
        Address(APT, "221 80 Feet Road, Koramangala 4th Block", "560034", 1300, 12.9352, 77.6245),
        Address(VILLA, "Villa 23, Palm Retreat, Bellandur", "560103", 3400, 12.9300, 77.6870),
        Address(APT, "B-1201, Brigade Gateway, Rajajinagar", "560055", 1700, 13.0127, 77.5550),
        Address(HOUSE, "38 2nd Cross, Jayanagar 4th Block", "560011", 1800, 12.9250, 77.5838),
        Address(OFFICE, "Unit 7, Embassy Tech Village", "560103", 2600, 12.9330, 77.6950),
        Address(APT, "56 HSR Layout Sector 2", "560102", 1350, 12.9116, 77.6474),
        Address(APT, "A-404, Sobha Dream Acres, Panathur", "560087", 890, 12.9370, 77.7140),
        Address(PLOT, "Site 112, Sarjapur Road, Dommasandra", "562125", 2400, 12.8700, 77.7430),
    ),
}

SUBMIT, CANCEL, ASSIGN, ACCEPT = Action.SUBMIT, Action.CANCEL, Action.ASSIGN, Action.ACCEPT
DECLINE, COMPLETE, REVISE = Action.DECLINE, Action.COMPLETE, Action.REQUEST_REVISION
APPROVE, REJECT = Action.APPROVE, Action.REJECT
INSPECTED = (SUBMIT, ASSIGN, ACCEPT, COMPLETE)
PASS, WARN, FAIL, PENDING = QcStatus.PASS, QcStatus.WARN, QcStatus.FAIL, QcStatus.PENDING
# The agent's photos are taken in this order, one per category.
PHOTO_CATEGORIES = (
    Category.FRONT,
    Category.LIVING,
    Category.KITCHEN,
    Category.BEDROOM,
    Category.STREET,
)
REASONS = {
    DECLINE: "On leave that week; please give it to someone else.",
    REVISE: "The kitchen photo is blurred; please retake it in daylight.",
    REJECT: "The photos show a different building from the one at this address.",
}


@dataclass(frozen=True)
class Story:
    """How one demo property got where it is: the actions taken on it, in order; the QC
    results of the photos its agent took on accepting; when its inspection is due."""

    actions: tuple[Action, ...]
    photos: tuple[QcStatus, ...] = ()
    due_in_days: int = 3


# One story per address, in the order of ADDRESSES, covering every status, a decline, a revision
# and overdue work.
STORIES = (
    Story(()),
    Story((SUBMIT,)),
    Story((SUBMIT, ASSIGN), due_in_days=-2),
    Story((SUBMIT, ASSIGN, ACCEPT), (PASS, PENDING)),
    Story(INSPECTED, (PASS, PASS, WARN, PASS)),
    Story((*INSPECTED, APPROVE), (PASS, PASS, PASS, PASS)),
    Story((*INSPECTED, REJECT), (FAIL, WARN, FAIL)),
    Story(INSPECTED, (PASS, FAIL, PASS, PENDING), due_in_days=-1),
    Story((CANCEL,)),
    Story((SUBMIT, ASSIGN)),
    Story(()),
    Story((SUBMIT, ASSIGN, DECLINE)),
    Story((SUBMIT, ASSIGN), due_in_days=5),
    Story((*INSPECTED, REVISE), (PASS, PASS, WARN)),
    Story(INSPECTED, (PASS, PASS, PASS, PASS, PASS)),
    Story((*INSPECTED, APPROVE), (PASS, PASS, PASS, WARN)),
    Story((SUBMIT, CANCEL)),
    Story(INSPECTED, (WARN, WARN, PASS)),
    Story((SUBMIT, ASSIGN, ACCEPT), due_in_days=2),
    Story((*INSPECTED, REJECT), (FAIL, FAIL, PASS)),
    Story(()),
    Story((SUBMIT,)),
    Story((SUBMIT, ASSIGN), due_in_days=4),
    Story((SUBMIT, ASSIGN, ACCEPT), (PASS,), due_in_days=-1),
    Story(INSPECTED, (PASS, PASS, PASS, FAIL, PENDING)),
    Story((*INSPECTED, APPROVE), (PASS, PASS, PASS)),
    Story((*INSPECTED, APPROVE), (PASS, WARN, PASS, PASS)),
    Story(INSPECTED, (PASS, PASS, PASS), due_in_days=-3),
    Story((*INSPECTED, REJECT), (FAIL, PASS, FAIL, FAIL)),
    Story((SUBMIT, ASSIGN, ACCEPT)),
)

# The seven checks of a photo that passed; a warning or a failure changes one of them.
PASSED_CHECKS = {
    "gps_present": ("pass", "Position recorded."),
    "gps_distance": ("pass", "0.04 km from the property."),
    "capture_time": ("pass", "Taken 2 h before upload, after the assignment began."),
    "resolution": ("pass", "1280 x 960."),
    "duplicate": ("pass", "Unique."),
    "sharpness": ("pass", "Sharp."),
    "provenance": ("pass", "No Content Credentials; no edit traces"),
}
CHECK_CHANGED = {
    WARN: ("gps_distance", "warn", "0.62 km from the property, within the reported accuracy."),
    FAIL: ("capture_time", "fail", "Taken 9 days before upload."),
}
PHOTO_SIZE = (1280, 960)
PREVIEW_SIZE = (512, 384)
CATEGORY_COLOURS = {
    Category.FRONT: (176, 190, 197),
    Category.LIVING: (255, 224, 178),
    Category.KITCHEN: (200, 230, 201),
    Category.BEDROOM: (197, 202, 233),
    Category.STREET: (207, 216, 220),
}


@dataclass(frozen=True)
class Cast:
    reviewer: User
    agents: dict[str, User]
    clients: list[User]


class Command(BaseCommand):
    help = (
        "Creates demo data: a reviewer (+919800000001) and an admin (+919800000002) sharing one "
        "password, 3 field agents, 8 clients and 30 properties around Mumbai, Pune and "
        "Bengaluru in every status. Skips, changing nothing, when the demo accounts exist."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--password", help="Password of the demo reviewer and admin (default: generated)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Also skip when the database has any property (for `make run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Creates the accounts and properties in one transaction, moving every property
        through the workflow service (so the audit rows and events are real; assignments text
        the demo agents through SMS_BACKEND). Photos are placeholder JPEGs written to the
        default storage, with canned QC results rather than a QC run."""
        existing = sorted(
            str(phone)
            for phone in User.objects.filter(phone__in=DEMO_PHONES).values_list("phone", flat=True)
        )
        if existing:
            self.stdout.write(
                f"Demo data skipped: {len(existing)} of its {len(DEMO_PHONES)} accounts exist "
                f"already ({existing[0]} …)."
            )
            return
        if options["if_empty"] and Property.objects.exists():
            self.stdout.write("Demo data skipped: the database already has properties.")
            return
        if settings.SMS_BACKEND == "twilio":
            raise CommandError(
                "The demo phone numbers are made up; with SMS_BACKEND=twilio the assignment "
                "texts would reach real people. Use another SMS backend."
            )
        password = options["password"] or secrets.token_urlsafe(12)
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        addresses = [(city, address) for city, rows in ADDRESSES.items() for address in rows]
        with transaction.atomic():
            cast = _create_people(password)
            properties = [
                _tell(
                    story, city, address, owner=cast.clients[index % len(cast.clients)], cast=cast
                )
                for index, (story, (city, address)) in enumerate(
                    zip(STORIES, addresses, strict=True)
                )
            ]

        by_status = Counter(property.status for property in properties)
        summary = ", ".join(f"{by_status[status]} {status.label.lower()}" for status in Status)
        self.stdout.write(f"Created {len(properties)} demo properties: {summary}.")
        self.stdout.write(
            f"Sign in to /admin/ as the reviewer {REVIEWER[0]} or the admin {ADMIN[0]} "
            f"with the password: {password}"
        )


def _create_people(password: str) -> Cast:
    user_create(phone=ADMIN[0], role=Role.ADMIN, name=ADMIN[1], password=password)
    return Cast(
        reviewer=user_create(
            phone=REVIEWER[0], role=Role.REVIEWER, name=REVIEWER[1], password=password
        ),
        agents={
            city: user_create(phone=phone, role=Role.AGENT, name=name)
            for city, (phone, name) in AGENTS.items()
        },
        clients=[user_create(phone=phone, role=Role.CLIENT, name=name) for phone, name in CLIENTS],
    )


def _tell(story: Story, city: str, address: Address, *, owner: User, cast: Cast) -> Property:
    """Registers the property for its owner, then takes the story's actions on it, each by the
    person the workflow table names for it."""
    property = property_create(
        owner=owner,
        fields={
            "property_type": address.property_type,
            "address": address.street,
            "city": city,
            "postal_code": address.postal_code,
            "area_sqft": Decimal(address.area_sqft),
            "latitude": address.latitude,
            "longitude": address.longitude,
        },
    )
    agent = cast.agents[city]
    actors = {Actor.OWNER: owner, Actor.ASSIGNED_AGENT: agent, Actor.STAFF: cast.reviewer}
    for action in story.actions:
        details: dict[str, Any] = {"reason": REASONS.get(action, "")}
        if action == ASSIGN:
            details.update(
                agent_id=agent.pk, due_date=timezone.localdate() + timedelta(story.due_in_days)
            )
        elif action == APPROVE:
            details.update(
                # Rounded to the lakh (100 000), as valuers quote.
                valuation_amount=round(property.area_sqft * RATE_PER_SQFT[city], -5).quantize(
                    Decimal("0.01")
                ),
                valuation_notes="In line with recent sales on the street; photos consistent.",
            )
        property = property_transition(
            actor=actors[TRANSITIONS[action].actor],
            property_id=property.pk,
            action=action,
            **details,
        )
        if action == ACCEPT:
            for category, qc_status in zip(PHOTO_CATEGORIES, story.photos, strict=False):
                _photo(property, category=category, qc_status=qc_status, agent=agent)
    return property


def _photo(property: Property, *, category: Category, qc_status: QcStatus, agent: User) -> Photo:
    """A photo row with a placeholder picture and a preview of it; QC results as given."""
    label = f"{category.label}\n{property.address}"
    original = _placeholder_jpeg(label, CATEGORY_COLOURS[category], PHOTO_SIZE)
    photo = Photo(
        property=property,
        category=category,
        uploaded_by=agent,
        content_type="image/jpeg",
        size=len(original),
        sha256=hashlib.sha256(original).hexdigest(),
        qc_status=qc_status,
    )
    photo.file.save("original", ContentFile(original), save=False)
    preview = _placeholder_jpeg(label, CATEGORY_COLOURS[category], PREVIEW_SIZE)
    photo.preview.save("preview.jpg", ContentFile(preview), save=False)
    if qc_status != PENDING:
        _fill_qc(photo, property=property, qc_status=qc_status)
    photo.save()
    return photo


def _fill_qc(photo: Photo, *, property: Property, qc_status: QcStatus) -> None:
    checks = dict(PASSED_CHECKS)
    distance_km = 0.04
    taken = timezone.now() - timedelta(hours=2)
    if qc_status in CHECK_CHANGED:
        name, result, detail = CHECK_CHANGED[qc_status]
        checks[name] = (result, detail)
    if qc_status == WARN:
        distance_km = 0.62
    if qc_status == FAIL:
        taken -= timedelta(days=9)
    assert property.latitude is not None
    assert property.longitude is not None
    photo.width, photo.height = PHOTO_SIZE
    photo.make, photo.model = "samsung", "SM-A546E"
    # As a phone writes it: local time, and the offset apart.
    local = taken.astimezone(ZoneInfo(settings.PROPERTY_TIME_ZONE)).isoformat(timespec="seconds")
    photo.taken_at, photo.taken_at_offset = local[:19], local[19:]
    # One degree of latitude is 111.2 km.
    photo.gps_lat = property.latitude + distance_km / 111.2
    photo.gps_lon = property.longitude
    photo.gps_accuracy_m = 150.0 if qc_status == WARN else 8.0
    photo.distance_km = distance_km
    photo.qc_checks = [
        {"name": name, "result": result, "detail": detail}
        for name, (result, detail) in checks.items()
    ]
    photo.qc_started_at = photo.processed_at = timezone.now()


def _placeholder_jpeg(label: str, colour: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    image = Image.new("RGB", size, colour)
    font = ImageFont.load_default(size=size[1] // 16)
    ImageDraw.Draw(image).multiline_text(
        (size[0] // 16, size[1] // 2), label, fill=(38, 50, 56), font=font
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
