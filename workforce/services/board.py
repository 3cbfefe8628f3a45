"""The dispatch board's one write: a block dropped on a technician's row at a time (an appointment moved, or an
unassigned work order booked), through appointment_reschedule / appointment_book, after the skill rule the
booking services leave to the candidate query."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from omni.models import User

from ..models import Appointment, Technician, TechnicianSkill, WorkOrderSkill
from .orders import appointment_book, appointment_reschedule


def _skills_check(*, work_order_id, technician: Technician, day) -> None:
    """400 on `technician` naming the first required skill the technician lacks at level, with a certification
    valid on `day` (as the candidate query's relational division): one query."""
    held = TechnicianSkill.objects.filter(
        technician=technician, skill_id=OuterRef("skill_id"), level__gte=OuterRef("min_level")
    ).filter(Q(certified_until__gte=day) | Q(certified_until__isnull=True, skill__requires_certification=False))
    missing = (
        WorkOrderSkill.objects.filter(work_order_id=work_order_id)
        .exclude(Exists(held))
        .select_related("skill")
        .order_by("skill__code")
        .first()
    )
    if missing is not None:
        msg = _("%(technician)s lacks %(skill)s at level %(level)s.") % {
            "technician": technician,
            "skill": missing.skill.code,
            "level": missing.min_level,
        }
        raise ValidationError({"technician": [msg]})


@transaction.atomic
def appointment_place(
    *,
    technician: Technician,
    start: datetime,
    appointment_id=None,
    work_order_id=None,
    by: User | None = None,
) -> Appointment:
    """Moves the appointment (keeping its length) or books the work order with `technician` from `start`. A
    missing skill is a 400 on `technician`; outside a shift or during approved time off a 400 on `start`; an
    overlap a Conflict (409), from the services it calls."""
    if (appointment_id is None) == (work_order_id is None):
        raise ValidationError({"appointment": [_("Give an appointment or a work order.")]})
    day = start.astimezone(ZoneInfo(technician.time_zone)).date()
    if appointment_id is not None:
        appointment = Appointment.objects.get(pk=appointment_id)
        _skills_check(work_order_id=appointment.work_order_id, technician=technician, day=day)
        length = appointment.scheduled.upper - appointment.scheduled.lower
        return appointment_reschedule(
            appointment_id=appointment.pk, start=start, end=start + length, technician=technician, by=by
        )
    _skills_check(work_order_id=work_order_id, technician=technician, day=day)
    return appointment_book(work_order_id=work_order_id, technician=technician, start=start, by=by)
