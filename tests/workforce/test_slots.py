"""Travel model, slot search and auto-booking (DOMAIN.md C.4.2, C.4.3, C.4.5; C.7 statements 5 and 7)."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.test.utils import CaptureQueriesContext

from tests.workforce.factories import (
    LAGOS,
    MembershipFactory,
    ShiftFactory,
    TechnicianFactory,
    TerritoryFactory,
    WorkOrderFactory,
    square,
)
from workforce.choices import AppointmentStatus, WorkOrderStatus
from workforce.models import Appointment, SchedulingPolicy
from workforce.services import slots as slot_services
from workforce.services.policies import policy_for
from workforce.services.travel import TravelModel

pytestmark = pytest.mark.django_db


def at(hour, minute=0):
    return datetime.datetime(2030, 3, 4, hour, minute, tzinfo=datetime.UTC)


def project(point: Point, metres: float, azimuth: float = 90) -> Point:
    """The point `metres` from `point` on the spheroid (PostGIS), as the matrix measures."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(g::geometry), ST_Y(g::geometry) FROM (SELECT ST_Project("
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, radians(%s)) AS g) q",
            [point.x, point.y, metres, azimuth],
        )
        x, y = cursor.fetchone()
    return Point(x, y, srid=4326)


@pytest.fixture
def scene():
    """A technician whose 08:00-09:00 job is 15 km from the new work order (circuity 1.0, 45 km/h)."""
    territory = TerritoryFactory(geom=square(LAGOS.x, LAGOS.y, 0.5), travel_speed_kmh=45, circuity=1.0)
    technician = TechnicianFactory(home_base=LAGOS)
    MembershipFactory(technician=technician, territory=territory)
    ShiftFactory(technician=technician, during=DateTimeTZRange(at(8), at(17)))
    neighbour = WorkOrderFactory(location=project(LAGOS, 15_000))
    Appointment.objects.create(
        work_order=neighbour, technician=technician, scheduled=DateTimeTZRange(at(8), at(9), "[)")
    )
    job = WorkOrderFactory(location=LAGOS, duration_minutes=60, window_start=at(8), window_end=at(12))
    return territory, technician, job


def test_travel_matrix_for_200_points_in_one_query():
    points = [Point(LAGOS.x + i * 0.001, LAGOS.y + (i % 7) * 0.002, srid=4326) for i in range(200)]
    model = TravelModel(speed_kmh=45, circuity=1.0)
    with CaptureQueriesContext(connection) as ctx:
        matrix = model.matrix(points)
    assert len(ctx.captured_queries) == 1
    assert len(matrix) == 200 and all(len(row) == 200 for row in matrix)
    assert all(matrix[i][i] == 0 for i in range(200))
    assert matrix[0][5] == matrix[5][0] > 0


def test_fifteen_km_at_45_kmh_is_twenty_minutes():
    model = TravelModel(speed_kmh=45, circuity=1.0)
    assert model.minutes(LAGOS, project(LAGOS, 15_000)) == 20
    assert TravelModel(speed_kmh=45, circuity=1.3).minutes(LAGOS, project(LAGOS, 15_000)) == 26


def test_graded_slots_inside_the_window_with_travel_from_the_neighbour(scene):
    _territory, technician, job = scene
    found = slot_services.slot_search(job, start=datetime.date(2030, 3, 4), days=1)
    assert found, "slots expected"
    for slot in found:
        assert slot.technician_id == technician.pk
        assert at(8) <= slot.start <= at(12), slot
        assert slot.end - slot.start == datetime.timedelta(minutes=60)
        assert 0 <= slot.grade <= 100
        assert slot.start >= at(9, 20)  # 09:00 at the neighbour + 20 min
    first = min(found, key=lambda s: s.start)
    assert first.start == at(9, 20)
    assert first.travel_minutes == 20
    # ASAP and travel weigh in: the earliest slot grades highest
    assert found[0] == first
    assert [s.grade for s in found] == sorted((s.grade for s in found), reverse=True)


def test_policy_max_travel_removes_far_slots(scene):
    territory, _technician, job = scene
    policy = policy_for(territory)
    policy.max_travel_minutes = 10
    policy.save()
    assert slot_services.slot_search(job, start=datetime.date(2030, 3, 4), days=1) == []


def test_a_default_policy_is_created_once_and_one_default_per_territory(scene):
    territory, *_ = scene
    first = policy_for(territory)
    assert first.is_default and first.territory is None
    assert policy_for(None) == first
    own = SchedulingPolicy.objects.create(name="Lagos", territory=territory, is_default=True)
    assert policy_for(territory) == own
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SchedulingPolicy.objects.create(name="Lagos 2", territory=territory, is_default=True)


def test_book_best_takes_the_best_slot(scene):
    _territory, technician, job = scene
    appointment = slot_services.book_best(job, start=datetime.date(2030, 3, 4), days=1)
    assert appointment.technician_id == technician.pk
    assert appointment.scheduled.lower == at(9, 20)
    assert appointment.travel_before_minutes == 20
    job.refresh_from_db()
    assert job.status == WorkOrderStatus.SCHEDULED


def test_a_racing_booking_loses_to_the_constraint_and_takes_the_next_slot(scene, monkeypatch):
    _territory, technician, job = scene
    stale = slot_services.slot_search(job, start=datetime.date(2030, 3, 4), days=1)
    best = stale[0]
    # another dispatcher books the best slot for another job first
    rival = WorkOrderFactory(location=LAGOS)
    Appointment.objects.create(
        work_order=rival, technician=technician, scheduled=DateTimeTZRange(best.start, best.end, "[)")
    )
    monkeypatch.setattr(slot_services, "slot_search", lambda *a, **k: stale)
    appointment = slot_services.book_best(job)
    assert appointment.scheduled.lower != best.start
    assert not (appointment.scheduled.lower < best.end and best.start < appointment.scheduled.upper)
    live = Appointment.objects.filter(work_order=job).exclude(status=AppointmentStatus.CANCELLED)
    assert live.count() == 1


def test_book_a_given_slot_outside_the_window_is_refused(scene):
    from django.core.exceptions import ValidationError

    _territory, technician, job = scene
    slot = slot_services.Slot(technician.pk, at(13), at(14), 50, 0)
    with pytest.raises(ValidationError) as err:
        slot_services.book_best(job, slot)
    assert "respect_window" in str(err.value)
