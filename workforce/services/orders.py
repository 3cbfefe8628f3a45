"""Writes to work types, work orders and appointments. Every write spanning rows runs in one transaction; the
database decides races (the no-double-booking exclusion constraint), mapped to Conflict (409)."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.db import violated_constraint
from omni.exceptions import Conflict, InvalidTransition
from omni.models import User
from omni.services import fields_set

from .. import events
from ..choices import WORK_ORDER_TRANSITIONS, AppointmentStatus, TimeOffStatus, WorkOrderPriority, WorkOrderStatus
from ..models import (
    APPOINTMENT_NO_DOUBLE_BOOKING,
    Appointment,
    ChecklistItem,
    Shift,
    Technician,
    TimeOff,
    WorkOrder,
    WorkOrderSkill,
    WorkOrderStatusChange,
    WorkType,
    WorkTypeSkill,
)
from . import reoptimise
from .checklist import checklist_copy

S = WorkOrderStatus
BOOKABLE = frozenset({S.NEW, S.SCHEDULED, S.CANNOT_COMPLETE})
# a work order's field work moves its live appointment along
APPOINTMENT_STATUS_FOR = {
    S.DISPATCHED: AppointmentStatus.DISPATCHED,
    S.EN_ROUTE: AppointmentStatus.EN_ROUTE,
    S.ON_SITE: AppointmentStatus.ON_SITE,
    S.COMPLETED: AppointmentStatus.DONE,
    S.SCHEDULED: AppointmentStatus.BOOKED,
}


# --- work types --------------------------------------------------------------------------------------------------


def _skills_check(skills: list[dict], field: str = "required_skills") -> None:
    ids = [entry["skill"].pk for entry in skills]
    if len(ids) != len(set(ids)):
        raise ValidationError({field: [_("A skill is listed twice.")]})
    for entry in skills:
        if not 1 <= int(entry.get("min_level", 1)) <= 5:
            raise ValidationError({field: [_("A minimum level is between 1 and 5.")]})


@transaction.atomic
def work_type_create(*, required_skills: list[dict] | None = None, **fields) -> WorkType:
    """A work type; `required_skills` are [{"skill": Skill, "min_level": 3}]."""
    work_type = WorkType(**fields)
    work_type.full_clean()
    work_type.save()
    if required_skills:
        work_type_skills_set(work_type_id=work_type.pk, required_skills=required_skills)
    return work_type


@transaction.atomic
def work_type_update(*, work_type_id, required_skills: list[dict] | None = None, **fields) -> WorkType:
    work_type = WorkType.objects.select_for_update().get(pk=work_type_id)
    fields_set(work_type, fields)
    work_type.full_clean()
    work_type.save()
    if required_skills is not None:
        work_type_skills_set(work_type_id=work_type.pk, required_skills=required_skills)
    return work_type


def work_type_skills_set(*, work_type_id, required_skills: list[dict]) -> None:
    _skills_check(required_skills)
    WorkTypeSkill.objects.filter(work_type_id=work_type_id).delete()
    WorkTypeSkill.objects.bulk_create(
        WorkTypeSkill(work_type_id=work_type_id, skill=entry["skill"], min_level=entry.get("min_level", 1))
        for entry in required_skills
    )


# --- work orders -------------------------------------------------------------------------------------------------


@transaction.atomic
def work_order_create(
    *,
    work_type: WorkType,
    by: User | None = None,
    required_skills: list[dict] | None = None,
    preferred_technicians=(),
    excluded_technicians=(),
    **fields,
) -> WorkOrder:
    """A new work order. Duration, priority and required skills default to the work type's (skills are copied,
    then editable). From a ticket: the account is the ticket's (another account is a 400 on `account`), due by
    is the ticket's resolution due unless given, and the location defaults to the account's service location."""
    ticket = fields.get("ticket")
    if ticket is not None:
        if fields.get("account") is not None and fields["account"].pk != ticket.account_id:
            raise ValidationError({"account": [_("A work order from a ticket is for the ticket's account.")]})
        fields["account"] = ticket.account
        if fields.get("due_by") is None:
            fields["due_by"] = ticket.resolution_due
    account = fields.get("account")
    if fields.get("location") is None and account is not None and getattr(account, "location", None) is not None:
        fields["location"] = account.location
    fields.setdefault("duration_minutes", work_type.default_duration_minutes)
    fields.setdefault("priority", work_type.default_priority)
    if fields["duration_minutes"] is None:
        fields["duration_minutes"] = work_type.default_duration_minutes
    work_order = WorkOrder(work_type=work_type, **fields)
    work_order.full_clean(exclude=["number"])
    work_order.save()
    work_order.refresh_from_db(fields=["number"])
    if required_skills is None:
        required_skills = [
            {"skill": row.skill, "min_level": row.min_level}
            for row in WorkTypeSkill.objects.filter(work_type=work_type).select_related("skill")
        ]
    work_order_skills_set(work_order_id=work_order.pk, required_skills=required_skills)
    _technicians_set(work_order, preferred_technicians, excluded_technicians)
    checklist_copy(work_order_id=work_order.pk)
    events.work_order_created(work_order.pk, by_id=getattr(by, "pk", None))
    if work_order.priority == WorkOrderPriority.URGENT:
        reoptimise.after_emergency(work_order)
    return work_order


def _technicians_set(work_order: WorkOrder, preferred, excluded) -> None:
    preferred, excluded = list(preferred or ()), list(excluded or ())
    if {t.pk for t in preferred} & {t.pk for t in excluded}:
        raise ValidationError({"excluded_technicians": [_("A technician cannot be both preferred and excluded.")]})
    work_order.preferred_technicians.set(preferred)
    work_order.excluded_technicians.set(excluded)


def work_order_skills_set(*, work_order_id, required_skills: list[dict]) -> None:
    _skills_check(required_skills)
    WorkOrderSkill.objects.filter(work_order_id=work_order_id).delete()
    WorkOrderSkill.objects.bulk_create(
        WorkOrderSkill(work_order_id=work_order_id, skill=entry["skill"], min_level=entry.get("min_level", 1))
        for entry in required_skills
    )


@transaction.atomic
def work_order_update(
    *,
    work_order_id,
    by: User | None = None,
    required_skills: list[dict] | None = None,
    preferred_technicians=None,
    excluded_technicians=None,
    **fields,
) -> WorkOrder:
    """Edits a work order's fields (not its status: work_order_transition). A closed one is a 409."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order_id)
    if "status" in fields:
        to = fields.pop("status")
        if to != work_order.status:
            work_order = work_order_transition(work_order_id=work_order_id, to=to, by=by)
    if not (fields or required_skills is not None or preferred_technicians is not None or excluded_technicians):
        return work_order
    if work_order.status in (S.COMPLETED, S.CANCELLED):
        raise Conflict(_("A %(status)s work order cannot be edited.") % {"status": work_order.status})
    fields_set(work_order, fields)
    work_order.full_clean()
    work_order.save()
    if required_skills is not None:
        work_order_skills_set(work_order_id=work_order.pk, required_skills=required_skills)
    if preferred_technicians is not None or excluded_technicians is not None:
        _technicians_set(
            work_order,
            work_order.preferred_technicians.all() if preferred_technicians is None else preferred_technicians,
            work_order.excluded_technicians.all() if excluded_technicians is None else excluded_technicians,
        )
    return work_order


