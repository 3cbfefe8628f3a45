"""A dispatch run's proposal in Debian's chromium (one page load): the dispatcher opens a proposed run, sees one
route per technician drawn on the map, and applies it; the appointments are booked."""

import pytest
from playwright.sync_api import expect

from tests.browser import axe_violations, on, sign_in
from tests.omni.factories import PASSWORD, StaffFactory
from workforce.choices import AppointmentStatus, DispatchRunStatus
from workforce.models import Appointment
from workforce.services import dispatch

from . import board_scene
from .board_scene import DAY, at
from .factories import WorkOrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_proposed_run_shows_its_routes_and_is_applied(live_server, page):
    scene = board_scene.build()
    WorkOrderFactory(window_start=at(8), window_end=at(17))  # a second unassigned job, no skill needed
    territory = scene.ada.memberships.get().territory
    run = dispatch.dispatch_run_create(date=DAY, territory=territory, solver="greedy", time_limit_s=2, queue=False)
    dispatch.dispatch_run_execute(run_id=run.pk)
    rows = list(run.assignments.all())  # the two new bookings, and the fixed 09:00 jobs their routes keep
    new = [row for row in rows if row.change == "new"]
    assert len(new) == 2
    dispatcher = StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    sign_in(page, live_server, "localhost", dispatcher.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", f"/dispatch/runs/{run.pk}/"))

    routes = page.locator("#run-map path.run-route")
    expect(routes).to_have_count(len({row.technician_id for row in rows}))  # one polyline per technician
    assert axe_violations(page) == []
    page.get_by_role("button", name="Apply the proposal").click()
    expect(page.get_by_role("status")).to_contain_text("The proposal was applied.")
    expect(page.locator("#run-status")).to_have_text("Applied")
    run.refresh_from_db()
    assert run.status == DispatchRunStatus.APPLIED
    for row in new:
        booked = Appointment.objects.get(work_order_id=row.work_order_id, status=AppointmentStatus.BOOKED)
        assert (booked.technician_id, booked.scheduled.lower) == (row.technician_id, row.start)
