"""In-day re-optimisation hooks: a cancelled visit of the rest of today (staff or customer) or an emergency work
order for today queues, after commit, one in-day proposal for its territory-day (never applied by itself); a
burst makes one; other days, other priorities and a run's own apply make none. And workforce.work_order.dispatched
lands in the outbox once per dispatch."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from notifications.models import OutboxEvent
from workforce import services, tasks
from workforce.choices import DispatchRunKind, DispatchRunStatus, WorkOrderPriority, WorkOrderStatus
from workforce.models import Appointment, DispatchRun
from workforce.services import dispatch
from workforce.services.visits import visit_cancel

from .factories import LAGOS, TechnicianFactory, TerritoryFactory, WorkOrderFactory, WorkTypeFactory, square

pytestmark = pytest.mark.django_db
INSIDE = Point(LAGOS.x + 0.01, LAGOS.y, srid=4326)


@pytest.fixture
def sent(monkeypatch):
    """The dispatch tasks sent to the broker (their run ids), without a broker."""
    ids = []
    monkeypatch.setattr(tasks.dispatch_run_execute, "delay", lambda run_id: ids.append(run_id))
    return ids


@pytest.fixture
def territory(db):
    return TerritoryFactory(geom=square(LAGOS.x, LAGOS.y, 0.2), time_zone="UTC")


def visit(*, start=None, hours=1, status=WorkOrderStatus.SCHEDULED) -> Appointment:
    start = start or timezone.now() + datetime.timedelta(minutes=1)
    work_order = WorkOrderFactory(location=INSIDE, status=status)
    return Appointment.objects.create(
        work_order=work_order,
        technician=TechnicianFactory(),
        scheduled=DateTimeTZRange(start, start + datetime.timedelta(hours=hours), "[)"),
    )


def in_day_runs():
    return DispatchRun.objects.filter(kind=DispatchRunKind.IN_DAY)


def test_a_cancelled_visit_of_today_queues_one_in_day_proposal(territory, sent, django_capture_on_commit_callbacks):
    appointment = visit()
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment_id=appointment.pk)
    run = in_day_runs().get()
    today = timezone.now().astimezone(datetime.UTC).date()
    assert (run.territory, run.date, run.status) == (territory, today, DispatchRunStatus.QUEUED)
    assert run.not_before is not None and sent == [str(run.pk)]
    assert run.applied_at is None  # a proposal for a dispatcher, not applied


def test_a_burst_of_cancellations_makes_one_run(territory, sent, django_capture_on_commit_callbacks):
    visits = [visit() for _ in range(3)]
    for appointment in visits:  # three writes, three commits
        with django_capture_on_commit_callbacks(execute=True):
            services.appointment_cancel(appointment_id=appointment.pk)
    assert in_day_runs().count() == 1 and len(sent) == 1
    # once that run has been solved, the next cancellation asks for a fresh one
    in_day_runs().update(status=DispatchRunStatus.PROPOSED)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment_id=visit().pk)
    assert in_day_runs().count() == 2


def test_the_customers_cancellation_queues_one_too(territory, sent, django_capture_on_commit_callbacks):
    appointment = visit()
    with django_capture_on_commit_callbacks(execute=True):
        visit_cancel(appointment_id=appointment.pk, reason="Away")
    assert in_day_runs().filter(territory=territory).count() == 1


def test_other_days_and_places_queue_nothing(territory, sent, django_capture_on_commit_callbacks):
    tomorrow = visit(start=timezone.now() + datetime.timedelta(days=2))
    elsewhere = visit()
    elsewhere.work_order.location = Point(LAGOS.x + 5, LAGOS.y, srid=4326)
    elsewhere.work_order.save(update_fields=["location"])
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment_id=tomorrow.pk)
        services.appointment_cancel(appointment_id=elsewhere.pk)
    assert not in_day_runs().exists() and sent == []


def test_nothing_is_queued_before_the_commit(territory, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.appointment_cancel(appointment_id=visit().pk)
    assert not in_day_runs().exists() and callbacks  # the proposal waits for the commit


def test_an_emergency_for_today_queues_one_and_a_normal_or_later_one_does_not(
    territory, account, sent, django_capture_on_commit_callbacks
):
    work_type = WorkTypeFactory()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.work_order_create(
            work_type=work_type, account=account, location=INSIDE, priority=WorkOrderPriority.NORMAL
        )
        services.work_order_create(
            work_type=work_type,
            account=account,
            location=INSIDE,
            priority=WorkOrderPriority.URGENT,
            window_start=now + datetime.timedelta(days=3),
            window_end=now + datetime.timedelta(days=3, hours=4),
        )
    assert not in_day_runs().exists()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            services.work_order_create(
                work_type=work_type, account=account, location=INSIDE, priority=WorkOrderPriority.URGENT
            )
    run = in_day_runs().get()
    assert run.territory == territory and run.status == DispatchRunStatus.QUEUED and len(sent) == 1


def test_applying_an_in_day_run_does_not_queue_another(territory, sent, django_capture_on_commit_callbacks):
    """The apply cancels the booked work the plan could not keep: that must not start a new run."""
    appointment = visit()
    run = dispatch.reoptimise_day(territory=territory, queue=False)
    DispatchRun.objects.filter(pk=run.pk).update(
        status=DispatchRunStatus.PROPOSED,
        unassigned=[{"work_order": str(appointment.work_order_id), "number": "", "rule": "x", "reason": "x"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch_run_apply(run_id=run.pk)
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert in_day_runs().count() == 1 and sent == []


# --- workforce.work_order.dispatched ------------------------------------------------------------------------------


def test_dispatching_records_the_event_once(territory):
    appointment = visit()
    work_order = appointment.work_order
    services.work_order_transition(work_order_id=work_order.pk, to=WorkOrderStatus.DISPATCHED)
    services.work_order_transition(work_order_id=work_order.pk, to=WorkOrderStatus.DISPATCHED)  # a retry
    events = OutboxEvent.objects.filter(event="workforce.work_order.dispatched")
    assert events.count() == 1
    data = events.get().data
    assert data["number"] == work_order.number
    assert (data["appointment"], data["technician"]) == (str(appointment.pk), str(appointment.technician_id))
    assert data["start"] == appointment.scheduled.lower.isoformat()
