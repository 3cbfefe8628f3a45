"""Dispatch runs (DOMAIN.md C.4.4): build the routing problem from the database, solve it through one adapter
(services.solvers) within the run's time limit, re-validate every proposed row with the hard-rule validator of
manual booking (services.rules), and apply a proposal in one transaction.

Scope of a run: the bookable, unscheduled work orders of the horizon (in the territory, if given); an in-day run
re-plans the booked (not started, not pinned) appointments from `not_before` as well. Every other live
appointment (pinned, dispatched, started) is fixed: a stop its technician's route must keep."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.exceptions import Conflict
from omni.models import User

from ..choices import (
    AppointmentStatus,
    AssignmentChange,
    DispatchRunKind,
    DispatchRunStatus,
    WorkOrderPriority,
    WorkOrderStatus,
)
from ..models import (
    Appointment,
    DispatchAssignment,
    DispatchRun,
    SchedulingPolicy,
    ServiceTerritory,
    WorkOrder,
)
from . import solvers
from .orders import appointment_book, appointment_cancel, appointment_reschedule
from .policies import policy_for
from .rules import Busy, RuleBook, Violation, why_no_candidate
from .travel import minutes, travel_model_for

logger = logging.getLogger(__name__)

PRIORITY = {
    WorkOrderPriority.LOW: 10,
    WorkOrderPriority.NORMAL: 30,
    WorkOrderPriority.HIGH: 60,
    WorkOrderPriority.URGENT: 90,
}
BOOKED_PRIORITY = 100  # in-day: keep the customers already booked
UNSCHEDULED = (WorkOrderStatus.NEW, WorkOrderStatus.CANNOT_COMPLETE)
RESERVE_S = 0.5  # of the time limit, kept for loading, validation and saving


# --- creating ------------------------------------------------------------------------------------------------


@transaction.atomic
def dispatch_run_create(
    *,
    date: dt.date,
    territory: ServiceTerritory | None = None,
    policy: SchedulingPolicy | None = None,
    horizon_days: int = 1,
    solver: str = "vroom",
    time_limit_s: int = 10,
    kind: str = DispatchRunKind.GLOBAL,
    not_before: dt.datetime | None = None,
    by: User | None = None,
    queue: bool = True,
) -> DispatchRun:
    """A queued run; its Celery task (tasks.dispatch_run_execute) is sent after commit. An in-day run plans
    from `not_before` (now by default)."""
    if kind == DispatchRunKind.IN_DAY and not_before is None:
        not_before = timezone.now()
    run = DispatchRun(
        date=date,
        territory=territory,
        policy=policy or policy_for(territory),
        horizon_days=horizon_days,
        solver=solver,
        time_limit_s=time_limit_s,
        kind=kind,
        not_before=not_before,
        created_by=by,
    )
    run.full_clean()
    run.save()
    if queue:
        from ..tasks import dispatch_run_execute as task

        task.delay_on_commit(str(run.pk))
    return run


def reoptimise_day(
    *,
    territory: ServiceTerritory | None,
    now: dt.datetime | None = None,
    by: User | None = None,
    solver: str = "vroom",
    time_limit_s: int = 10,
    queue: bool = True,
) -> DispatchRun:
    """In-day re-optimisation after a cancellation or an emergency job: the rest of today (the territory's time
    zone), booked work re-planned, started / dispatched / pinned work kept. A proposal, applied like any run."""
    now = now or timezone.now()
    tz = ZoneInfo(territory.time_zone if territory else "UTC")
    return dispatch_run_create(
        date=now.astimezone(tz).date(),
        territory=territory,
        solver=solver,
        time_limit_s=time_limit_s,
        kind=DispatchRunKind.IN_DAY,
        not_before=now,
        by=by,
        queue=queue,
    )


# --- the problem ---------------------------------------------------------------------------------------------


@dataclass
class Scope:
    run: DispatchRun
    base: dt.datetime
    since: dt.datetime  # planning starts (in-day: not before)
    until: dt.datetime
    book: RuleBook
    work_orders: dict  # id -> WorkOrder (the jobs)
    booked: dict  # work order id -> its live (movable) Appointment (in-day)
    problem: solvers.Problem = None
    job_of: dict = field(default_factory=dict)  # solver job id -> work order id
    vehicle_of: dict = field(default_factory=dict)  # solver vehicle id -> (technician id, shift start, shift end)
    unassigned: dict = field(default_factory=dict)  # work order id -> Violation
    location_index: dict = field(default_factory=dict)  # ("wo", id) / ("home", technician id) -> matrix row


def _secs(scope: Scope, moment: dt.datetime) -> int:
    return int((moment - scope.base).total_seconds())


def _moment(scope: Scope, seconds: int) -> dt.datetime:
    return scope.base + dt.timedelta(seconds=seconds)


def build_scope(run: DispatchRun) -> Scope:
    tz = ZoneInfo(run.territory.time_zone if run.territory else "UTC")
    base = dt.datetime.combine(run.date, dt.time(), tzinfo=tz)
    until = base + dt.timedelta(days=run.horizon_days)
    since = max(base, run.not_before) if run.not_before else base
    in_window = (
        (Q(window_end__isnull=True) | Q(window_end__gt=since))
        & (Q(window_start__isnull=True) | Q(window_start__lt=until))
        & (Q(due_by__isnull=True) | Q(due_by__gt=since))
        & (Q(earliest_start__isnull=True) | Q(earliest_start__lt=until))
    )
    live = Appointment.objects.filter(work_order=OuterRef("pk")).exclude(status=AppointmentStatus.CANCELLED)
    wanted = WorkOrder.objects.filter(in_window, status__in=UNSCHEDULED).exclude(Exists(live))
    if run.territory_id:
        wanted = wanted.filter(location__coveredby=run.territory.geom)
    booked: dict = {}
    if run.kind == DispatchRunKind.IN_DAY:
        movable = Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            scheduled__startswith__gte=since,
            scheduled__startswith__lt=until,
            work_order__pinned=False,
            work_order__status=WorkOrderStatus.SCHEDULED,
        )
        if run.territory_id:
            movable = movable.filter(work_order__location__coveredby=run.territory.geom)
        booked = {a.work_order_id: a for a in movable}
        wanted = WorkOrder.objects.filter(Q(pk__in=wanted.values("pk")) | Q(pk__in=list(booked)))
    work_orders = {w.pk: w for w in wanted.order_by("created_at")}
    book = RuleBook.load(
        policy=run.policy,
        work_orders=list(work_orders.values()),
        since=since,
        until=until,
        territory_id=run.territory_id,
        ignore_work_orders=list(booked),
    )
    return Scope(run, base, since, until, book, work_orders, booked)


def build_problem(scope: Scope) -> solvers.Problem:
    book, run = scope.book, scope.run
    travel = travel_model_for(run.territory)
    # vehicles: the candidates' shifts in the horizon
    vehicles: list[solvers.Vehicle] = []
    by_tech: dict = defaultdict(list)
    techs = sorted(set().union(*book.eligible.values()) if book.eligible else set(), key=str)
    points, index = [], {}
    for tech_id in techs:
        index[("home", tech_id)] = len(points)
        points.append(book.technicians[tech_id].home_base or next(iter(scope.work_orders.values())).location)
    fixed_wo = {b.work_order_id for t in techs for b in book.busy[t]}
    locations = dict(WorkOrder.objects.filter(pk__in=fixed_wo | set(scope.work_orders)).values_list("pk", "location"))
    for wo_id, location in locations.items():
        index[("wo", wo_id)] = len(points)
        points.append(location)
    matrix = travel.matrix(points)
    # vehicles: the free stretches of the candidates' shifts. Fixed work (pinned, started, or simply not being
    # re-planned) splits a shift: a stretch starts where and when the fixed job before it ends and must reach
    # the next fixed job's place by its start, so no plan can overlap fixed work and its travel is counted.
    for tech_id in techs:
        home = index[("home", tech_id)]
        cap = book.max_jobs(tech_id)
        for s_start, s_end, _kind in book.shifts[tech_id]:
            start, end = max(s_start, scope.since), min(s_end, scope.until)
            if end <= start:
                continue
            fixed = [b for b in book.busy[tech_id] if b.end > start and b.start < end]
            taken = sum(1 for b in book.busy[tech_id] if b.start >= s_start and b.start < s_end)
            place, free_from = home, start
            stretches = []
            for busy in fixed:
                busy_place = index.get(("wo", busy.work_order_id), home)
                if busy.start > free_from:
                    stretches.append((place, free_from, busy_place, busy.start))
                place, free_from = busy_place, max(free_from, busy.end)
            if free_from < end:
                stretches.append((place, free_from, home, end))
            for first, a, last, b in stretches:
                if max(cap - taken, 0) == 0:
                    break
                vid = len(vehicles) + 1
                vehicles.append(
                    solvers.Vehicle(vid, first, last, (_secs(scope, a), _secs(scope, b)), max_tasks=cap - taken)
                )
                scope.vehicle_of[vid] = (tech_id, a, b)
                by_tech[tech_id].append(vid)
    jobs: list[solvers.Job] = []
    for wo_id, work_order in scope.work_orders.items():
        allowed = frozenset(v for t in book.eligible.get(wo_id, ()) for v in by_tech[t])
        if not allowed:
            continue  # explained after solving (why_no_candidate)
        lo, hi, due = book.window_of(work_order)
        duration = dt.timedelta(minutes=work_order.duration_minutes)
        first = max(lo or scope.since, scope.since)
        last = min(hi or scope.until, scope.until - duration)
        if due is not None:
            last = min(last, due - duration)
        if last < first:
            scope.unassigned[wo_id] = Violation(
                "respect_window", _("Its window (or due time) leaves no room in the horizon.")
            )
            continue
        job_id = len(jobs) + 1
        scope.job_of[job_id] = wo_id
        jobs.append(
            solvers.Job(
                job_id,
                index[("wo", wo_id)],
                int(duration.total_seconds()),
                (_secs(scope, first), _secs(scope, last)),
                allowed,
                BOOKED_PRIORITY if wo_id in scope.booked else PRIORITY.get(work_order.priority, 30),
            )
        )
    scope.location_index = index
    scope.problem = solvers.Problem(jobs, vehicles, matrix)
    return scope.problem


# --- running -------------------------------------------------------------------------------------------------


def _progress(run_id, value: int, **fields) -> None:
    DispatchRun.objects.filter(pk=run_id).update(progress=value, updated_at=timezone.now(), **fields)


def dispatch_run_execute(*, run_id) -> DispatchRun | None:
    """Solves a queued run within its time limit; progress is written as it goes. Idempotent: a run that is
    not queued (taken by another worker, discarded) is left alone."""
    began = time.monotonic()
    now = timezone.now()
    taken = DispatchRun.objects.filter(pk=run_id, status=DispatchRunStatus.QUEUED).update(
        status=DispatchRunStatus.RUNNING, started_at=now, progress=5, updated_at=now
    )
    if not taken:
        return None
    run = DispatchRun.objects.select_related("policy", "territory").get(pk=run_id)
    try:
        scope = build_scope(run)
        _progress(run.pk, 20)
        problem = build_problem(scope)
        _progress(run.pk, 35)
        solver = solvers.solver_for(run.solver)
        solver.prepare()  # the first import of VROOM (numpy, pandas) in a worker takes most of a second
        budget = max(0.1, run.time_limit_s - (time.monotonic() - began) - min(RESERVE_S, run.time_limit_s * 0.2))
        plan = solver.solve(problem, budget)
        _progress(run.pk, 80)
        rows, unassigned, travel = _proposal(scope, plan)
        with transaction.atomic():
            DispatchAssignment.objects.filter(run=run).delete()
            DispatchAssignment.objects.bulk_create(rows)
            finished = timezone.now()
            DispatchRun.objects.filter(pk=run.pk).update(
                status=DispatchRunStatus.PROPOSED,
                progress=100,
                unassigned=unassigned,
                total_travel_minutes=minutes(travel),
                objective=round(travel / 60 + 1000 * len(unassigned), 2),
                solve_seconds=round(plan.seconds, 3),
                finished_at=finished,
                updated_at=finished,
            )
    except Exception as exc:
        logger.exception("dispatch run %s failed", run.pk)
        DispatchRun.objects.filter(pk=run.pk).update(
            status=DispatchRunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    run.refresh_from_db()
    return run


def _proposal(scope: Scope, plan: solvers.Plan):
    """The plan as rows, every one re-validated (a failing job is unassigned with its rule), the unassigned
    with reasons, and the routes' total travel in seconds (home and back, fixed stops included)."""
    book, m, index = scope.book, scope.problem.matrix, scope.location_index
    rows: list[DispatchAssignment] = []
    accepted: dict = defaultdict(list)  # technician id -> [Busy]
    unassigned = dict(scope.unassigned)
    for vid, stops in plan.routes.items():
        tech_id = scope.vehicle_of[vid][0]
        for stop in stops:
            wo_id = scope.job_of[stop.job]
            work_order = scope.work_orders[wo_id]
            start = _moment(scope, stop.start)
            end = start + dt.timedelta(minutes=work_order.duration_minutes)
            violation = book.check(
                work_order_id=wo_id,
                technician_id=tech_id,
                start=start,
                end=end,
                travel_minutes=minutes(stop.travel),
                plan=accepted[tech_id],
            )
            if violation is not None:
                unassigned[wo_id] = violation
                continue
            accepted[tech_id].append(Busy(start, end, wo_id))
            live = scope.booked.get(wo_id)
            if live is None:
                change = AssignmentChange.NEW
            elif live.technician_id == tech_id and live.scheduled.lower == start:
                change = AssignmentChange.KEEP
            else:
                change = AssignmentChange.MOVE
            rows.append(
                DispatchAssignment(
                    run=scope.run,
                    work_order_id=wo_id,
                    technician_id=tech_id,
                    start=start,
                    end=end,
                    travel_minutes=minutes(stop.travel),
                    change=change,
                )
            )
    done = {r.work_order_id for r in rows}
    for job_id in plan.unassigned:
        wo_id = scope.job_of.get(job_id)
        if wo_id is not None and wo_id not in unassigned:
            unassigned[wo_id] = Violation(
                "capacity", _("No candidate's route has room for it in its window (shifts, travel, other work).")
            )
    nobody = [w for w in scope.work_orders if w not in done and w not in unassigned]
    unassigned.update(why_no_candidate(work_order_ids=nobody, day=scope.run.date))
    # fixed work stays, shown in the proposal
    seen = set(done)
    for tech_id, items in book.busy.items():
        for busy in items:
            if busy.work_order_id in seen or not (busy.start < scope.until and busy.end > scope.since):
                continue
            seen.add(busy.work_order_id)
            accepted[tech_id].append(busy)
            rows.append(
                DispatchAssignment(
                    run=scope.run,
                    work_order_id=busy.work_order_id,
                    technician_id=tech_id,
                    start=busy.start,
                    end=busy.end,
                    change=AssignmentChange.PINNED,
                )
            )
    # sequence and travel of the final routes
    travel = 0
    for tech_id, items in accepted.items():
        items.sort(key=lambda b: b.start)
        home = index.get(("home", tech_id))
        path = [home, *(index.get(("wo", b.work_order_id), home) for b in items), home]
        if home is not None:
            travel += sum(m[a][b] for a, b in zip(path, path[1:], strict=False))
    seq = {}
    for items in accepted.values():
        for i, busy in enumerate(items):
            seq[busy.work_order_id] = i + 1
    for row in rows:
        row.seq = seq.get(row.work_order_id, 0)
    numbers = {w.pk: w.number for w in scope.work_orders.values()}
    listed = [
        {"work_order": str(wo_id), "number": numbers.get(wo_id, ""), **violation.as_dict()}
        for wo_id, violation in unassigned.items()
        if wo_id not in done
    ]
    listed.sort(key=lambda x: x["number"])
    return rows, listed, travel


