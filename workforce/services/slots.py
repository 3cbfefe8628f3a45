"""Slot search and auto-booking (DOMAIN.md C.4.2, C.4.3).

For every candidate technician-day (selectors.candidate_rows), walk the day's live appointments in order and try
the job in each gap: travel in from the stop before (home base at the shift's start), out to the stop after;
the slot starts at max(gap start + travel in, the window's start) and must let the technician reach the next
stop in time. Every slot passes the hard-rule validator (services.rules) and is graded 0-100 by the policy's
weighted objectives. Windows are arrival windows: a slot starts inside it; due by bounds its end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.exceptions import Conflict
from omni.models import User

from ..choices import AppointmentStatus, ShiftKind
from ..models import Appointment, Technician, TechnicianSkill, WorkOrder
from .orders import appointment_book
from .policies import policy_at, policy_for
from .rules import RuleBook
from .travel import minutes, territory_at, travel_model_for

STEP = dt.timedelta(minutes=30)  # further slots in a gap start on the half hour
PER_GAP = 6  # slots offered per gap at most
TRAVEL_REFERENCE_MIN = 120  # the travel objective's zero when the policy has no maximum


@dataclass(frozen=True)
class Slot:
    technician_id: object
    start: dt.datetime
    end: dt.datetime
    grade: int  # 0-100
    travel_minutes: int  # from the stop before
    insertion_minutes: int = 0  # the route's added travel (in + out - the direct leg)

    def as_dict(self) -> dict:
        return {
            "technician": self.technician_id,
            "start": self.start,
            "end": self.end,
            "grade": self.grade,
            "travel_minutes": self.travel_minutes,
        }


def _search_range(work_order: WorkOrder, start: dt.date | None, days: int, tz: ZoneInfo):
    """From `start`, else today or the day the work order's window (or earliest start) opens, if later."""
    day = start
    if day is None:
        day = timezone.localdate(timezone=tz)
        opens = work_order.window_start or work_order.earliest_start
        if opens is not None:
            day = max(day, opens.astimezone(tz).date())
    since = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return since, since + dt.timedelta(days=days)


def _skill_levels(work_order: WorkOrder, technician_ids) -> dict:
    """technician id -> mean of (level - minimum) / (5 - minimum) over the required skills (1.0 with none)."""
    required = {r.skill_id: r.min_level for r in work_order.required_skills.all()}
    if not required:
        return dict.fromkeys(technician_ids, 1.0)
    scores: dict = {t: [] for t in technician_ids}
    for tech_id, skill_id, level in TechnicianSkill.objects.filter(
        technician_id__in=technician_ids, skill_id__in=required
    ).values_list("technician_id", "skill_id", "level"):
        floor = required[skill_id]
        scores[tech_id].append(1.0 if floor >= 5 else (level - floor) / (5 - floor))
    return {t: (sum(v) / len(v) if v else 0.0) for t, v in scores.items()}


