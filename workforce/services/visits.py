"""The customer's side of a visit (issue 14, item 9): the times a visit may move to, moving it, cancelling it with
a reason, and the day-before reminder. Moves and cancels go through appointment_reschedule and appointment_cancel,
so every rule of a booking (shifts, time off, no double booking: 400 / 409) holds on this path too."""

from __future__ import annotations

import copy
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from omni.exceptions import InvalidTransition
from omni.models import User

from .. import events, selectors_field
from ..choices import LIVE, AppointmentStatus, TimeOffStatus
from ..models import Appointment, Shift, TimeOff
from ..selectors_portal import CHANGEABLE
from .orders import appointment_cancel, appointment_reschedule, work_order_update
from .policies import policy_for
from .slots import slot_search
from .travel import territory_at

STEP_MINUTES = 60  # offered starts fall on the technician's whole hours
MAX_OPTIONS = 200  # graded slots asked of slot search (it offers at most 6 a gap)
NOTICE = timedelta(hours=2)  # the soonest a visit may move to: the technician needs time to plan the trip


@dataclass(frozen=True)
class VisitSlot:
    """A time a visit may move to. The slot-search service's slots (technician, grade, travel) fit this shape."""

    start: datetime
    end: datetime
    grade: int | None = None  # 0-100 from slot search; None for a free hour
    travel_minutes: int | None = None


def _refusal(appointment: Appointment, verb: str) -> InvalidTransition:
    if appointment.status == AppointmentStatus.EN_ROUTE:
        msg = _("The technician is already on the way: this visit can no longer be %(verb)s here. Please call us.")
    elif appointment.status in (AppointmentStatus.ON_SITE, AppointmentStatus.DONE):
        msg = _("The technician has already come: this visit can no longer be %(verb)s.")
    elif appointment.status == AppointmentStatus.CANCELLED:
        msg = _("This visit is cancelled: it can no longer be %(verb)s.")
    else:
        msg = _("This visit is over: it can no longer be %(verb)s.")
    msg = msg % {"verb": verb}
    return InvalidTransition(msg, fields={"status": [msg]})


def _changeable_or_refuse(appointment: Appointment, verb: str, now: datetime) -> None:
    if appointment.status not in CHANGEABLE or appointment.scheduled.upper <= now:
        raise _refusal(appointment, verb)


# ---- the times a visit may move to ------------------------------------------------------------------------------


def _allowed_range(appointment: Appointment, *, now: datetime, days: int) -> tuple[datetime, datetime]:
    """[from, to) a moved visit must lie in: from NOTICE after now (or the work order's earliest start) to `days`
    days from now, ending by its due time."""
    work_order = appointment.work_order
    lo = max(now + NOTICE, work_order.earliest_start or now)
    hi = now + timedelta(days=days)
    if work_order.due_by is not None:
        hi = min(hi, work_order.due_by)
    return lo, hi


