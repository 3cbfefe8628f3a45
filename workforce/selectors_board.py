"""The dispatch board's read (staff console, /dispatch/): one day of technicians x hours, with their shifts, time off
and appointments, the unassigned work orders of that day, and the routes for the map, in a fixed number of
queries whatever the number of technicians or appointments (eight: territories, skills, technicians, shifts, time
off, appointments, unassigned work orders, their skills)."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from .choices import AppointmentStatus, TimeOffStatus, WorkOrderPriority, WorkOrderStatus
from .models import (
    Appointment,
    ServiceTerritory,
    Shift,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
    WorkOrder,
    WorkOrderSkill,
)

# The jeopardy rule, in SQL for the scan (services.jeopardy) and in Python for the board's flag: keep them alike.
PROJECTED_ARRIVAL_SQL = """
CASE WHEN a.eta IS NOT NULL THEN a.eta
     WHEN a.status = 'en_route' THEN greatest(lower(a.scheduled), %(now)s)
     ELSE greatest(lower(a.scheduled), %(now)s + make_interval(mins => a.travel_before_minutes))
END"""
EN_ROUTE = AppointmentStatus.EN_ROUTE
WATCHED = (AppointmentStatus.BOOKED, AppointmentStatus.DISPATCHED, AppointmentStatus.EN_ROUTE)


def projected_arrival(appointment, *, now: datetime) -> datetime | None:
    """PROJECTED_ARRIVAL_SQL for one loaded appointment (the board's flag); None once the technician is there."""
    if appointment.status not in WATCHED or appointment.actual_start is not None:
        return None
    if appointment.eta is not None:
        return appointment.eta
    start = appointment.scheduled.lower
    if appointment.status == EN_ROUTE:
        return max(start, now)
    return max(start, now + timedelta(minutes=appointment.travel_before_minutes))


def appointment_is_at_risk(appointment, *, window_end: datetime | None, now: datetime) -> bool:
    """True while the appointment's projected arrival is after `window_end` (its work order's)."""
    arrival = projected_arrival(appointment, now=now)
    return arrival is not None and window_end is not None and arrival > window_end


UNASSIGNED_LIMIT = 100  # the side list shows the most urgent first; more is a filter's job
DEFAULT_HOURS = (7, 19)  # the axis covers these hours at least, and every shift of the day
UNASSIGNED_STATUSES = (WorkOrderStatus.NEW, WorkOrderStatus.CANNOT_COMPLETE)
PRIORITY_ORDER = Case(
    *(When(priority=p, then=Value(n)) for n, p in enumerate(reversed(WorkOrderPriority.values))),
    output_field=IntegerField(),
)  # urgent first


@dataclass
class Bar:
    """Something drawn on a row: `left` and `width` in percent of the axis."""

    left: float
    width: float
    start: datetime
    end: datetime
    label: str = ""
    kind: str = ""


@dataclass
class Block(Bar):
    appointment: Appointment | None = None
    at_risk: bool = False


@dataclass
class Row:
    technician: Technician
    shifts: list[Bar] = field(default_factory=list)
    time_off: list[Bar] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Board:
    day: date
    zone: ZoneInfo
    start: datetime  # the axis, local
    end: datetime
    hours: list[tuple[str, float]]
    rows: list[Row]
    unassigned: list[WorkOrder]
    territories: list[ServiceTerritory]
    skills: list[Skill]
    routes: list[dict]

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def _zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name) if name else timezone.get_current_timezone()


def _technicians(*, day: date, territory_id, skill_code: str):
    technicians = Technician.objects.filter(active=True).select_related("user")
    if territory_id:
        member = TerritoryMembership.objects.filter(
            technician=OuterRef("pk"), territory_id=territory_id, valid__contains=day
        )
        technicians = technicians.filter(Exists(member))
    if skill_code:
        held = TechnicianSkill.objects.filter(technician=OuterRef("pk"), skill__code=skill_code)
        technicians = technicians.filter(Exists(held))
    return list(technicians.order_by("user__full_name", "user__email", "pk"))


def _unassigned(*, span: DateTimeTZRange, territory_id, skill_code: str) -> list[WorkOrder]:
    """New (or cannot complete) work orders without a live appointment whose window, or earliest start to due by,
    meets the day (or that have none), most urgent first."""
    live = Appointment.objects.filter(work_order=OuterRef("pk")).exclude(status=AppointmentStatus.CANCELLED)
    orders = (
        WorkOrder.objects.filter(status__in=UNASSIGNED_STATUSES)
        .exclude(Exists(live))
        .annotate(opens=Coalesce("window_start", "earliest_start"), closes=Coalesce("window_end", "due_by"))
        .filter(Q(opens__isnull=True) | Q(opens__lt=span.upper), Q(closes__isnull=True) | Q(closes__gt=span.lower))
    )
    if territory_id:
        covering = ServiceTerritory.objects.filter(pk=territory_id, geom__covers=OuterRef("location"))
        orders = orders.filter(Exists(covering))
    if skill_code:
        needs = WorkOrderSkill.objects.filter(work_order=OuterRef("pk"), skill__code=skill_code)
        orders = orders.filter(Exists(needs))
    skills = Prefetch(
        "required_skills", queryset=WorkOrderSkill.objects.select_related("skill").order_by("skill__code")
    )
    return list(
        orders.select_related("work_type", "account")
        .prefetch_related(skills)
        .order_by(PRIORITY_ORDER, "closes", "number")[:UNASSIGNED_LIMIT]
    )