def slot_search(
    work_order: WorkOrder,
    *,
    start: dt.date | None = None,
    days: int = 7,
    technician_ids=None,
    limit: int = 20,
    policy=None,
) -> list[Slot]:
    """Graded slots for a work order from `start` (a date, the territory's time zone; today by default) for
    `days` days, best first. A constant number of queries whatever the number of technicians."""
    work_order = (
        WorkOrder.objects.prefetch_related(Prefetch("required_skills"), "preferred_technicians")
        .filter(pk=work_order.pk)
        .get()
    )
    territory = territory_at(work_order.location)
    policy = policy or policy_for(territory)
    travel = travel_model_for(territory)
    tz = ZoneInfo(territory.time_zone if territory else "UTC")
    since, until = _search_range(work_order, start, days, tz)
    book = RuleBook.load(
        policy=policy,
        work_orders=[work_order],
        since=since,
        until=until,
        technician_ids=technician_ids,
        ignore_work_orders=[work_order.pk],
    )
    eligible = sorted(book.eligible.get(work_order.pk, ()), key=str)
    if not eligible:
        return []
    # every stop's place: the job, the home bases, the live appointments' work orders; one matrix query
    busy_wo = {b.work_order_id for t in eligible for b in book.busy[t]}
    places = dict(WorkOrder.objects.filter(pk__in=busy_wo).values_list("pk", "location"))
    points = [work_order.location]
    index = {("wo", work_order.pk): 0}
    for tech_id in eligible:
        home = book.technicians[tech_id].home_base or work_order.location
        index[("home", tech_id)] = len(points)
        points.append(home)
    for wo_id, location in places.items():
        index[("wo", wo_id)] = len(points)
        points.append(location)
    matrix = travel.matrix(points)
    levels = _skill_levels(work_order, eligible)
    preferred = {t.pk for t in work_order.preferred_technicians.all()}
    lo, hi, due = book.window_of(work_order)
    duration = dt.timedelta(minutes=work_order.duration_minutes)
    weights = policy.weights
    total_weight = sum(weights.values()) or 1
    horizon_start = max(lo or since, since)
    horizon_end = hi or until
    span = max((horizon_end - horizon_start).total_seconds(), 1)
    reference = policy.max_travel_minutes or TRAVEL_REFERENCE_MIN
    job = index[("wo", work_order.pk)]

    slots: list[Slot] = []
    for tech_id in eligible:
        home = index[("home", tech_id)]
        cap = book.max_jobs(tech_id)
        for s_start, s_end, kind in book.shifts[tech_id]:
            s_start, s_end = max(s_start, since), min(s_end, until)
            if s_end <= s_start:
                continue
            day_busy = [b for b in book.busy[tech_id] if b.end > s_start and b.start < s_end]
            load = book.jobs_on(tech_id, book.local_day(tech_id, s_start))
            # gaps: (free from, its place, next stop's start or the shift's end, next place or None)
            stops = [(s_start, home)]
            for b in day_busy:
                stops.append((b.end, index.get(("wo", b.work_order_id), home)))
            for i, (free_from, prev) in enumerate(stops):
                nxt = day_busy[i] if i < len(day_busy) else None
                next_at = nxt.start if nxt else s_end
                next_place = index.get(("wo", nxt.work_order_id), home) if nxt else None
                t_in = matrix[prev][job]
                t_out = matrix[job][next_place] if next_place is not None else 0
                direct = matrix[prev][next_place] if next_place is not None else 0
                insertion = t_in + t_out - direct
                earliest = free_from + dt.timedelta(seconds=t_in)
                if lo is not None:
                    earliest = max(earliest, lo)
                earliest = earliest.replace(second=0, microsecond=0) + (
                    dt.timedelta(minutes=1) if earliest.second or earliest.microsecond else dt.timedelta()
                )
                latest = next_at - dt.timedelta(seconds=t_out) - duration
                if hi is not None:
                    latest = min(latest, hi)
                if due is not None:
                    latest = min(latest, due - duration)
                candidate, offered = earliest, 0
                while candidate <= latest and offered < PER_GAP:
                    end = candidate + duration
                    travel_min = minutes(t_in)
                    if (
                        book.check(
                            work_order_id=work_order.pk,
                            technician_id=tech_id,
                            start=candidate,
                            end=end,
                            travel_minutes=travel_min,
                            plan=[],
                        )
                        is None
                    ):
                        scores = {
                            "asap": 1 - min(max((candidate - horizon_start).total_seconds() / span, 0), 1),
                            "travel": 1 - min(insertion / 60 / reference, 1),
                            "preferred": 1.0 if tech_id in preferred else 0.0,
                            "skill_level": levels.get(tech_id, 0.0),
                            "balance": 1 - min(load / cap, 1) if cap else 0.0,
                            "overtime": 0.0 if kind == ShiftKind.OVERTIME else 1.0,
                        }
                        grade = round(100 * sum(weights[k] * scores[k] for k in weights) / total_weight)
                        slots.append(Slot(tech_id, candidate, end, grade, travel_min, minutes(insertion)))
                        offered += 1
                    # the next slot: the next half hour
                    local = candidate.astimezone(tz)
                    boundary = local.replace(minute=0, second=0, microsecond=0) + STEP * (local.minute // 30 + 1)
                    candidate = boundary.astimezone(dt.UTC)
    slots.sort(key=lambda s: (-s.grade, s.start, str(s.technician_id)))
    return slots[:limit]


class NoSlot(Conflict):
    pass


def book_best(
    work_order: WorkOrder, slot: Slot | None = None, *, by: User | None = None, start: dt.date | None = None, days=7
) -> Appointment:
    """Books the given slot, or the best one; each attempt is one transaction (services.appointment_book). A
    booking that lost a race (the exclusion constraint: a Conflict) moves on to the next slot. No slot left is
    a NoSlot (409)."""
    if slot is not None:
        policy = policy_at(work_order.location)
        book = RuleBook.load(
            policy=policy,
            work_orders=[WorkOrder.objects.get(pk=work_order.pk)],
            since=slot.start - dt.timedelta(days=1),
            until=slot.end + dt.timedelta(days=1),
            technician_ids=[slot.technician_id],
            ignore_work_orders=[work_order.pk],
        )
        violation = book.check(
            work_order_id=work_order.pk,
            technician_id=slot.technician_id,
            start=slot.start,
            end=slot.end,
            travel_minutes=slot.travel_minutes,
        )
        if violation is not None:
            raise ValidationError({"start": [violation.message], "rule": [violation.rule]})
        return _book(work_order, slot, by)
    for candidate in slot_search(work_order, start=start, days=days, limit=50):
        try:
            return _book(work_order, candidate, by)
        except Conflict as exc:
            if not _lost_race(exc):
                raise
    raise NoSlot(_("No slot is free for this work order."), fields={"start": [_("No slot is free.")]})


def _lost_race(exc: Conflict) -> bool:
    """The no-double-booking constraint's Conflict (it names `start`), not another 409."""
    return not isinstance(exc, NoSlot) and "start" in exc.fields


def _book(work_order: WorkOrder, slot: Slot, by) -> Appointment:
    if Appointment.objects.filter(work_order_id=work_order.pk).exclude(status=AppointmentStatus.CANCELLED).exists():
        raise Conflict(_("This work order is already booked."))
    return appointment_book(
        work_order_id=work_order.pk,
        technician=Technician.objects.get(pk=slot.technician_id),
        start=slot.start,
        end=slot.end,
        travel_before_minutes=slot.travel_minutes,
        by=by,
    )
