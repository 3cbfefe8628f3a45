"""Workforce rows for tests. Tests of the services' rules call the services; these build the scene around them."""

import datetime

import factory
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db.backends.postgresql.psycopg_any import DateRange, DateTimeTZRange

from tests.crm.factories import AccountFactory
from tests.omni.factories import StaffFactory
from workforce.choices import MembershipKind
from workforce.models import (
    ServiceTerritory,
    Shift,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    WorkOrder,
    WorkType,
)

LAGOS = Point(3.3792, 6.5244, srid=4326)


def square(lon: float, lat: float, half: float = 0.1) -> MultiPolygon:
    return MultiPolygon(
        Polygon.from_bbox((lon - half, lat - half, lon + half, lat + half)),
        srid=4326,
    )


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"skill-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())


class TechnicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technician

    user = factory.SubFactory(StaffFactory, roles=["Technician"])
    home_base = factory.LazyFunction(lambda: Point(LAGOS.x, LAGOS.y, srid=4326))
    time_zone = "Africa/Lagos"


class TechnicianSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechnicianSkill

    technician = factory.SubFactory(TechnicianFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceTerritory

    code = factory.Sequence(lambda n: f"t{n}")
    name = factory.LazyAttribute(lambda o: o.code.upper())
    geom = factory.LazyFunction(lambda: square(LAGOS.x, LAGOS.y))
    time_zone = "Africa/Lagos"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TerritoryMembership

    technician = factory.SubFactory(TechnicianFactory)
    territory = factory.SubFactory(TerritoryFactory)
    kind = MembershipKind.PRIMARY
    valid = factory.LazyFunction(lambda: DateRange(datetime.date(2020, 1, 1), None, "[)"))


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    technician = factory.SubFactory(TechnicianFactory)
    during = factory.LazyFunction(
        lambda: DateTimeTZRange(
            datetime.datetime(2030, 3, 4, 8, tzinfo=datetime.UTC),
            datetime.datetime(2030, 3, 4, 17, tzinfo=datetime.UTC),
        )
    )


class WorkTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkType

    name = factory.Sequence(lambda n: f"Work type {n}")
    default_duration_minutes = 60


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    account = factory.SubFactory(AccountFactory)
    work_type = factory.SubFactory(WorkTypeFactory)
    location = factory.LazyFunction(lambda: Point(LAGOS.x + 0.01, LAGOS.y, srid=4326))
    duration_minutes = 60
