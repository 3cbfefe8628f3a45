import factory
from django.contrib.gis.geos import Point

from crm.choices import AccountKind, AccountStatus, ContactChannel
from crm.models import Account, AccountContact, Contact, Reseller


class ResellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reseller

    name = factory.Sequence(lambda n: f"Reseller {n}")
    email = factory.Sequence(lambda n: f"partner{n}@resellers.example.com")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Faker("company")
    kind = AccountKind.BUSINESS
    status = AccountStatus.ACTIVE
    email = factory.Sequence(lambda n: f"account{n}@example.com")
    phone = factory.Sequence(lambda n: f"+23480312{n % 100000:05d}")
    service_address = factory.Faker("street_address")
    location = factory.LazyFunction(lambda: Point(3.3792, 6.5244, srid=4326))
    tags = factory.LazyFunction(lambda: ["fiber"])


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    phone = factory.Sequence(lambda n: f"+23470312{n % 100000:05d}")
    preferred_channel = ContactChannel.EMAIL


def link(contact, account, role="primary"):
    return AccountContact.objects.create(contact=contact, account=account, role=role)