@transaction.atomic
def work_order_transition(*, work_order_id, to: str, by: User | None = None, note: str = "") -> WorkOrder:
    """Moves a work order along WORK_ORDER_TRANSITIONS; locks the row. InvalidTransition (409) naming both
    statuses otherwise. Scheduled and later field statuses need a live appointment; cancelling cancels them.
    Completing needs every checklist item done (400 on `checklist`). Each change is a WorkOrderStatusChange row
    (with `note`, the reason of a cannot-complete)."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order_id)
    if to not in S.values:
        raise ValidationError({"status": [_("Unknown status %(s)s.") % {"s": to}]})
    if work_order.status == to:
        return work_order  # retried requests change nothing
    if to not in WORK_ORDER_TRANSITIONS[work_order.status]:
        msg = _("A %(old)s work order cannot become %(new)s.") % {"old": work_order.status, "new": to}
        raise InvalidTransition(msg, fields={"status": [msg]})
    live = Appointment.objects.filter(work_order=work_order).exclude(status=AppointmentStatus.CANCELLED)
    if to in APPOINTMENT_STATUS_FOR and not live.exists():
        msg = _("A work order without an appointment cannot become %(new)s.") % {"new": to}
        raise InvalidTransition(msg, fields={"status": [msg]})
    if to == S.COMPLETED and ChecklistItem.objects.filter(work_order=work_order, done=False).exists():
        raise ValidationError({"checklist": [_("Tick every checklist item before completing.")]})
    now = timezone.now()
    if to in APPOINTMENT_STATUS_FOR:
        updates = {"status": APPOINTMENT_STATUS_FOR[to], "updated_at": now}
        if to == S.ON_SITE:
            updates["actual_start"] = now
        if to == S.COMPLETED:
            updates["actual_end"] = now
        live.update(**updates)
    elif to in (S.CANCELLED, S.NEW):
        live.update(status=AppointmentStatus.CANCELLED, updated_at=now)
    old, work_order.status = work_order.status, to
    work_order.save(update_fields=["status", "updated_at"])
    WorkOrderStatusChange.objects.create(work_order=work_order, old=old, new=to, by=by, note=note, at=now)
    by_id = getattr(by, "pk", None)
    events.work_order_status_changed(work_order.pk, old=old, new=to, by_id=by_id)
    if to == S.COMPLETED:
        events.work_order_completed(work_order.pk, by_id=by_id)
    if to == S.DISPATCHED:
        events.work_order_dispatched(work_order.pk, appointment=live.order_by("created_at").first(), by_id=by_id)
    return work_order


# --- appointments ------------------------------------------------------------------------------------------------


def _availability_check(technician: Technician, start: datetime, end: datetime) -> None:
    """400 naming `start` when no shift covers [start, end) or approved time off overlaps it."""
    span = DateTimeTZRange(start, end, "[)")
    if not Shift.objects.filter(technician=technician, during__contains=span).exists():
        raise ValidationError({"start": [_("The technician has no shift covering this time.")]})
    off = TimeOff.objects.filter(technician=technician, status=TimeOffStatus.APPROVED, during__overlap=span)
    if off.exists():
        raise ValidationError({"start": [_("The technician has approved time off at this time.")]})


def _span(work_order: WorkOrder, start: datetime, end: datetime | None) -> tuple[datetime, datetime]:
    if timezone.is_naive(start) or (end is not None and timezone.is_naive(end)):
        raise ValidationError({"start": [_("Give a time with its offset.")]})
    end = end or start + timedelta(minutes=work_order.duration_minutes)
    if end <= start:
        raise ValidationError({"end": [_("An appointment ends after it starts.")]})
    return start, end


def _write(appointment: Appointment, **save_kwargs) -> None:
    """Saves in a savepoint; the no-double-booking constraint (also met by a racing writer) is a 409."""
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except IntegrityError as exc:
        if violated_constraint(exc) == APPOINTMENT_NO_DOUBLE_BOOKING:
            raise Conflict(
                _("The technician is already booked at this time."),
                fields={"start": [_("The technician is already booked at this time.")]},
            ) from exc
        if violated_constraint(exc) == "workforce_appointment_one_live":
            raise Conflict(_("This work order is already booked with this technician.")) from exc
        raise


@transaction.atomic
def appointment_book(
    *,
    work_order_id,
    technician: Technician,
    start: datetime,
    end: datetime | None = None,
    travel_before_minutes: int = 0,
    by: User | None = None,
) -> Appointment:
    """Books the work order with a technician for [start, end) (end defaults to start + duration), in one
    transaction: outside a shift or during approved time off is a 400 on `start`; an overlap with the technician's
    live appointments (a racing booking included) is a Conflict (409) from the exclusion constraint. A new work
    order becomes scheduled."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order_id)
    if work_order.status not in BOOKABLE:
        msg = _("A %(old)s work order cannot be booked.") % {"old": work_order.status}
        raise InvalidTransition(msg, fields={"status": [msg]})
    if work_order.excluded_technicians.filter(pk=technician.pk).exists():
        raise ValidationError({"technician": [_("This technician is excluded from the work order.")]})
    start, end = _span(work_order, start, end)
    _availability_check(technician, start, end)
    appointment = Appointment(
        work_order=work_order,
        technician=technician,
        scheduled=DateTimeTZRange(start, end, "[)"),
        travel_before_minutes=travel_before_minutes,
    )
    appointment.full_clean(validate_constraints=False)  # the database decides overlaps, races included
    _write(appointment)
    if work_order.status != S.SCHEDULED:
        work_order_transition(work_order_id=work_order.pk, to=S.SCHEDULED, by=by)
    events.work_order_scheduled(work_order.pk, appointment=appointment, by_id=getattr(by, "pk", None))
    return appointment