# --- applying ------------------------------------------------------------------------------------------------


@transaction.atomic
def dispatch_run_apply(*, run_id, by: User | None = None) -> DispatchRun:
    """Applies a proposed run in ONE transaction: new bookings, moves (every moved appointment is first
    lifted out of the way, so swaps between technicians cannot trip the no-double-booking constraint), and, in
    an in-day run, the booked work the plan could not keep goes back to unscheduled. Any failure (a booking
    made since the run, a changed shift) applies nothing: the error answers (400 / 409) and the run stays
    proposed. Pinned and started work is not touched."""
    run = DispatchRun.objects.select_for_update().get(pk=run_id)
    if run.status != DispatchRunStatus.PROPOSED:
        msg = _("A %(s)s dispatch run cannot be applied.") % {"s": run.status}
        raise Conflict(msg, fields={"status": [msg]})
    rows = list(run.assignments.select_related("technician").exclude(change__in=[AssignmentChange.PINNED]))
    planned = {r.work_order_id for r in rows}
    live = {
        a.work_order_id: a
        for a in Appointment.objects.select_for_update()
        .filter(work_order_id__in=planned, status=AppointmentStatus.BOOKED)
        .order_by("created_at")
    }
    moving = [r for r in rows if r.change == AssignmentChange.MOVE]
    Appointment.objects.filter(pk__in=[live[r.work_order_id].pk for r in moving if r.work_order_id in live]).update(
        scheduled=DateTimeTZRange(empty=True)
    )
    for row in rows:
        if row.change == AssignmentChange.KEEP:
            continue
        if row.change == AssignmentChange.MOVE:
            appointment = live.get(row.work_order_id)
            if appointment is None:
                raise Conflict(_("%(wo)s is no longer booked: run again.") % {"wo": row.work_order_id})
            appointment_reschedule(
                appointment_id=appointment.pk, start=row.start, end=row.end, technician=row.technician, by=by
            )
        else:
            appointment_book(
                work_order_id=row.work_order_id,
                technician=row.technician,
                start=row.start,
                end=row.end,
                travel_before_minutes=row.travel_minutes,
                by=by,
            )
    if run.kind == DispatchRunKind.IN_DAY:
        dropped = [entry["work_order"] for entry in run.unassigned]
        for appointment in Appointment.objects.filter(
            work_order_id__in=dropped, status=AppointmentStatus.BOOKED, work_order__pinned=False
        ):
            appointment_cancel(appointment_id=appointment.pk, by=by, reoptimise_day=False)
    run.status = DispatchRunStatus.APPLIED
    run.applied_at = timezone.now()
    run.applied_by = by
    run.save(update_fields=["status", "applied_at", "applied_by", "updated_at"])
    return run


@transaction.atomic
def dispatch_run_discard(*, run_id, by: User | None = None) -> DispatchRun:
    run = DispatchRun.objects.select_for_update().get(pk=run_id)
    if run.status not in (DispatchRunStatus.PROPOSED, DispatchRunStatus.QUEUED, DispatchRunStatus.FAILED):
        msg = _("A %(s)s dispatch run cannot be discarded.") % {"s": run.status}
        raise Conflict(msg, fields={"status": [msg]})
    run.status = DispatchRunStatus.DISCARDED
    run.save(update_fields=["status", "updated_at"])
    return run
