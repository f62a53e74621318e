from decimal import Decimal

import factory

from accounts.models import Role, User
from photos.models import Category, Photo
from properties.models import Property, PropertyType, Status


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("phone",)

    # Mobile numbers of a series that no fixed number of the demo data (+91 98000 …), the
    # benchmarks (+91 70000 …) or the tests (+91 98…) is in: with get_or_create, a factory user
    # must never be one of them.
    phone = factory.Sequence(lambda n: f"+9179{n:08d}")
    name = factory.Faker("name", locale="en_IN")
    role = Role.CLIENT
    password = factory.django.Password(None)


class PropertyFactory(factory.django.DjangoModelFactory[Property]):
    """A draft in Pune by default; pass status= and assigned_agent= for later stages."""

    class Meta:
        model = Property

    owner = factory.SubFactory(UserFactory, role=Role.CLIENT)
    property_type = PropertyType.APARTMENT
    address = factory.Sequence(lambda n: f"{n + 1} Koregaon Park Road")
    city = "Pune"
    postal_code = "411001"
    area_sqft = Decimal("950.00")
    latitude = 18.5362
    longitude = 73.8940
    status = Status.DRAFT


class PhotoFactory(factory.django.DjangoModelFactory[Photo]):
    """A photo row with a small stored file; QC fields are left as a fresh upload has them."""

    class Meta:
        model = Photo

    property = factory.SubFactory(PropertyFactory)
    category = Category.FRONT
    uploaded_by = factory.LazyAttribute(lambda photo: photo.property.owner)
    file = factory.django.FileField(filename="original", data=b"\xff\xd8\xff\xe0 not decoded")
    content_type = "image/jpeg"
    size = 20
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
