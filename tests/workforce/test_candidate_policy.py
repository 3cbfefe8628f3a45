"""The candidate query honours the scheduling policy's hard rules (match_skills, territory hard / soft, respect_shifts,
max travel, max jobs a day) in its one statement, ranks members (DOMAIN.md C.7.2: a secondary member below an equal
primary, a relocation only inside its dates), and is driven from the territory GiST index."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateRange, DateTimeTZRange

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
    ServiceTerritory,
    Shift,
    Technician,
    TimeOff,
    WorkOrder,
    WorkOrderSkill,
)
from workforce.services.rules import RuleBook

pytestmark = pytest.mark.django_db
DAY = datetime.date(2030, 3, 4)


def at(hour, day=0):
    return datetime.datetime(2030, 3, 4, hour, tzinfo=datetime.UTC) + datetime.timedelta(days=day)


def policy(**rules) -> SchedulingPolicy:
    return SchedulingPolicy(name="test", **rules)


@pytest.fixture
def scene():
    splicing = SkillFactory(code="fiber-splicing", requires_certification=True)
    territory = TerritoryFactory(code="T")
    elsewhere = TerritoryFactory(code="U", geom=square(7.5, 9.0))
    work_order = WorkOrderFactory()
    WorkOrderSkill.objects.create(work_order=work_order, skill=splicing, min_level=3)
    return splicing, territory, elsewhere, work_order


def make(splicing, territory, *, level=3, kind=MembershipKind.PRIMARY, valid=None, lon=LAGOS.x, shift=True):
    technician = TechnicianFactory(home_base=Point(lon, LAGOS.y, srid=4326))
    TechnicianSkillFactory(
        technician=technician, skill=splicing, level=level, certified_until=DAY + datetime.timedelta(days=30)
    )
    if territory is not None:
        MembershipFactory(technician=technician, territory=territory, kind=kind, valid=valid or DateRange(DAY, None))
    if shift:
        ShiftFactory(technician=technician, during=DateTimeTZRange(at(8), at(17)))
    return technician


def ids(work_order, start=None, **rules):
    rows = selectors.candidate_rows(
        work_order_ids=[work_order.pk], start=start or at(9), policy=policy(**rules) if rules else None
    )
    return [tech for _, tech, _ in rows]


def test_match_skills_off_lets_any_skill_level_pass(scene):
    splicing, territory, _elsewhere, work_order = scene
    skilled = make(splicing, territory)
    unskilled = make(splicing, territory, level=1)
    assert ids(work_order) == [skilled.pk]
    assert ids(work_order, match_skills=True) == [skilled.pk]
    assert set(ids(work_order, match_skills=False)) == {skilled.pk, unskilled.pk}


def test_soft_territory_lets_outsiders_pass_below_members(scene):
    splicing, territory, elsewhere, work_order = scene
    outsider = make(splicing, elsewhere)  # at the same home base: nearer would not help it
    nobody = make(splicing, None, lon=LAGOS.x + 0.005)  # no membership at all, and nearer than the member
    member = make(splicing, territory, lon=LAGOS.x - 0.05)
    assert ids(work_order, territory_rule=TerritoryRule.HARD) == [member.pk]
    soft = ids(work_order, territory_rule=TerritoryRule.SOFT)
    assert soft[0] == member.pk and set(soft[1:]) == {outsider.pk, nobody.pk}
    assert soft[1:] == [nobody.pk, outsider.pk]  # then nearest first


def test_secondary_member_ranks_below_an_equal_primary(scene):
    splicing, territory, elsewhere, work_order = scene
    secondary = make(splicing, territory, kind=MembershipKind.SECONDARY)
    primary = make(splicing, territory)
    assert ids(work_order) == [primary.pk, secondary.pk]
    # a primary member elsewhere that is also a secondary member here still ranks as a secondary here
    both = make(splicing, elsewhere, lon=LAGOS.x + 0.01)  # on the spot
    MembershipFactory(technician=both, territory=territory, kind=MembershipKind.SECONDARY, valid=DateRange(DAY, None))
    assert ids(work_order) == [primary.pk, both.pk, secondary.pk]


def test_relocation_counts_only_inside_its_dates(scene):
    splicing, territory, elsewhere, work_order = scene
    secondary = make(splicing, territory, kind=MembershipKind.SECONDARY, lon=LAGOS.x + 0.01)
    relocated = make(splicing, elsewhere, lon=LAGOS.x - 0.05)
    MembershipFactory(
        technician=relocated,
        territory=territory,
        kind=MembershipKind.RELOCATION,
        valid=DateRange(DAY, DAY + datetime.timedelta(days=1)),
    )
    for technician in (secondary, relocated):
        ShiftFactory(technician=technician, during=DateTimeTZRange(at(8, 1), at(17, 1)))
    # inside its dates the relocation counts as a full member (above the nearer secondary member)
    assert ids(work_order) == [relocated.pk, secondary.pk]
    # the day after it has ended: not a member here (hard), an outsider (soft)
    assert ids(work_order, start=at(9, 1)) == [secondary.pk]
    assert ids(work_order, start=at(9, 1), territory_rule=TerritoryRule.SOFT) == [secondary.pk, relocated.pk]


def test_respect_shifts_off_drops_the_shift_not_time_off(scene):
    splicing, territory, _elsewhere, work_order = scene
    on_shift = make(splicing, territory)
    no_shift = make(splicing, territory, shift=False)
    away = make(splicing, territory, shift=False)
    TimeOff.objects.create(
        technician=away, during=DateTimeTZRange(at(8), at(12)), status=TimeOffStatus.APPROVED, reason="off"
    )
    assert ids(work_order) == [on_shift.pk]
    assert set(ids(work_order, respect_shifts=False)) == {on_shift.pk, no_shift.pk}
    assert ids(work_order, start=at(20)) == []
    assert set(ids(work_order, start=at(20), respect_shifts=False)) == {on_shift.pk, no_shift.pk, away.pk}


def test_max_travel_uses_the_territory_travel_model(scene):
    splicing, territory, _elsewhere, work_order = scene
    near = make(splicing, territory)  # 1.1 km from the work order: 2 min at 45 km/h x 1.3
    far = make(splicing, territory, lon=LAGOS.x + 0.09)  # 8.8 km: 15 min; 8 min at 90 km/h
    assert ids(work_order) == [near.pk, far.pk]
    assert ids(work_order, max_travel_minutes=10) == [near.pk]
    ServiceTerritory.objects.filter(pk=territory.pk).update(travel_speed_kmh=90)
    assert ids(work_order, max_travel_minutes=10) == [near.pk, far.pk]
    assert ids(work_order, max_travel_minutes=5) == [near.pk]
    Technician.objects.filter(pk=near.pk).update(home_base=None)  # no home base: its travel is unknown
    assert ids(work_order, max_travel_minutes=10) == [far.pk]


def test_max_jobs_per_day_counts_the_day_live_appointments(scene):
    splicing, territory, _elsewhere, work_order = scene
    free = make(splicing, territory)
    busy = make(splicing, territory, lon=LAGOS.x + 0.04)
    services.appointment_book(work_order_id=WorkOrderFactory().pk, technician=busy, start=at(11))
    assert ids(work_order) == [free.pk, busy.pk]
    assert ids(work_order, max_jobs_per_day=1) == [free.pk]
    assert ids(work_order, max_jobs_per_day=2) == [free.pk, busy.pk]
    Technician.objects.filter(pk=busy.pk).update(max_jobs_per_day=1)  # the technician's own cap, when lower
    assert ids(work_order, max_jobs_per_day=5) == [free.pk]
    # the next day is another day
    Shift.objects.create(technician=busy, during=DateTimeTZRange(at(8, 1), at(17, 1)))
    assert busy.pk in ids(work_order, start=at(9, 1), max_jobs_per_day=5)


def test_every_switch_at_once_is_one_query(scene, django_assert_num_queries):
    splicing, territory, _elsewhere, work_order = scene
    make(splicing, territory)
    loose = policy(
        match_skills=False,
        territory_rule=TerritoryRule.SOFT,
        respect_shifts=False,
        max_travel_minutes=30,
        max_jobs_per_day=3,
    )
    with django_assert_num_queries(2):
        found = selectors.work_order_candidates(work_order_id=work_order.pk, start=at(9), radius_m=50_000, policy=loose)
    assert len(found) == 1


def test_the_query_starts_from_the_territory_gist_index(scene):
    splicing, territory, _elsewhere, work_order = scene
    for _ in range(3):
        make(splicing, territory)
    ServiceTerritory.objects.bulk_create(  # enough territories that scanning them all is not the cheaper plan
        ServiceTerritory(code=f"far-{i}", name=f"Far {i}", geom=square(-60 + i * 0.5, -30, 0.2)) for i in range(200)
    )
    sql, params = selectors.candidate_statement(work_order_ids=[work_order.pk], start=at(9))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE workforce_serviceterritory, workforce_territorymembership, workforce_technician")
        cursor.execute("SET LOCAL enable_seqscan = off")  # ask the planner for an index, and check it has one
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    gist = next(
        name
        for name, definition in _indexes("workforce_serviceterritory")
        if "USING gist (geom)" in definition  # Django's spatial_index
    )
    assert f"Index Scan using {gist} on workforce_serviceterritory" in plan, plan
    assert "Seq Scan on workforce_serviceterritory" not in plan, plan
    # then the memberships of those territories, and technicians by key: never a scan of all technicians
    assert "Seq Scan on workforce_technician" not in plan, plan
    assert "workforce_technician_pkey" in plan, plan


def _indexes(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return cursor.fetchall()


def test_the_validator_takes_the_policy_eligibility_rules(scene):
    splicing, territory, elsewhere, work_order = scene
    member = make(splicing, territory)
    outsider = make(splicing, elsewhere, level=1)
    WorkOrder.objects.filter(pk=work_order.pk).update(window_start=at(8), window_end=at(12))

    def eligible(**rules):
        book = RuleBook.load(policy=policy(**rules), work_orders=[work_order], since=at(0), until=at(0, 1))
        return book.eligible[work_order.pk]

    assert eligible() == {member.pk}
    assert eligible(match_skills=False, territory_rule=TerritoryRule.SOFT) == {member.pk, outsider.pk}
    # the travel and the day's cap are checked per slot (from the stop before), not from the home base
    assert eligible(max_travel_minutes=1, max_jobs_per_day=1) == {member.pk}
