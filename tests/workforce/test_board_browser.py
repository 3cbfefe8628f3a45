"""The dispatch board in Debian's chromium (one page load): a dispatcher drags Ada's 09:00 job onto Bola's row at
11:00 (UTC; the board shows Lagos time) and the server moves it; then drags Bola's own job onto the moved one's
slot and the board says why not, with the block back where it was. The routes are drawn on the map."""

import pytest
from playwright.sync_api import expect

from tests.browser import axe_violations, on, sideways_overflow, sign_in
from tests.omni.factories import PASSWORD, StaffFactory
from workforce.models import Appointment

from . import board_scene
from .board_scene import DAY, at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXIS_START_UTC, AXIS_HOURS = 6, 12  # 07:00-19:00 in Lagos: the default axis covers the 09:00-18:00 shifts


def _drop(page, block, technician, hour: float) -> None:
    """Drag `block` by its left edge onto `technician`'s row so that its start lands on `hour` (UTC)."""
    track = page.locator(f'[data-track][data-technician-id="{technician.pk}"]')
    box = track.bounding_box()
    x = (hour - AXIS_START_UTC) / AXIS_HOURS * box["width"] + 2
    block.drag_to(track, source_position={"x": 2, "y": 10}, target_position={"x": x, "y": box["height"] / 2})


def test_dragging_moves_an_appointment_and_an_overlap_is_refused_with_its_reason(live_server, page):
    scene = board_scene.build()
    dispatcher = StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    sign_in(page, live_server, "localhost", dispatcher.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", f"/dispatch/?day={DAY.isoformat()}"))
    expect(page.locator("#dispatch-map path.leaflet-interactive").first).to_be_attached()  # the routes

    moving = scene.ada_job.work_order.number
    _drop(page, page.locator(f'[data-appointment-id="{scene.ada_job.pk}"]'), scene.bola, 11)
    expect(page.get_by_role("status")).to_contain_text(f"{moving} placed with Bola Eze at 12:00.")
    bola_row = page.locator(f'[data-track][data-technician-id="{scene.bola.pk}"]')
    expect(bola_row.locator(f'[data-appointment-id="{scene.ada_job.pk}"]')).to_contain_text("12:00–13:00")
    moved = Appointment.objects.get(pk=scene.ada_job.pk)
    assert (moved.technician_id, moved.scheduled.lower) == (scene.bola.pk, at(11))

    staying = scene.bola_job.work_order.number
    block = page.locator(f'[data-appointment-id="{scene.bola_job.pk}"]')
    left = block.evaluate("el => el.style.left")
    _drop(page, block, scene.bola, 11.5)
    expect(page.get_by_role("alert")).to_contain_text(
        f"{staying} not placed: The technician is already booked at this time."
    )
    expect(page.locator(f'[data-appointment-id="{scene.bola_job.pk}"]')).to_contain_text("10:00–11:00")
    assert page.locator(f'[data-appointment-id="{scene.bola_job.pk}"]').evaluate("el => el.style.left") == left
    assert Appointment.objects.get(pk=scene.bola_job.pk).scheduled.lower == at(9)
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 780})  # a phone: the Gantt scrolls in its own box
    assert sideways_overflow(page) == ""
