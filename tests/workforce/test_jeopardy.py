"""The jeopardy scan (workforce.services.jeopardy, beat "workforce-jeopardy-scan"): appointments whose ETA, or
without one the technician's projected arrival, passes the window's end are flagged once, with one
workforce.appointment.at_risk event each, in a fixed number of queries; a second scan tells nobody again."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from notifications import outbox
from notifications.models import OutboxEvent
from omni.schedule import beat_schedule
from workforce import services, tasks
from workforce.models import Appointment

from .factories import TechnicianFactory, WorkOrderFactory

pytestmark = pytest.mark.django_db
EVENT = "workforce.appointment.at_risk"
UTC = datetime.UTC


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2030, 3, 4, hour, minute, tzinfo=UTC)


def appointment(start, *, window_end=None, travel=0, **fields) -> Appointment:
    """An appointment (rows, not the booking service: the scan reads whatever the services left)."""
    window_end = window_end or at(10)
    work_order = WorkOrderFactory(window_start=window_end - datetime.timedelta(hours=2), window_end=window_end)
    return Appointment.objects.create(
        work_order=work_order,
        technician=fields.pop("technician", None) or TechnicianFactory(),
        scheduled=DateTimeTZRange(start, start + datetime.timedelta(hours=1)),
        travel_before_minutes=travel,
        **fields,
    )


def _events():
    return list(OutboxEvent.objects.filter(event=EVENT))


def test_an_eta_past_the_window_end_is_flagged_once_and_told_once():
    late = appointment(at(9, 30), eta=at(10, 5))
    appointment(at(9), eta=at(9, 50))  # arrives inside the window
    assert services.appointments_flag_at_risk(now=at(9)) == 1
    assert services.appointments_flag_at_risk(now=at(9, 1)) == 0  # running twice notifies once
    late.refresh_from_db()
    assert late.at_risk_at == at(9)
    (event,) = _events()
    assert event.data["appointment"] == str(late.pk) and event.data["number"] == late.work_order.number
    assert event.data["eta"] == "2030-03-04T10:05:00Z" and event.data["projected_arrival"] == "2030-03-04T10:05:00Z"
    assert event.data["window_end"] == "2030-03-04T10:00:00Z" and event.data["technician"] == str(late.technician_id)
    assert event.permission == "workforce.view_workorder" and event.dispatched_at is None
    assert event.url.endswith("/dispatch/?day=2030-03-04")
    assert outbox.outbox_dispatch(event.pk)  # the catalogue entry and its templates take this payload


def test_the_admin_lists_and_filters_at_risk_appointments(client_as, admin_user):
    late = appointment(at(9, 30), eta=at(10, 5))
    services.appointments_flag_at_risk(now=at(9))
    response = client_as(admin_user).get("/admin/workforce/appointment/", {"at_risk_at__isempty": "0"})
    assert response.status_code == 200 and late.work_order.number in response.content.decode()


def test_without_an_eta_the_projected_arrival_counts_travel_from_now():
    # Scheduled 09:30 with 20 min of travel: at 09:45 the technician cannot arrive before 10:05.
    not_left = appointment(at(9, 30), travel=20)
    # En route without an ETA: arrives now at best, 09:45, inside the window.
    appointment(at(9, 30), travel=20, status="en_route")
    # On site already: never at risk, whatever the time.
    appointment(at(9), travel=20, status="on_site", actual_start=at(9, 5))
    assert services.appointments_flag_at_risk(now=at(9, 30)) == 0  # 09:50 at worst: still in time
    assert services.appointments_flag_at_risk(now=at(9, 45)) == 1
    assert [e.data["appointment"] for e in _events()] == [str(not_left.pk)]
    assert _events()[0].data["projected_arrival"] == "2030-03-04T10:05:00Z"


def test_cancelled_and_long_past_windows_are_left_alone():
    appointment(at(9, 30), eta=at(11), status="cancelled")
    appointment(at(9, 30), eta=at(11), window_end=at(10) - datetime.timedelta(days=3))
    assert services.appointments_flag_at_risk(now=at(9)) == 0
    assert _events() == []


@pytest.mark.parametrize("late", [2, 40])
def test_the_scan_runs_in_a_fixed_number_of_queries(late, django_assert_max_num_queries):
    technician = TechnicianFactory()
    for n in range(late):
        appointment(
            at(9) + datetime.timedelta(hours=n), eta=at(11) + datetime.timedelta(hours=n), technician=technician
        )
    with django_assert_max_num_queries(5):  # savepoint, UPDATE ... RETURNING, work orders, events INSERT, release
        assert services.appointments_flag_at_risk(now=at(8)) == late
    assert len(_events()) == late


def test_the_beat_runs_the_scan_every_minute_and_shifts_nightly():
    schedule = beat_schedule(heartbeat_interval=30)
    assert schedule["workforce-jeopardy-scan"]["task"] == "workforce.tasks.jeopardy_scan"
    assert schedule["workforce-jeopardy-scan"]["schedule"] == 60
    assert schedule["workforce-shifts-generate"]["task"] == "workforce.tasks.shifts_generate"
    assert tasks.jeopardy_scan.name == "workforce.tasks.jeopardy_scan"
    assert tasks.shifts_generate.name == "workforce.tasks.shifts_generate"


def test_the_shift_task_generates_from_the_patterns_and_is_idempotent():
    technician = TechnicianFactory()
    services.shift_pattern_create(
        technician=technician, weekdays="0,1,2,3,4", start=datetime.time(8), end=datetime.time(17)
    )
    tasks.shifts_generate()
    count = technician.shifts.count()
    assert count >= 19  # four weeks of weekdays from today
    tasks.shifts_generate()
    assert technician.shifts.count() == count
