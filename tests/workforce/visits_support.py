"""The scene of the customer and vendor portal tests: technicians with day shifts (08:00-17:00 UTC) from two days
ago for ten days ahead, and visits booked through the service (or, for the query-count tests, bulk-made rows)."""

import datetime

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from tests.omni.factories import StaffFactory
from tests.workforce.factories import TechnicianFactory, WorkOrderFactory, WorkTypeFactory
from workforce import services
from workforce.choices import TechnicianKind
from workforce.models import Appointment, Shift, WorkOrder

UTC = datetime.UTC
SHIFT_HOURS = (8, 17)


def day(offset: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """`offset` days from today (UTC, the tests' TIME_ZONE) at hour:minute."""
    today = timezone.now().astimezone(UTC).date() + datetime.timedelta(days=offset)
    return datetime.datetime(today.year, today.month, today.day, hour, minute, tzinfo=UTC)


def technician(name: str = "Musa Bello", *, vendor=None, days: int = 10, **fields):
    """A technician (a vendor's crew member when `vendor`) with 08:00-17:00 shifts from two days ago to `days` days
    ahead."""
    user = StaffFactory(full_name=name, roles=["Technician"])
    if vendor is not None:
        fields.update(kind=TechnicianKind.VENDOR, vendor=vendor)
    tech = TechnicianFactory(user=user, time_zone="UTC", **fields)
    Shift.objects.bulk_create(
        Shift(technician=tech, during=DateTimeTZRange(day(n, SHIFT_HOURS[0]), day(n, SHIFT_HOURS[1]), "[)"))
        for n in range(-2, days)
    )
    return tech


def visit(account, tech, start: datetime.datetime, *, window_hours: int = 0, **work_order_fields) -> Appointment:
    """A work order for `account` booked with `tech` at `start` (60 minutes) through appointment_book; with
    `window_hours`, an arrival window [start, start + window_hours) the customer agreed."""
    if window_hours:
        work_order_fields.update(window_start=start, window_end=start + datetime.timedelta(hours=window_hours))
    work_order = WorkOrderFactory(account=account, **work_order_fields)
    return services.appointment_book(work_order_id=work_order.pk, technician=tech, start=start)


def visits_bulk(account, tech, count: int, *, first: datetime.datetime) -> list[Appointment]:
    """`count` booked visits an hour apart from `first` (bulk rows: the query-count tests' scene)."""
    work_type = WorkTypeFactory()
    orders = WorkOrder.objects.bulk_create(
        WorkOrderFactory.build(account=account, work_type=work_type, status="scheduled") for _ in range(count)
    )
    return Appointment.objects.bulk_create(
        Appointment(
            work_order=order,
            technician=tech,
            scheduled=DateTimeTZRange(
                first + datetime.timedelta(hours=n), first + datetime.timedelta(hours=n + 1), "[)"
            ),
        )
        for n, order in enumerate(orders)
    )
