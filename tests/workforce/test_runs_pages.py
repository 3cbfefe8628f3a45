"""Dispatch runs in the staff console (/dispatch/runs/, /dispatch/runs/<id>/): who reaches them, starting a run
(the form, the board's "Optimise this day"), following it until the proposal (routes, assignments, unassigned
work with its rule), applying it (the appointments change) or being refused with the reason (a stale proposal),
and query counts that do not grow with the rows."""

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from tests.omni.factories import StaffFactory
from workforce import services
from workforce.choices import AppointmentStatus, DispatchRunStatus, WorkOrderStatus
from workforce.models import Appointment, DispatchAssignment, DispatchRun
from workforce.services import dispatch

from . import board_scene
from .board_scene import DAY, at
from .factories import SkillFactory, TechnicianFactory, WorkOrderFactory

LIST = "/dispatch/runs/"
START = "/dispatch/runs/start/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher(db):
    return StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])


@pytest.fixture
def scene(db):
    """The board's day (Ada and Bola booked at 09:00, one unassigned splicing job) and a job needing a skill no
    one has: the run must leave it unassigned, saying which rule excluded it."""
    built = board_scene.build()
    built.impossible = WorkOrderFactory(window_start=at(8), window_end=at(17))
    services.work_order_skills_set(
        work_order_id=built.impossible.pk, required_skills=[{"skill": SkillFactory(code="crane"), "min_level": 1}]
    )
    built.territory = built.ada.memberships.get().territory
    return built


def _run(**fields) -> DispatchRun:
    return dispatch.dispatch_run_create(**{"date": DAY, "queue": False, **fields})


def _routes(response) -> list[dict]:
    html = response.content.decode()
    start = html.index('id="run-routes"')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


# --- access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_user", "dispatcher"])
def test_admin_and_dispatcher_see_the_runs_and_the_start_form(request, client_as, persona):
    run = _run()
    client = client_as(request.getfixturevalue(persona))
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/dispatch/runs/{run.pk}/"' in html and f'action="{START}"' in html
    assert client.get(f"/dispatch/runs/{run.pk}/").status_code == 200


def test_technician_and_agent_get_403_everywhere(client_as, agent):
    run = _run()
    technician = StaffFactory(email="tech@example.com", roles=["Technician"])
    for user in (technician, agent):
        client = client_as(user)
        assert client.get(LIST).status_code == 403
        assert client.get(f"/dispatch/runs/{run.pk}/").status_code == 403
        assert client.post(START, {"date": DAY.isoformat()}).status_code == 403
        assert client.post(f"/dispatch/runs/{run.pk}/apply/").status_code == 403
        assert client.post(f"/dispatch/runs/{run.pk}/discard/").status_code == 403
    assert DispatchRun.objects.count() == 1


def test_viewing_alone_shows_no_start_form_and_refuses_start_and_apply(client_as):
    viewer = StaffFactory(email="viewer@example.com", roles=["Agent"])
    viewer.user_permissions.add(Permission.objects.get(codename="view_dispatchrun"))
    run = _run()
    client = client_as(viewer)
    response = client.get(LIST)
    assert response.status_code == 200 and f'action="{START}"' not in response.content.decode()
    assert client.get(f"/dispatch/runs/{run.pk}/").status_code == 200
    assert client.post(START, {"date": DAY.isoformat()}).status_code == 403
    assert client.post(f"/dispatch/runs/{run.pk}/apply/").status_code == 403


def test_portal_users_never_reach_it(client_as, customer, vendor):
    run = _run()
    for user, host in ((customer, "portal.localhost"), (vendor, "vendor.localhost")):
        assert client_as(user).get(LIST).status_code == 403  # the staff host refuses another audience
        assert client_as(user, host=host).get(LIST).status_code == 404
        assert client_as(user, host=host).get(f"/dispatch/runs/{run.pk}/").status_code == 404
        assert client_as(user, host=host).post(START, {}).status_code == 404


def test_unknown_run_is_404_and_get_on_actions_405(client_as, dispatcher):
    client = client_as(dispatcher)
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/dispatch/runs/{missing}/").status_code == 404
    assert client.post(f"/dispatch/runs/{missing}/apply/").status_code == 404
    assert client.get(START).status_code == 405
    assert client.get(f"/dispatch/runs/{missing}/apply/").status_code == 405


def test_bad_input_is_a_400_naming_the_field(client_as, dispatcher):
    client = client_as(dispatcher)
    response = client.post(START, {"time_limit_s": "10", "solver": "vroom", "kind": "global"})
    assert response.status_code == 400 and 'id="id_date_error"' in response.content.decode()
    response = client.post(START, {"date": DAY.isoformat(), "time_limit_s": "999", "solver": "vroom", "kind": "global"})
    assert response.status_code == 400 and 'id="id_time_limit_s_error"' in response.content.decode()
    response = client.post(START, {"date": DAY.isoformat(), "time_limit_s": "5", "solver": "magic", "kind": "global"})
    assert response.status_code == 400 and 'id="id_solver_error"' in response.content.decode()
    assert not DispatchRun.objects.exists()


# --- a run from the form to the applied plan ---------------------------------------------------------------------


