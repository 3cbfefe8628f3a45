"""Leads and the default pipeline for tests. The six stages come from migration crm 0003; a transaction=True test
flushes them, so `stage()` puts them back when they are missing."""

import datetime
from decimal import Decimal

import factory
from django.contrib.gis.geos import Point

from crm.choices import LeadSource
from crm.models import Lead, LeadStage

DEFAULT_STAGES = [
    ("New", 10, 10, False, False),
    ("Contacted", 20, 20, False, False),
    ("Qualified", 30, 40, False, False),
    ("Quoted", 40, 60, False, False),
    ("Won", 50, 100, True, False),
    ("Lost", 60, 0, False, True),
]


def stages() -> dict[str, LeadStage]:
    """The default stages by name (created when a flush removed them)."""
    found = {stage.name: stage for stage in LeadStage.objects.all()}
    for name, position, probability, won, lost in DEFAULT_STAGES:
        if name not in found:
            found[name] = LeadStage.objects.create(
                name=name, position=position, probability=probability, is_won=won, is_lost=lost
            )
    return found


def stage(name: str = "New") -> LeadStage:
    return stages()[name]


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    phone = factory.Sequence(lambda n: f"+23490312{n % 100000:05d}")
    company = ""
    service_address = factory.Faker("street_address")
    location = factory.LazyFunction(lambda: Point(3.3792, 6.5244, srid=4326))
    source = LeadSource.DOOR_TO_DOOR
    stage = factory.LazyFunction(stage)
    currency = "NGN"
    expected_monthly_value = Decimal("15000.00")
    stage_changed_at = factory.Faker("date_time_this_month", tzinfo=datetime.UTC)
