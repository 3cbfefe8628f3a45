"""Two bookings racing for one technician's time: the exclusion constraint decides, exactly one commits and the
other is a Conflict (409). Each booking runs in its own thread and database connection."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from tests.tickets.test_ticket_concurrency import run_together
from tests.workforce.factories import ShiftFactory, TechnicianFactory, WorkOrderFactory
from workforce import services
from workforce.choices import WorkOrderStatus
from workforce.models import Appointment, WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)


def at(hour, minute=0):
    return datetime.datetime(2030, 3, 4, hour, minute, tzinfo=datetime.UTC)


def test_two_concurrent_overlapping_bookings_exactly_one_commits():
    for _round in range(3):
        technician = TechnicianFactory()
        ShiftFactory(technician=technician, during=DateTimeTZRange(at(8), at(17)))
        first, second = WorkOrderFactory(), WorkOrderFactory()
        results = run_together(
            lambda w=first, t=technician: services.appointment_book(work_order_id=w.pk, technician=t, start=at(9)),
            lambda w=second, t=technician: services.appointment_book(work_order_id=w.pk, technician=t, start=at(9, 30)),
        )
        assert sorted(results) == ["conflict", "ok"], results
        assert Appointment.objects.filter(technician=technician).count() == 1
        statuses = sorted(WorkOrder.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
        assert statuses == [WorkOrderStatus.NEW, WorkOrderStatus.SCHEDULED]
