"""Optimisation (DOMAIN.md C.4.4, C.7 statement 6): 3 technicians and 10 work orders give a plan that passes the
hard-rule validator, sends every splicing job to the splicer, leaves an impossible job unassigned with its
reason, keeps pinned work, ends within its time limit and applies atomically; in-day re-optimisation."""

import datetime
import time

import pytest
from django.contrib.gis.geos import Point
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from omni.exceptions import Conflict
from tests.workforce.factories import (
    LAGOS,
    MembershipFactory,
    ShiftFactory,
    SkillFactory,
    TechnicianFactory,
    TechnicianSkillFactory,
    TerritoryFactory,
    WorkOrderFactory,
    square,
)
from workforce import tasks
from workforce.choices import (
    AppointmentStatus,
    AssignmentChange,
    DispatchRunStatus,
    WorkOrderPriority,
    WorkOrderStatus,
)
from workforce.models import Appointment, DispatchRun, WorkOrderSkill
from workforce.services import dispatch, solvers
from workforce.services.rules import Busy, RuleBook

pytestmark = pytest.mark.django_db
DAY = datetime.date(2030, 3, 4)


def at(hour, minute=0):
    return datetime.datetime(2030, 3, 4, hour, minute, tzinfo=datetime.UTC)


def near(dx, dy):
    return Point(LAGOS.x + dx, LAGOS.y + dy, srid=4326)


@pytest.fixture
def scene():
    territory = TerritoryFactory(geom=square(LAGOS.x, LAGOS.y, 0.3), time_zone="UTC")
    splicing = SkillFactory(code="fiber-splicing")
    crane = SkillFactory(code="crane")
    splicer, b, c = (TechnicianFactory(home_base=near(dx, 0)) for dx in (-0.02, 0.0, 0.02))
    TechnicianSkillFactory(technician=splicer, skill=splicing, level=4)
    for tech in (splicer, b, c):
        MembershipFactory(technician=tech, territory=territory)
        ShiftFactory(technician=tech, during=DateTimeTZRange(at(8), at(17)))
    splicing_jobs = []
    for i in range(3):
        wo = WorkOrderFactory(location=near(0.01 * i, 0.01), window_start=at(8 + 2 * i), window_end=at(11 + 2 * i))
        WorkOrderSkill.objects.create(work_order=wo, skill=splicing, min_level=3)
        splicing_jobs.append(wo)
    plain = [
        WorkOrderFactory(
            location=near(0.015 * (i - 2), -0.01),
            window_start=at(8 if i % 2 else 12),
            window_end=at(12 if i % 2 else 16),
            priority=WorkOrderPriority.HIGH if i == 0 else WorkOrderPriority.NORMAL,
        )
        for i in range(5)
    ]
    impossible = WorkOrderFactory(location=near(0, 0.02), window_start=at(8), window_end=at(16))
    WorkOrderSkill.objects.create(work_order=impossible, skill=crane, min_level=1)
    pinned = WorkOrderFactory(location=near(0.005, 0.005), pinned=True, status=WorkOrderStatus.SCHEDULED)
    pinned_appointment = Appointment.objects.create(
        work_order=pinned, technician=b, scheduled=DateTimeTZRange(at(13), at(14), "[)")
    )
    return {
        "territory": territory,
        "splicer": splicer,
        "techs": (splicer, b, c),
        "splicing": splicing_jobs,
        "plain": plain,
        "impossible": impossible,
        "pinned": pinned_appointment,
    }


def solve(scene, solver="vroom", limit=5):
    run = dispatch.dispatch_run_create(
        date=DAY, territory=scene["territory"], solver=solver, time_limit_s=limit, queue=False
    )
    began = time.monotonic()
    tasks.dispatch_run_execute.apply(args=[str(run.pk)])
    elapsed = time.monotonic() - began
    run.refresh_from_db()
    return run, elapsed


def assert_valid(run):
    """Every proposed row passes the validator of manual booking, the other rows of its route included."""
    rows = list(run.assignments.exclude(change=AssignmentChange.PINNED).select_related("work_order"))
    book = RuleBook.load(
        policy=run.policy,
        work_orders=[r.work_order for r in rows],
        since=at(0),
        until=at(23, 59),
        ignore_work_orders=[],
    )
    for row in rows:
        others = [
            Busy(o.start, o.end, o.work_order_id) for o in rows if o.technician_id == row.technician_id and o != row
        ]
        assert (
            book.check(
                work_order_id=row.work_order_id,
                technician_id=row.technician_id,
                start=row.start,
                end=row.end,
                travel_minutes=row.travel_minutes,
                plan=others,
            )
            is None
        ), row


