"""The hard-rule validator (DOMAIN.md C.4.1, C.4.4): one check for a manual booking, a slot and every row of an
optimiser's proposal. `RuleBook.load` reads what the rules need for a set of work orders and technicians in a
constant number of queries (candidates, shifts, time off, live appointments); `check` is pure Python."""

from __future__ import annotations

from collections import defaultdict
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.translation import gettext as _

from .. import selectors
from ..choices import AppointmentStatus, TimeOffStatus
from ..models import Appointment, SchedulingPolicy, Shift, Technician, TimeOff, WorkOrder
from .orders import BOOKABLE


@dataclass(frozen=True)
class Violation:
    rule: str  # the policy's rule (or the field) that failed: match_skills, territory, respect_shifts, ...
    message: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "reason": self.message}


@dataclass
class Busy:
    start: datetime
    end: datetime
    work_order_id: object = None


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


@dataclass
class RuleBook:
    policy: SchedulingPolicy
    work_orders: dict = field(default_factory=dict)  # id -> WorkOrder
    technicians: dict = field(default_factory=dict)  # id -> Technician
    eligible: dict = field(default_factory=lambda: defaultdict(set))  # wo id -> {technician id}
    distance: dict = field(default_factory=dict)  # (wo id, technician id) -> metres from home base
    shifts: dict = field(default_factory=lambda: defaultdict(list))  # technician id -> [(start, end, kind)]
    time_off: dict = field(default_factory=lambda: defaultdict(list))  # technician id -> [(start, end)]
    busy: dict = field(default_factory=lambda: defaultdict(list))  # technician id -> [Busy] (live, not ignored)

    @classmethod
    def load(
        cls,
        *,
        policy: SchedulingPolicy,
        work_orders: list[WorkOrder],
        since: datetime,
        until: datetime,
        technician_ids=None,
        territory_id=None,
        ignore_work_orders=(),
    ) -> RuleBook:
        """Five queries: the candidates of every work order (selectors.candidate_rows, window-based), then the
        candidates' (or the given technicians') technicians, shifts, approved time off and live appointments
        in [since, until). Appointments of `ignore_work_orders` (being re-planned) are left out."""
        book = cls(policy=policy, work_orders={w.pk: w for w in work_orders})
        # the policy's eligibility rules (skills, territory hard / soft, shifts) are the candidate query's; travel
        # and the day's cap are checked per slot by `check` (from the stop before, with the proposed route)
        eligibility = copy(policy)
        eligibility.max_travel_minutes = eligibility.max_jobs_per_day = None
        rows = selectors.candidate_rows(
            work_order_ids=list(book.work_orders), territory_id=territory_id, policy=eligibility
        )
        wanted = set(technician_ids) if technician_ids is not None else None
        for wo_id, tech_id, distance in rows:
            if wanted is None or tech_id in wanted:
                book.eligible[wo_id].add(tech_id)
                book.distance[(wo_id, tech_id)] = distance
        tech_ids = set().union(*book.eligible.values()) if book.eligible else set()
        if wanted is not None:
            tech_ids |= wanted
        book.technicians = Technician.objects.select_related("user").in_bulk(tech_ids)
        span = (since, until)
        for tech_id, during, kind in Shift.objects.filter(technician_id__in=tech_ids, during__overlap=span).values_list(
            "technician_id", "during", "kind"
        ):
            book.shifts[tech_id].append((during.lower, during.upper, kind))
        for tech_id, during in TimeOff.objects.filter(
            technician_id__in=tech_ids, status=TimeOffStatus.APPROVED, during__overlap=span
        ).values_list("technician_id", "during"):
            book.time_off[tech_id].append((during.lower, during.upper))
        live = (
            Appointment.objects.filter(technician_id__in=tech_ids, scheduled__overlap=span)
            .exclude(status=AppointmentStatus.CANCELLED)
            .exclude(work_order_id__in=list(ignore_work_orders))
        )
        for tech_id, scheduled, wo_id in live.values_list("technician_id", "scheduled", "work_order_id"):
            if scheduled.isempty:
                continue
            book.busy[tech_id].append(Busy(scheduled.lower, scheduled.upper, wo_id))
        for items in book.shifts.values():
            items.sort()
        for items in book.busy.values():
            items.sort(key=lambda b: b.start)
        return book

    # --- the rules -------------------------------------------------------------------------------------------

    def max_jobs(self, technician_id) -> int:
        technician = self.technicians[technician_id]
        limits = [technician.max_jobs_per_day]
        if self.policy.max_jobs_per_day:
            limits.append(self.policy.max_jobs_per_day)
        return min(limits)

    def local_day(self, technician_id, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.technicians[technician_id].time_zone)).date()

    def jobs_on(self, technician_id, day: date, extra=()) -> int:
        return sum(1 for b in [*self.busy[technician_id], *extra] if self.local_day(technician_id, b.start) == day)

    def shift_covering(self, technician_id, start: datetime, end: datetime):
        for s_start, s_end, kind in self.shifts[technician_id]:
            if s_start <= start and end <= s_end:
                return s_start, s_end, kind
        return None

    def window_of(self, work_order: WorkOrder) -> tuple[datetime | None, datetime | None, datetime | None]:
        """(lowest start, highest start, latest end) the policy allows: the arrival window when respected,
        intersected with earliest start; due by bounds the end."""
        lo = work_order.earliest_start
        hi = None
        if self.policy.respect_window:
            if work_order.window_start and (lo is None or work_order.window_start > lo):
                lo = work_order.window_start
            hi = work_order.window_end
        return lo, hi, work_order.due_by

    def check(
        self, *, work_order_id, technician_id, start: datetime, end: datetime, travel_minutes: int = 0, plan=()
    ) -> Violation | None:
        """The first hard rule that [start, end) with this technician breaks, or None. `plan`: the other Busy
        rows being proposed for this technician (an optimiser's route)."""
        work_order = self.work_orders[work_order_id]
        if work_order.status not in BOOKABLE:
            return Violation("status", _("A %(s)s work order cannot be booked.") % {"s": work_order.status})
        if technician_id not in self.eligible.get(work_order_id, ()):
            return Violation(
                "match_skills",
                _("The technician lacks a required skill, certification or territory membership, or is excluded."),
            )
        lo, hi, due = self.window_of(work_order)
        if lo is not None and start < lo:
            rule = "respect_window" if lo == work_order.window_start else "earliest_start"
            return Violation(rule, _("The start is before the work order's window or earliest start."))
        if hi is not None and start > hi:
            return Violation("respect_window", _("The arrival is after the customer's window."))
        if due is not None and end > due:
            return Violation("due_by", _("The work would end after its due time."))
        shift = self.shift_covering(technician_id, start, end)
        if self.policy.respect_shifts and shift is None:
            return Violation("respect_shifts", _("The technician has no shift covering this time."))
        for off_start, off_end in self.time_off[technician_id]:
            if _overlaps(start, end, off_start, off_end):
                return Violation("time_off", _("The technician has approved time off at this time."))
        others = [*self.busy[technician_id], *plan]
        for busy in others:
            if busy.work_order_id != work_order_id and _overlaps(start, end, busy.start, busy.end):
                return Violation("double_booking", _("The technician is already booked at this time."))
        day = self.local_day(technician_id, start)
        taken = sum(
            1 for b in others if b.work_order_id != work_order_id and self.local_day(technician_id, b.start) == day
        )
        if taken + 1 > self.max_jobs(technician_id):
            return Violation("max_jobs_per_day", _("The technician has the day's maximum of jobs."))
        if self.policy.max_travel_minutes is not None and travel_minutes > self.policy.max_travel_minutes:
            return Violation("max_travel_minutes", _("The travel to the job is over the policy's maximum."))
        return None