def dispatch_board(*, day: date, territory_id=None, skill_code: str = "", now: datetime | None = None) -> Board:
    """The board of `day` (staff with workforce.view_appointment): active technicians (with a membership valid
    that day in `territory_id`, holding the skill `skill_code`), in the territory's time zone, else the one most
    of them work in, else TIME_ZONE. Fixed query count (see the module)."""
    now = now or timezone.now()
    territories = list(ServiceTerritory.objects.only("id", "code", "name", "time_zone").order_by("code"))
    skills = list(Skill.objects.only("id", "code", "name").order_by("code"))
    technicians = _technicians(day=day, territory_id=territory_id, skill_code=skill_code)
    chosen = next((t for t in territories if str(t.pk) == str(territory_id)), None)
    common = Counter(t.time_zone for t in technicians).most_common(1)
    zone = _zone(chosen.time_zone if chosen else (common[0][0] if common else None))
    midnight = datetime.combine(day, time.min, tzinfo=zone)
    span = DateTimeTZRange(midnight, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone), "[)")
    ids = [t.pk for t in technicians]

    shifts = list(Shift.objects.filter(technician_id__in=ids, during__overlap=span).order_by("during"))
    time_off = list(TimeOff.objects.filter(technician_id__in=ids, status=TimeOffStatus.APPROVED, during__overlap=span))
    appointments = list(
        Appointment.objects.filter(technician_id__in=ids, scheduled__overlap=span)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("work_order__work_type", "work_order__account")
        .order_by("scheduled")
    )

    first, last = DEFAULT_HOURS
    for shift in shifts:
        lower, upper = max(shift.during.lower, span.lower), min(shift.during.upper, span.upper)
        first = min(first, lower.astimezone(zone).hour)
        last = max(last, 24 if upper >= span.upper else upper.astimezone(zone).hour + (upper.minute > 0))
    start, end = midnight + timedelta(hours=first), midnight + timedelta(hours=last)
    axis = (end - start).total_seconds()

    def bar(cls, lower: datetime, upper: datetime, **extra):
        left = max(0.0, (lower - start).total_seconds() / axis * 100)
        right = min(100.0, (upper - start).total_seconds() / axis * 100)
        return cls(left=round(left, 3), width=round(max(right - left, 0), 3), start=lower, end=upper, **extra)

    rows = {t.pk: Row(technician=t) for t in technicians}
    for shift in shifts:
        rows[shift.technician_id].shifts.append(bar(Bar, shift.during.lower, shift.during.upper, kind=shift.kind))
    for off in time_off:
        rows[off.technician_id].time_off.append(bar(Bar, off.during.lower, off.during.upper, label=off.reason))
    for appointment in appointments:
        work_order = appointment.work_order
        at_risk = appointment.at_risk_at is not None and appointment_is_at_risk(
            appointment, window_end=work_order.window_end, now=now
        )
        rows[appointment.technician_id].blocks.append(
            bar(
                Block,
                appointment.scheduled.lower,
                appointment.scheduled.upper,
                label=work_order.number,
                kind=appointment.status,
                appointment=appointment,
                at_risk=at_risk,
            )
        )

    hours = [(f"{h:02d}:00", round((h - first) / (last - first) * 100, 3)) for h in range(first, last)]
    return Board(
        day=day,
        zone=zone,
        start=start,
        end=end,
        hours=hours,
        rows=list(rows.values()),
        unassigned=_unassigned(span=span, territory_id=territory_id, skill_code=skill_code),
        territories=territories,
        skills=skills,
        routes=_routes(rows.values()),
    )


def _point(geom) -> list[float] | None:
    return [round(geom.y, 6), round(geom.x, 6)] if geom is not None else None


def _routes(rows) -> list[dict]:
    """Per technician: home base, then the day's appointments in order ([lat, lon]), and the last known position."""
    routes = []
    for row in rows:
        technician = row.technician
        stops = [
            {
                "at": _point(block.appointment.work_order.location),
                "number": block.label,
                "start": block.start.isoformat(),
                "at_risk": block.at_risk,
            }
            for block in row.blocks
        ]
        routes.append(
            {
                "technician": str(technician.pk),
                "name": str(technician.user.get_full_name() or technician.user.email),
                "home": _point(technician.home_base),
                "last": _point(technician.last_location),
                "last_at": technician.last_location_at.isoformat() if technician.last_location_at else None,
                "stops": stops,
            }
        )
    return routes