@pytest.mark.parametrize("solver", ["vroom", "greedy"])
def test_three_technicians_ten_work_orders(scene, solver):
    run, elapsed = solve(scene, solver)
    assert run.status == DispatchRunStatus.PROPOSED, run.error
    assert run.progress == 100
    assert elapsed < run.time_limit_s
    assert_valid(run)
    by_wo = {a.work_order_id: a for a in run.assignments.all()}
    for wo in scene["splicing"]:
        assert by_wo[wo.pk].technician_id == scene["splicer"].pk
    for wo in scene["plain"]:
        assert wo.pk in by_wo
    unassigned = {u["work_order"]: u for u in run.unassigned}
    assert set(unassigned) == {str(scene["impossible"].pk)}
    assert unassigned[str(scene["impossible"].pk)]["rule"] == "match_skills"
    assert unassigned[str(scene["impossible"].pk)]["reason"]
    pinned = by_wo[scene["pinned"].work_order_id]
    assert pinned.change == AssignmentChange.PINNED
    assert (pinned.technician_id, pinned.start, pinned.end) == (scene["techs"][1].pk, at(13), at(14))
    assert run.total_travel_minutes > 0
    for row in run.assignments.all():
        if row.work_order.window_start:
            assert row.work_order.window_start <= row.start <= row.work_order.window_end


