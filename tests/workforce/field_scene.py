"""A technician's booked job for the field-work and technician-view tests: a work type with a checklist template,
a work order created and booked through the services (so the checklist is copied as in production), moved along
the status machine to the status asked for."""

import datetime
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import Point
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from tests.crm.factories import AccountFactory
from tests.workforce.factories import LAGOS, ShiftFactory, TechnicianFactory, WorkTypeFactory
from workforce import selectors_field, services
from workforce.choices import WorkOrderStatus

S = WorkOrderStatus
PATH = (S.DISPATCHED, S.EN_ROUTE, S.ON_SITE)


def booked_job(technician=None, *, status=S.SCHEDULED, checklist=("Check the signal", "Label the drop"), hour=10):
    """(technician, work order) booked at `hour`:00 on the technician's today, in `status` (scheduled, dispatched,
    en_route or on_site). A shift of its own covers the hour (one job per hour and technician)."""
    technician = technician or TechnicianFactory()
    day = selectors_field.technician_today(technician, now=timezone.now())
    start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=ZoneInfo(technician.time_zone))
    ShiftFactory(technician=technician, during=DateTimeTZRange(start, start + datetime.timedelta(hours=1)))
    work_order = services.work_order_create(
        work_type=WorkTypeFactory(checklist_template=list(checklist)),
        account=AccountFactory(),
        location=Point(LAGOS.x + 0.01, LAGOS.y, srid=4326),
        address="12 Marina Road",
        window_start=start,
        window_end=start + datetime.timedelta(hours=2),
    )
    services.appointment_book(work_order_id=work_order.pk, technician=technician, start=start)
    if status != S.SCHEDULED:
        for to in PATH[: PATH.index(status) + 1]:
            services.work_order_transition(work_order_id=work_order.pk, to=to)
    work_order.refresh_from_db()
    return technician, work_order
