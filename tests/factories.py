import factory

from accounts.models import Role, User


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("phone",)

    phone = factory.Sequence(lambda n: f"+9198{n:08d}")
    name = factory.Faker("name", locale="en_IN")
    role = Role.CLIENT
    password = factory.django.Password(None)