@transaction.atomic
def appointment_reschedule(
    *, appointment_id, start: datetime, end: datetime | None = None, technician: Technician | None = None, by=None
) -> Appointment:
    """Moves a live appointment (optionally to another technician), with the booking's checks."""
    appointment = Appointment.objects.select_for_update().select_related("work_order").get(pk=appointment_id)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.DISPATCHED):
        msg = _("A %(s)s appointment cannot be moved.") % {"s": appointment.status}
        raise InvalidTransition(msg, fields={"status": [msg]})
    technician = technician or appointment.technician
    if appointment.work_order.excluded_technicians.filter(pk=technician.pk).exists():
        raise ValidationError({"technician": [_("This technician is excluded from the work order.")]})
    start, end = _span(appointment.work_order, start, end)
    _availability_check(technician, start, end)
    appointment.technician, appointment.scheduled = technician, DateTimeTZRange(start, end, "[)")
    _write(appointment)
    events.work_order_scheduled(appointment.work_order_id, appointment=appointment, by_id=getattr(by, "pk", None))
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment_id, by: User | None = None, reoptimise_day: bool = True) -> Appointment:
    """Cancels an appointment (a no-op when it already is); a scheduled work order left with no live appointment
    goes back to new. A visit of the rest of today frees time: an in-day proposal for its territory is queued after
    commit (services.reoptimise; not when a dispatch run's apply cancels it, `reoptimise_day=False`)."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment_id)
    if appointment.status == AppointmentStatus.CANCELLED:
        return appointment
    if appointment.status in (AppointmentStatus.ON_SITE, AppointmentStatus.DONE):
        msg = _("A %(s)s appointment cannot be cancelled.") % {"s": appointment.status}
        raise InvalidTransition(msg, fields={"status": [msg]})
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status", "updated_at"])
    work_order = WorkOrder.objects.select_for_update().get(pk=appointment.work_order_id)
    others = Appointment.objects.filter(work_order=work_order).exclude(status=AppointmentStatus.CANCELLED)
    if work_order.status in (S.SCHEDULED, S.DISPATCHED) and not others.exists():
        old, work_order.status = work_order.status, S.NEW
        work_order.save(update_fields=["status", "updated_at"])
        WorkOrderStatusChange.objects.create(work_order=work_order, old=old, new=S.NEW, by=by, at=timezone.now())
        events.work_order_status_changed(work_order.pk, old=old, new=S.NEW, by_id=getattr(by, "pk", None))
    if reoptimise_day:
        reoptimise.after_cancellation(appointment, location=work_order.location)
    return appointment
