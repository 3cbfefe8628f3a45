"""In-day re-optimisation hooks (issue 14, item 6): a cancelled visit of the rest of today frees a technician's
time, an emergency work order (priority urgent, for today) needs one. Either queues, after the write commits, an
in-day proposal (a DispatchRun of kind in_day, services.dispatch.reoptimise_day) for the territory covering the
work and today in its time zone. Never applied automatically: a dispatcher reviews it at /dispatch/runs/<id>/.

Debounced: a burst of cancellations makes one queued run per territory-day. The check and the insert run under a
lock of the territory's row, so two writers committing at once cannot both queue one; a run already queued or
running for that territory-day covers the change (it reads the database when it starts)."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from ..choices import DispatchRunKind, DispatchRunStatus
from ..models import DispatchRun, ServiceTerritory
from .travel import territory_at

logger = logging.getLogger(__name__)
IN_FLIGHT = (DispatchRunStatus.QUEUED, DispatchRunStatus.RUNNING)


def in_day_queue(*, territory_id, day: dt.date, now: dt.datetime | None = None) -> DispatchRun | None:
    """An in-day proposal for the territory's `day` (today there), unless one is already queued or running for
    it, or the day is no longer today. Its own transaction; returns the run queued, or None."""
    from .dispatch import reoptimise_day

    now = now or timezone.now()
    with transaction.atomic():
        territory = ServiceTerritory.objects.select_for_update().filter(pk=territory_id).first()
        if territory is None or now.astimezone(ZoneInfo(territory.time_zone)).date() != day:
            return None
        in_flight = DispatchRun.objects.filter(
            kind=DispatchRunKind.IN_DAY, territory=territory, date=day, status__in=IN_FLIGHT
        )
        if in_flight.exists():
            return None
        return reoptimise_day(territory=territory, now=now)


def _later(territory: ServiceTerritory, day: dt.date) -> None:
    transaction.on_commit(lambda: in_day_queue(territory_id=territory.pk, day=day), robust=True)


def after_cancellation(appointment, *, location) -> None:
    """In the cancelling transaction: a visit that was still to end today frees time; re-plan the rest of the
    day after commit. A visit of another day (or already over) changes nothing."""
    now = timezone.now()
    span = appointment.scheduled
    if span is None or span.isempty or span.upper <= now or span.lower - now > dt.timedelta(days=1):
        return  # the cheap test first: most cancellations are of other days
    territory = territory_at(location)
    if territory is None:
        return
    zone = ZoneInfo(territory.time_zone)
    today = now.astimezone(zone).date()
    if span.lower.astimezone(zone).date() <= today:
        _later(territory, today)


def after_emergency(work_order) -> None:
    """In the creating transaction: an urgent work order that may start today (no window or earliest start, or
    one opening by the end of today, its due time not passed) is fitted into the rest of today after commit."""
    now = timezone.now()
    opens = work_order.window_start or work_order.earliest_start
    if opens is not None and opens - now > dt.timedelta(days=1):
        return
    if work_order.due_by is not None and work_order.due_by <= now:
        return
    territory = territory_at(work_order.location)
    if territory is None:
        return
    zone = ZoneInfo(territory.time_zone)
    today = now.astimezone(zone).date()
    if opens is None or opens.astimezone(zone).date() <= today:
        _later(territory, today)