def _round_up(moment: datetime, zone: zoneinfo.ZoneInfo, step: int) -> datetime:
    local = moment.astimezone(zone)
    floor = local.replace(minute=(local.minute // step) * step if step < 60 else 0, second=0, microsecond=0)
    if floor < local:
        floor += timedelta(minutes=step)
    return floor.astimezone(UTC)  # then step in absolute time: wall-clock arithmetic slips across DST changes


def reschedule_options(appointment: Appointment, days: int = 7, *, now: datetime | None = None) -> list[VisitSlot]:
    """The times the visit may move to with the same technician in the next `days` days, in time order, the
    visit's own time left out. The slot-search service's graded slots (services.slots.slot_search, restricted to
    the appointment's technician), so the customer is offered what a dispatcher would be: travel between the day's
    stops counted, every hard rule of the territory's policy checked (the arrival window aside: moving it is the
    point), each with its grade. Only those inside the work order's allowed range (NOTICE from now, earliest
    start, due by) are offered. When the technician is not a candidate for slot search at all (no membership of
    the territory the work lies in, say), the technician's free whole hours instead (free_hours)."""
    now = now or timezone.now()
    lo, hi = _allowed_range(appointment, now=now, days=days)
    if hi <= lo:
        return []
    return graded_options(appointment, lo, hi) or free_hours(appointment, lo, hi)


def graded_options(appointment: Appointment, lo: datetime, hi: datetime) -> list[VisitSlot]:
    """slot_search's slots for the appointment's technician starting and ending in [lo, hi), in time order."""
    work_order = appointment.work_order
    territory = territory_at(work_order.location)
    policy = copy.copy(policy_for(territory))
    policy.respect_window = False  # the customer is choosing a new window
    zone = zoneinfo.ZoneInfo(territory.time_zone if territory else "UTC")
    first = lo.astimezone(zone).date()
    found = slot_search(
        work_order,
        start=first,
        days=(hi.astimezone(zone).date() - first).days + 1,
        technician_ids=[appointment.technician_id],
        limit=MAX_OPTIONS,
        policy=policy,
    )
    current = appointment.scheduled.lower
    return sorted(
        (
            VisitSlot(slot.start, slot.end, grade=slot.grade, travel_minutes=slot.travel_minutes)
            for slot in found
            if slot.technician_id == appointment.technician_id
            and lo <= slot.start
            and slot.end <= hi
            and slot.start != current
        ),
        key=lambda slot: slot.start,
    )


def free_hours(appointment: Appointment, lo: datetime, hi: datetime) -> list[VisitSlot]:
    """Starts on the whole hour (the technician's time zone) in [lo, hi), each [start, start + duration) inside one
    of the technician's shifts, overlapping no approved time off and no other live appointment of theirs. Three
    queries."""
    duration = timedelta(minutes=appointment.work_order.duration_minutes)
    span = DateTimeTZRange(lo, hi, "[)")
    tech = appointment.technician_id
    shifts = Shift.objects.filter(technician_id=tech, during__overlap=span).order_by("during")
    busy = [
        (row.lower, row.upper)
        for row in TimeOff.objects.filter(
            technician_id=tech, status=TimeOffStatus.APPROVED, during__overlap=span
        ).values_list("during", flat=True)
    ]
    busy += [
        (row.lower, row.upper)
        for row in Appointment.objects.filter(LIVE, technician_id=tech, scheduled__overlap=span)
        .exclude(pk=appointment.pk)
        .values_list("scheduled", flat=True)
    ]
    zone = zoneinfo.ZoneInfo(appointment.technician.time_zone)
    current = appointment.scheduled.lower
    slots = []
    for during in shifts.values_list("during", flat=True):
        start = _round_up(max(during.lower, lo), zone, STEP_MINUTES)
        while start + duration <= min(during.upper, hi):
            end = start + duration
            if start != current and not any(b_lo < end and start < b_hi for b_lo, b_hi in busy):
                slots.append(VisitSlot(start, end))
            start += timedelta(minutes=STEP_MINUTES)
    return slots


# ---- moving and cancelling ------------------------------------------------------------------------------------


@transaction.atomic
def visit_reschedule(
    *, appointment_id, start: datetime, by: User | None = None, days: int = 7, now: datetime | None = None
) -> Appointment:
    """Move a visit to `start` with the same technician, asked by the customer: inside the allowed range of the
    next `days` days (400 on `start` otherwise), not once the technician is on the way (409), then through
    appointment_reschedule (its shift / time off 400s and double-booking 409). The work order's arrival window
    becomes the new time, so the dispatch board and the jeopardy scan follow the customer's choice. Locks the
    appointment."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("work_order", "technician")
        .get(pk=appointment_id)
    )
    _changeable_or_refuse(appointment, _("moved"), now)
    if timezone.is_naive(start):
        raise ValidationError({"start": [_("Give a time with its offset.")]})
    lo, hi = _allowed_range(appointment, now=now, days=days)
    end = start + timedelta(minutes=appointment.work_order.duration_minutes)
    if start < lo or end > hi:
        raise ValidationError({"start": [_("Choose one of the times offered.")]})
    appointment = appointment_reschedule(appointment_id=appointment.pk, start=start, by=by)
    work_order_update(work_order_id=appointment.work_order_id, window_start=start, window_end=end, by=by)
    return appointment


@transaction.atomic
def visit_cancel(*, appointment_id, reason: str, by: User | None = None, now: datetime | None = None) -> Appointment:
    """Cancel a visit with the customer's reason (400 on `reason` when blank), only before the technician is on
    the way (409 saying why otherwise). Cancelling a cancelled visit changes nothing. The work order goes back
    to new through appointment_cancel, and dispatchers get workforce.appointment.customer_cancelled."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Tell us why you cancel the visit.")]})
    appointment = Appointment.objects.select_for_update().get(pk=appointment_id)
    if appointment.status == AppointmentStatus.CANCELLED:
        return appointment  # a double click changes nothing, the first reason stays
    _changeable_or_refuse(appointment, _("cancelled"), now)
    appointment.cancel_reason = reason
    appointment.save(update_fields=["cancel_reason", "updated_at"])
    appointment = appointment_cancel(appointment_id=appointment.pk, by=by)
    events.appointment_customer_cancelled(
        appointment.work_order_id, appointment=appointment, reason=reason, by_id=getattr(by, "pk", None)
    )
    return appointment