def test_apply_books_the_plan_and_keeps_pinned_work(scene):
    run, _ = solve(scene)
    dispatch.dispatch_run_apply(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == DispatchRunStatus.APPLIED
    for row in run.assignments.exclude(change=AssignmentChange.PINNED):
        appointment = Appointment.objects.get(work_order=row.work_order, status=AppointmentStatus.BOOKED)
        assert (appointment.technician_id, appointment.scheduled.lower) == (row.technician_id, row.start)
    scene["pinned"].refresh_from_db()
    assert scene["pinned"].scheduled.lower == at(13) and scene["pinned"].technician_id == scene["techs"][1].pk
    with pytest.raises(Conflict):  # applied once
        dispatch.dispatch_run_apply(run_id=run.pk)


def test_apply_is_atomic(scene):
    run, _ = solve(scene)
    rows = list(run.assignments.exclude(change=AssignmentChange.PINNED).order_by("start"))
    last = rows[-1]
    # booked since the run: the last row's technician is taken at its time by another job
    Appointment.objects.create(
        work_order=WorkOrderFactory(location=LAGOS),
        technician=last.technician,
        scheduled=DateTimeTZRange(last.start, last.end, "[)"),
    )
    before = Appointment.objects.count()
    with pytest.raises(Conflict):
        dispatch.dispatch_run_apply(run_id=run.pk)
    assert Appointment.objects.count() == before
    run.refresh_from_db()
    assert run.status == DispatchRunStatus.PROPOSED


def test_in_day_reoptimisation_after_a_cancellation_and_an_emergency(scene):
    run, _ = solve(scene)
    dispatch.dispatch_run_apply(run_id=run.pk)
    # at 10:00: one morning job is on site (kept), one afternoon job is cancelled, an emergency comes in
    booked = list(Appointment.objects.filter(status=AppointmentStatus.BOOKED).order_by("scheduled"))
    started = next(a for a in booked if a.scheduled.upper > at(10))
    Appointment.objects.filter(pk=started.pk).update(status=AppointmentStatus.EN_ROUTE)
    later = [a for a in booked if a.scheduled.lower >= at(12) and not a.work_order.pinned and a != started]
    from workforce.services import appointment_cancel

    appointment_cancel(appointment_id=later[0].pk)
    emergency = WorkOrderFactory(
        location=near(0.01, 0), priority=WorkOrderPriority.URGENT, window_start=at(10), window_end=at(13)
    )
    rerun = dispatch.reoptimise_day(territory=scene["territory"], now=at(10), queue=False)
    assert rerun.kind == "in_day"
    dispatch.dispatch_run_execute(run_id=rerun.pk)
    rerun.refresh_from_db()
    assert rerun.status == DispatchRunStatus.PROPOSED, rerun.error
    rows = {a.work_order_id: a for a in rerun.assignments.all()}
    assert emergency.pk in rows, rerun.unassigned
    assert rows[emergency.pk].start >= at(10)
    assert rows[started.work_order_id].change == AssignmentChange.PINNED
    assert rows[scene["pinned"].work_order_id].change == AssignmentChange.PINNED
    assert all(r.start >= at(10) for r in rows.values() if r.change != AssignmentChange.PINNED)
    assert later[0].work_order_id not in rows or rows[later[0].work_order_id].change == AssignmentChange.NEW
    dispatch.dispatch_run_apply(run_id=rerun.pk)
    assert Appointment.objects.filter(work_order=emergency, status=AppointmentStatus.BOOKED).exists()


def test_greedy_and_vroom_on_the_same_problem():
    """The adapter: both solvers answer the same Problem; VROOM's travel is no worse on a small instance."""
    matrix = [[abs(i - j) * 300 for j in range(6)] for i in range(6)]
    jobs = [solvers.Job(i, i, 1800, (0, 8 * 3600), frozenset({1, 2})) for i in range(1, 5)]
    vehicles = [solvers.Vehicle(1, 0, 0, (0, 9 * 3600)), solvers.Vehicle(2, 5, 5, (0, 9 * 3600))]
    problem = solvers.Problem(jobs, vehicles, matrix)
    greedy = solvers.GreedySolver().solve(problem, 1)
    vroom = solvers.VroomSolver().solve(problem, 1)
    assert greedy.assigned == vroom.assigned == 4
    assert vroom.travel <= greedy.travel


def test_a_run_not_queued_is_left_alone(scene):
    run = DispatchRun.objects.create(date=DAY, policy=dispatch.policy_for(None), status=DispatchRunStatus.APPLIED)
    assert dispatch.dispatch_run_execute(run_id=run.pk) is None


# ---- admin ---------------------------------------------------------------------------------------------------


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


@pytest.mark.parametrize("model", ["schedulingpolicy", "dispatchrun", "dispatchassignment"])
def test_admin_pages_answer(admin, scene, model, django_assert_max_num_queries):
    from django.apps import apps
    from django.contrib import admin as django_admin

    run, _ = solve(scene)
    model_admin = django_admin.site._registry[apps.get_model("workforce", model)]
    assert model_admin.search_fields and model_admin.list_display and model_admin.list_filter
    base = f"/admin/workforce/{model}/"
    with django_assert_max_num_queries(20):
        assert admin.get(base, {"q": "a"}).status_code == 200
    obj = {"schedulingpolicy": run.policy, "dispatchrun": run, "dispatchassignment": run.assignments.first()}[model]
    assert admin.get(f"{base}{obj.pk}/change/").status_code == 200
    if model != "dispatchassignment":
        assert admin.get(f"{base}add/").status_code == 200


def test_admin_refuses_a_second_default_and_applies_a_run(admin, scene):
    from tests.admin_support import admin_form_data

    run, _ = solve(scene)
    page = admin.get("/admin/workforce/schedulingpolicy/add/")
    data = admin_form_data(page, name="Another default", is_default="on")
    response = admin.post("/admin/workforce/schedulingpolicy/add/", data, follow=True)
    assert "already is a default" in response.content.decode()
    assert not run.policy.__class__.objects.filter(name="Another default").exists()
    admin.post("/admin/workforce/dispatchrun/", {"action": "apply", "_selected_action": [str(run.pk)]})
    run.refresh_from_db()
    assert run.status == DispatchRunStatus.APPLIED


def test_progress_is_written_while_solving_and_the_limit_holds(scene, monkeypatch):
    """The run is `running` with its progress written before the solver starts; the solver gets less than the
    run's time limit (loading and saving come out of it) and the run ends within it."""
    seen = {}
    real = solvers.solver_for

    def spy(name):
        solver = real(name)
        solver.prepare()
        solve = solver.solve

        def watched(problem, budget):
            run = DispatchRun.objects.get()
            seen.update(status=run.status, progress=run.progress, budget=budget)
            return solve(problem, budget)

        solver.solve = watched
        return solver

    monkeypatch.setattr(solvers, "solver_for", spy)
    run, elapsed = solve(scene, limit=1)
    assert seen["status"] == DispatchRunStatus.RUNNING and 0 < seen["progress"] < 100
    assert seen["budget"] < 1
    assert run.status == DispatchRunStatus.PROPOSED, run.error
    assert elapsed < 1.5
    assert run.started_at <= run.finished_at
    assert (run.finished_at - run.started_at).total_seconds() <= run.time_limit_s
