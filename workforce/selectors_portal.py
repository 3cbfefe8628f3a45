"""Reads of the customer and vendor portals (issue 14, item 9), one selector per audience. A customer sees the visits
(appointments) of its own account's work orders; a vendor user the work orders its crew has live appointments for,
and its crew. Out of scope is `none()`, which the pages answer with 404."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from crm import selectors as crm_selectors
from omni.choices import Audience
from omni.models import User

from .choices import LIVE, AppointmentStatus
from .models import Appointment, Technician, TechnicianSkill, WorkOrder
from .selectors import vendor_of

# A visit the customer may still cancel or move: the technician is not on the way yet.
CHANGEABLE = (AppointmentStatus.BOOKED, AppointmentStatus.DISPATCHED)


def _is(user: User, audience: str) -> bool:
    return user.is_authenticated and user.is_active and getattr(user, "audience", None) == audience


# ---- customers: visits -----------------------------------------------------------------------------------------


def _visits() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("work_order", "work_order__work_type", "technician__user")


def visit_list_for_customer(*, user: User) -> QuerySet[Appointment]:
    """The appointments of the work orders of the customer's own (live) account, cancelled ones included."""
    if not _is(user, Audience.CUSTOMER):
        return Appointment.objects.none()
    accounts = crm_selectors.account_list_for_customer(user=user).select_related(None).values("pk")
    return _visits().filter(work_order__account__in=accounts)


def visit_split(visits: QuerySet[Appointment], *, now: datetime | None = None):
    """(upcoming, past): upcoming are live visits not yet over and not done, soonest first; past the rest (done,
    cancelled, or over), latest first. Two queries when evaluated, whatever the number of visits."""
    now = now or timezone.now()
    upcoming_q = LIVE & ~Q(status=AppointmentStatus.DONE) & Q(scheduled__endswith__gt=now)
    upcoming = visits.filter(upcoming_q).order_by("scheduled", "pk")
    past = visits.exclude(upcoming_q).order_by("-scheduled", "-pk")
    return upcoming, past


def visit_changeable(appointment: Appointment, *, now: datetime | None = None) -> bool:
    """May the customer still cancel or move it: booked or dispatched (not en route yet) and not over."""
    now = now or timezone.now()
    return appointment.status in CHANGEABLE and appointment.scheduled.upper > now


# ---- vendors: work orders and crew ------------------------------------------------------------------------------


def _crew_appointments(vendor_id) -> QuerySet[Appointment]:
    return Appointment.objects.filter(LIVE, technician__vendor_id=vendor_id)


def work_order_list_for_vendor(*, user: User) -> QuerySet[WorkOrder]:
    """The work orders with a live appointment for a technician of the user's vendor (an EXISTS: no duplicate rows),
    each with `crew_visits`, those appointments (one prefetch query for the page)."""
    vendor = vendor_of(user=user) if _is(user, Audience.VENDOR) else None
    if vendor is None:
        return WorkOrder.objects.none()
    visits = _crew_appointments(vendor.pk).select_related("technician__user").order_by("scheduled")
    return (
        WorkOrder.objects.filter(Exists(_crew_appointments(vendor.pk).filter(work_order=OuterRef("pk"))))
        .select_related("work_type")
        .prefetch_related(Prefetch("appointments", queryset=visits, to_attr="crew_visits"))
    )


def today_span(now: datetime | None = None) -> DateTimeTZRange:
    """Today in the instance's time zone, as [midnight, next midnight)."""
    today = timezone.localdate(now or timezone.now())
    start = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    return DateTimeTZRange(start, start + timedelta(days=1), "[)")


def crew_list_for_vendor(*, user: User, now: datetime | None = None) -> QuerySet[Technician]:
    """The vendor's technicians, each with `skill_rows` (skill, level, certification) and `today_visits` (live
    appointments meeting today, with their work orders): three queries for any crew size."""
    vendor = vendor_of(user=user) if _is(user, Audience.VENDOR) else None
    if vendor is None:
        return Technician.objects.none()
    today = Appointment.objects.filter(LIVE, scheduled__overlap=today_span(now)).select_related(
        "work_order", "work_order__work_type"
    )
    skills = TechnicianSkill.objects.select_related("skill").order_by("skill__code")
    return (
        Technician.objects.filter(vendor=vendor)
        .select_related("user")
        .prefetch_related(
            Prefetch("technician_skills", queryset=skills, to_attr="skill_rows"),
            Prefetch("appointments", queryset=today.order_by("scheduled"), to_attr="today_visits"),
        )
        .order_by("user__full_name", "user__email")
    )


def visit_arrival(appointment: Appointment) -> tuple[datetime, datetime]:
    """The arrival window a customer is told: the work order's when it holds the visit's start (the window the
    customer agreed), else the visit's own scheduled time (an older visit of a work order booked again)."""
    work_order = appointment.work_order
    start = appointment.scheduled.lower
    if work_order.window_start and work_order.window_end and work_order.window_start <= start < work_order.window_end:
        return work_order.window_start, work_order.window_end
    return start, appointment.scheduled.upper