# ---- the day-before reminder ----------------------------------------------------------------------------------

_table = Appointment._meta.db_table
# The CTE walks the partial index workforce_appt_upcoming_start and locks at most `batch` rows (MATERIALIZED, so the
# planner cannot run it twice and claim past the limit); SKIP LOCKED leaves rows a concurrent run holds to it. The
# UPDATE re-checks the condition on each locked row: a row another run has just claimed is not returned twice.
_CLAIM = f"""
WITH due AS MATERIALIZED (
    SELECT id FROM {_table}
    WHERE status = ANY(%(statuses)s) AND lower(scheduled) >= %(lo)s AND lower(scheduled) < %(hi)s
      AND reminder_for IS DISTINCT FROM lower(scheduled)
    ORDER BY lower(scheduled)
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
)
UPDATE {_table} AS a SET reminder_sent_at = %(now)s, reminder_for = lower(a.scheduled)
FROM due
WHERE a.id = due.id AND a.status = ANY(%(statuses)s) AND a.reminder_for IS DISTINCT FROM lower(a.scheduled)
RETURNING a.id
"""


def _tomorrow(now: datetime) -> tuple[datetime, datetime]:
    day = timezone.localdate(now) + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))


def _when(start: datetime, end: datetime) -> str:
    start, end = timezone.localtime(start), timezone.localtime(end)
    hours = f"{formats.time_format(start, 'H:i')}–{formats.time_format(end, 'H:i')}"
    return f"{formats.date_format(start, 'l j F Y')}, {hours}"


def visit_payload(appointment: Appointment) -> dict:
    """What a reminder says about a visit (plain JSON data): times as ISO text, `when` in the instance's time zone,
    the technician's first name only."""
    work_order = appointment.work_order
    start, end = appointment.scheduled.lower, appointment.scheduled.upper
    return {
        "id": str(appointment.pk),
        "number": work_order.number,
        "work_type": work_order.work_type.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "window_start": work_order.window_start.isoformat() if work_order.window_start else None,
        "window_end": work_order.window_end.isoformat() if work_order.window_end else None,
        "when": _when(start, end),
        "technician": appointment.technician.user.get_short_name(),
        "address": work_order.address or work_order.account.service_address,
    }


def visit_reminders_send(*, now: datetime | None = None, batch: int = 500) -> int:
    """Remind each account's live contacts (or, with none, the account's email) of the visits starting tomorrow
    (the instance's time zone), booked or dispatched, once per appointment and start: the claim stamps
    reminder_for in the same transaction as the notifications. Set-based: three queries whatever the number of
    visits, plus notify()'s own per visit. Idempotent; two runs at once remind each visit once. Returns how many
    visits were reminded (at most `batch`)."""
    now = now or timezone.now()
    lo, hi = _tomorrow(now)
    params = {
        "lo": lo,
        "hi": hi,
        "now": now,
        "batch": batch,
        "statuses": [str(s) for s in CHANGEABLE],
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, params)
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return 0
        visits = list(
            Appointment.objects.filter(pk__in=ids)
            .select_related("work_order__work_type", "work_order__account", "technician__user")
            .order_by("scheduled")
        )
        accounts = {visit.work_order.account_id: visit.work_order.account for visit in visits}
        recipients_of = selectors_field.account_recipients_many(accounts.values())
        for visit in visits:
            account = visit.work_order.account
            if account.deleted_at is not None:
                continue  # a deleted account's people are not written to (the visit is stamped all the same)
            recipients = recipients_of[account.pk]
            if recipients:
                events.appointment_reminder(visit.pk, data=visit_payload(visit), recipients=recipients, now=now)
    return len(ids)