def test_start_follow_review_and_apply(client_as, dispatcher, scene):
    client = client_as(dispatcher)
    board = client.get(f"/dispatch/?day={DAY.isoformat()}&territory={scene.territory.pk}").content.decode()
    assert 'id="optimise-day"' in board and f'value="{scene.territory.pk}"' in board

    response = client.post(
        START,
        {
            "date": DAY.isoformat(),
            "territory": str(scene.territory.pk),
            "kind": "global",
            "solver": "vroom",
            "time_limit_s": "2",
        },
    )
    run = DispatchRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dispatch/runs/{run.pk}/"
    assert (run.status, run.territory, run.created_by, run.time_limit_s) == ("queued", scene.territory, dispatcher, 2)
    detail = f"/dispatch/runs/{run.pk}/"
    queued = client.get(detail, HTTP_HX_REQUEST="true")
    assert queued.status_code == 200 and 'hx-trigger="every 2s"' in queued.content.decode()
    assert "<html" not in queued.content.decode()  # htmx polls the body only

    dispatch.dispatch_run_execute(run_id=run.pk)  # the Celery task's work (sent after commit)
    response = client.get(detail)
    html = response.content.decode()
    assert response.status_code == 200 and 'hx-trigger="every 2s"' not in html
    assert f'data-assignment="{scene.unassigned.number}" data-change="new"' in html
    assert f'data-unassigned="{scene.impossible.number}" data-rule="match_skills"' in html
    routes = _routes(response)
    assert any(stop["number"] == scene.unassigned.number for route in routes for stop in route["stops"])
    assert all(route["home"] for route in routes)
    assert "js/dispatch_run.js" in html and "Apply the proposal" in html

    response = client.post(f"{detail}apply/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "The proposal was applied." in response.content.decode()
    run.refresh_from_db()
    assert run.status == DispatchRunStatus.APPLIED and run.applied_by == dispatcher
    booked = Appointment.objects.get(work_order=scene.unassigned, status=AppointmentStatus.BOOKED)
    row = run.assignments.get(work_order=scene.unassigned)
    assert (booked.technician_id, booked.scheduled.lower) == (row.technician_id, row.start)
    scene.impossible.refresh_from_db()
    assert scene.impossible.status == WorkOrderStatus.NEW

    again = client.post(f"{detail}apply/")
    assert again.status_code == 409 and "cannot be applied" in again.content.decode()


def test_a_stale_proposal_is_refused_with_the_reason_and_nothing_changes(client_as, dispatcher, scene):
    run = _run(territory=scene.territory, solver="greedy", time_limit_s=2)
    dispatch.dispatch_run_execute(run_id=run.pk)
    row = run.assignments.get(work_order=scene.unassigned)
    # since the run, the dispatcher booked that technician at that very time by hand
    other = WorkOrderFactory()
    Appointment.objects.create(
        work_order=other, technician=row.technician, scheduled=DateTimeTZRange(row.start, row.end, "[)")
    )
    response = client_as(dispatcher).post(f"/dispatch/runs/{run.pk}/apply/", HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "Refused: The technician is already booked at this time." in response.content.decode()
    run.refresh_from_db()
    assert run.status == DispatchRunStatus.PROPOSED
    assert not Appointment.objects.filter(work_order=scene.unassigned).exists()


def test_discard(client_as, dispatcher):
    run = _run()
    response = client_as(dispatcher).post(f"/dispatch/runs/{run.pk}/discard/")
    assert response.status_code == 200 and "The run was discarded." in response.content.decode()
    run.refresh_from_db()
    assert run.status == DispatchRunStatus.DISCARDED


# --- query counts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_list_queries_do_not_grow(client_as, dispatcher, django_assert_max_num_queries, rows):
    for n in range(rows):
        _run(date=DAY + datetime.timedelta(days=n))
    client = client_as(dispatcher)
    client.get(LIST)  # warm the session and the caches
    with django_assert_max_num_queries(7):  # the same for 1 and 20 runs
        response = client.get(LIST)
    assert response.content.decode().count("data-run-id=") == rows
    table = client.get(LIST, HTTP_HX_REQUEST="true").content.decode()  # a page link swaps the table only
    assert table.lstrip().startswith('<div id="run-table"') and table.count("data-run-id=") == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_detail_queries_do_not_grow(client_as, dispatcher, django_assert_max_num_queries, rows):
    run = _run()
    DispatchRun.objects.filter(pk=run.pk).update(status=DispatchRunStatus.PROPOSED, progress=100)
    technicians = [TechnicianFactory(), TechnicianFactory()]
    DispatchAssignment.objects.bulk_create(
        DispatchAssignment(
            run=run,
            work_order=WorkOrderFactory(),
            technician=technicians[n % 2],
            start=at(8) + datetime.timedelta(minutes=20 * n),
            end=at(8) + datetime.timedelta(minutes=20 * n + 15),
            seq=n // 2 + 1,
        )
        for n in range(rows)
    )
    client = client_as(dispatcher)
    client.get(f"/dispatch/runs/{run.pk}/")
    with django_assert_max_num_queries(5):  # the same for 1 and 20 assignments
        response = client.get(f"/dispatch/runs/{run.pk}/")
    assert response.content.decode().count("data-assignment=") == rows
    assert sum(len(route["stops"]) for route in _routes(response)) == rows
