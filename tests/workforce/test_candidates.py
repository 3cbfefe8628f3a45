"""The candidate query (DOMAIN.md C.7.1): a work order needing {fiber-splicing >= 3, bucket-truck} in territory T
gets only technicians with both skills at level, a certification valid that day and a T membership valid that day,
free at the slot, in one query (plus one to load them) for 5 or 500 technicians."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateRange, DateTimeTZRange

from omni.choices import Audience
from omni.models import User
from tests.workforce.factories import (
    LAGOS,
    MembershipFactory,
    ShiftFactory,
    SkillFactory,
    TechnicianFactory,
    TechnicianSkillFactory,
    TerritoryFactory,
    WorkOrderFactory,
    square,
)
from workforce import selectors, services
from workforce.choices import MembershipKind, TerritoryRule, TimeOffStatus
from workforce.models import (
    SchedulingPolicy,
    Shift,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
    WorkOrderSkill,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2030, 3, 4)


def at(hour, minute=0):
    return datetime.datetime(2030, 3, 4, hour, minute, tzinfo=datetime.UTC)


@pytest.fixture
def scene():
    splicing = SkillFactory(code="fiber-splicing", requires_certification=True)
    truck = SkillFactory(code="bucket-truck")
    territory = TerritoryFactory(code="T")
    elsewhere = TerritoryFactory(code="U", geom=square(7.5, 9.0))
    work_order = WorkOrderFactory()
    WorkOrderSkill.objects.create(work_order=work_order, skill=splicing, min_level=3)
    WorkOrderSkill.objects.create(work_order=work_order, skill=truck, min_level=1)
    return splicing, truck, territory, elsewhere, work_order


def make(splicing, truck, territory, *, level=3, certified=DAY, truck_skill=True, member="same", valid=None):
    technician = TechnicianFactory()
    TechnicianSkillFactory(technician=technician, skill=splicing, level=level, certified_until=certified)
    if truck_skill:
        TechnicianSkillFactory(technician=technician, skill=truck, level=1)
    member = territory if member == "same" else member
    if member is not None:
        MembershipFactory(technician=technician, territory=member, valid=valid or DateRange(DAY, None))
    ShiftFactory(technician=technician, during=DateTimeTZRange(at(8), at(17)))
    return technician


def test_only_technicians_passing_every_hard_rule(scene):
    splicing, truck, territory, elsewhere, work_order = scene
    good = make(splicing, truck, territory)
    better_level = make(splicing, truck, territory, level=5, certified=None)  # needs certification: none
    low = make(splicing, truck, territory, level=2)
    expired = make(splicing, truck, territory, certified=DAY - datetime.timedelta(days=1))
    no_truck = make(splicing, truck, territory, truck_skill=False)
    other_place = make(splicing, truck, territory, member=elsewhere)
    membership_later = make(splicing, truck, territory, valid=DateRange(DAY + datetime.timedelta(days=1), None))
    relocation_now = make(splicing, truck, territory, member=None)
    TerritoryMembership.objects.create(
        technician=relocation_now,
        territory=territory,
        kind=MembershipKind.RELOCATION,
        valid=DateRange(DAY, DAY + datetime.timedelta(days=1)),
    )
    ids = {c.technician.pk for c in selectors.work_order_candidates(work_order_id=work_order.pk, start=at(9))}
    assert good.pk in ids and relocation_now.pk in ids
    for excluded in (better_level, low, expired, no_truck, other_place, membership_later):
        assert excluded.pk not in ids
    assert ids == {good.pk, relocation_now.pk}
    # the day after, the relocation has ended and the later membership has begun
    tomorrow = at(9) + datetime.timedelta(days=1)
    for technician in (good, membership_later, relocation_now):
        ShiftFactory(
            technician=technician,
            during=DateTimeTZRange(at(8) + datetime.timedelta(days=1), tomorrow + datetime.timedelta(hours=8)),
        )
    TechnicianSkill.objects.filter(technician__in=[good, membership_later]).update(
        certified_until=DAY + datetime.timedelta(days=30)
    )
    ids = {c.technician.pk for c in selectors.work_order_candidates(work_order_id=work_order.pk, start=tomorrow)}
    assert ids == {good.pk, membership_later.pk}


def test_availability_shift_time_off_and_appointments(scene):
    splicing, truck, territory, _elsewhere, work_order = scene
    free, busy, away = (make(splicing, truck, territory) for _ in range(3))
    TimeOff.objects.create(
        technician=away, during=DateTimeTZRange(at(9), at(10)), status=TimeOffStatus.APPROVED, reason="off"
    )
    other = WorkOrderFactory()
    services.appointment_book(work_order_id=other.pk, technician=busy, start=at(9, 30))

    def ids(start):
        return {c.technician.pk for c in selectors.work_order_candidates(work_order_id=work_order.pk, start=start)}

    assert ids(at(9)) == {free.pk}
    assert ids(at(7)) == set()  # no shift covers 07:00-08:00
    assert ids(at(11)) == {free.pk, busy.pk, away.pk}
    excluded = services.work_order_update(work_order_id=work_order.pk, excluded_technicians=[free])
    assert ids(at(11)) == {busy.pk, away.pk} and excluded.pk == work_order.pk


def test_radius_and_distance_from_home_base(scene):
    splicing, truck, territory, _elsewhere, work_order = scene
    near = make(splicing, truck, territory)
    far = make(splicing, truck, territory)
    Technician.objects.filter(pk=far.pk).update(home_base=Point(LAGOS.x + 0.09, LAGOS.y, srid=4326))
    candidates = selectors.work_order_candidates(work_order_id=work_order.pk, start=at(9))
    assert [c.technician.pk for c in candidates] == [near.pk, far.pk]  # nearest first
    assert 1000 < candidates[0].distance_m < 1200  # 0.01 degree of longitude at 6.5 N: about 1.1 km
    within = selectors.work_order_candidates(work_order_id=work_order.pk, start=at(9), radius_m=5000)
    assert [c.technician.pk for c in within] == [near.pk]


@pytest.mark.parametrize("n", [5, 500])
def test_query_count_is_constant(scene, n, django_assert_max_num_queries):
    splicing, truck, territory, _elsewhere, work_order = scene
    users = User.objects.bulk_create(
        User(email=f"bulk{i}@example.com", audience=Audience.STAFF, is_staff=True) for i in range(n)
    )
    technicians = Technician.objects.bulk_create(
        Technician(user=user, home_base=Point(LAGOS.x, LAGOS.y + i * 0.0001, srid=4326)) for i, user in enumerate(users)
    )
    TechnicianSkill.objects.bulk_create(
        [
            TechnicianSkill(technician=t, skill=splicing, level=3 + i % 3, certified_until=DAY)
            for i, t in enumerate(technicians)
        ]
        + [TechnicianSkill(technician=t, skill=truck, level=1) for t in technicians[::2]]
    )
    TerritoryMembership.objects.bulk_create(
        TerritoryMembership(technician=t, territory=territory, valid=DateRange(DAY, None)) for t in technicians
    )
    Shift.objects.bulk_create(Shift(technician=t, during=DateTimeTZRange(at(8), at(17))) for t in technicians)
    with django_assert_max_num_queries(3):
        candidates = selectors.work_order_candidates(work_order_id=work_order.pk, start=at(9))
        names = [str(c.technician) for c in candidates]
    assert len(candidates) == len(names) == (n + 1) // 2


@pytest.mark.django_db(transaction=True)  # outside a transaction, as a request runs it (autocommit)
def test_the_statement_is_prepared_and_planned_once(scene):
    """candidate_rows runs a statement prepared on its connection (omni.db.fetch_prepared), and the connection asks
    PostgreSQL for the generic plan (plan_cache_mode): every execution reuses the one plan, none is planned again.
    The soft territory rule's statement (its plan depends on the values) is not prepared."""
    splicing, truck, territory, _elsewhere, work_order = scene
    good = make(splicing, truck, territory)

    def plans():  # generic and custom plans of the candidate statements prepared on this connection so far
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0), count(*) "
                "FROM pg_prepared_statements WHERE statement LIKE '%%workforce_territorymembership%%'"
            )
            return cursor.fetchone()

    generic, custom, _statements = plans()
    for _ in range(7):
        rows = selectors.candidate_rows(work_order_ids=[work_order.pk], start=at(9))
        assert [tech for _, tech, _ in rows] == [good.pk]
    generic_after, custom_after, statements = plans()
    assert (generic_after - generic, custom_after - custom) == (7, 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        assert cursor.fetchone() == ("force_generic_plan",)
    soft = SchedulingPolicy.objects.create(name="soft", territory_rule=TerritoryRule.SOFT)
    rows = selectors.candidate_rows(work_order_ids=[work_order.pk], start=at(9), policy=soft)
    assert good.pk in [tech for _, tech, _ in rows]
    assert plans()[2] == statements  # nothing new prepared