# --- why nobody can take a work order -----------------------------------------------------------------------------

_WHY_SQL = """
SELECT w.id,
  EXISTS (
    SELECT 1 FROM workforce_technician t WHERE t.active AND NOT EXISTS (
      SELECT 1 FROM workforce_workorderskill r WHERE r.work_order_id = w.id AND NOT EXISTS (
        SELECT 1 FROM workforce_technicianskill ts JOIN workforce_skill s ON s.id = ts.skill_id
        WHERE ts.technician_id = t.id AND ts.skill_id = r.skill_id AND ts.level >= r.min_level
          AND (ts.certified_until >= %(day)s OR (ts.certified_until IS NULL AND NOT s.requires_certification))))
  ) AS skilled,
  EXISTS (
    SELECT 1 FROM workforce_technician t
    JOIN workforce_territorymembership m ON m.technician_id = t.id AND m.valid @> %(day)s::date
    JOIN workforce_serviceterritory st ON st.id = m.territory_id AND ST_Covers(st.geom, w.location)
    WHERE t.active AND NOT EXISTS (
      SELECT 1 FROM workforce_workorderskill r WHERE r.work_order_id = w.id AND NOT EXISTS (
        SELECT 1 FROM workforce_technicianskill ts JOIN workforce_skill s ON s.id = ts.skill_id
        WHERE ts.technician_id = t.id AND ts.skill_id = r.skill_id AND ts.level >= r.min_level
          AND (ts.certified_until >= %(day)s OR (ts.certified_until IS NULL AND NOT s.requires_certification))))
  ) AS skilled_here
FROM workforce_workorder w WHERE w.id = ANY(%(ids)s::uuid[])
"""


def why_no_candidate(*, work_order_ids: list, day: date) -> dict:
    """work order id -> Violation for work orders no technician passes the hard rules for (one query)."""
    if not work_order_ids:
        return {}
    with connection.cursor() as cursor:
        # the planner's estimates put this past jit_above_cost: a second of compiling for a millisecond's query
        cursor.execute("SET LOCAL jit = off;\n" + _WHY_SQL, {"ids": [str(i) for i in work_order_ids], "day": day})
        cursor.nextset()
        rows = cursor.fetchall()
    out = {}
    for wo_id, skilled, skilled_here in rows:
        if not skilled:
            out[wo_id] = Violation(
                "match_skills", _("No active technician has the required skills at level with a valid certification.")
            )
        elif not skilled_here:
            out[wo_id] = Violation("territory", _("No qualified technician is a member of a territory covering it."))
        else:
            out[wo_id] = Violation(
                "respect_shifts", _("No qualified technician in the territory works (or is free) in its window.")
            )
    return out
