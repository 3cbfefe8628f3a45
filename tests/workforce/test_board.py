"""The dispatch board (/dispatch/) and its drop endpoint (/dispatch/drop/): who reaches them, what the day shows,
each drop accepted or refused with its exact status and reason, and a query count that does not grow with the
number of technicians."""

import json

import pytest
from django.contrib.gis.geos import Point
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from tests.omni.factories import StaffFactory
from workforce.models import Appointment, WorkOrder

from . import board_scene
from .board_scene import DAY, at
from .factories import WorkOrderFactory

URL = "/dispatch/"
DROP = "/dispatch/drop/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher(db):
    return StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])


@pytest.fixture
def scene(db):
    return board_scene.build()


def _routes(response) -> list[dict]:
    html = response.content.decode()
    start = html.index('id="dispatch-routes"')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


def _drop(client, **values):
    return client.post(DROP, {"day": DAY.isoformat(), **values}, HTTP_HX_REQUEST="true")


# --- access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_user", "dispatcher"])
def test_admin_and_dispatcher_get_the_board_and_the_nav_link(request, client_as, persona):
    client = client_as(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert 'href="/dispatch/"' in response.content.decode()
    assert "js/dispatch_board.js" in response.content.decode()


def test_technician_and_agent_without_the_grant_get_403_and_no_link(client_as, agent):
    technician = StaffFactory(email="tech@example.com", roles=["Technician"])
    for user in (technician, agent):
        client = client_as(user)
        assert client.get(URL).status_code == 403
        assert client.post(DROP, {}).status_code == 403
        assert 'href="/dispatch/"' not in client.get("/").content.decode()


def test_portal_users_never_reach_it(client_as, customer, vendor):
    assert client_as(customer).get(URL).status_code == 403  # the staff host refuses another audience
    assert client_as(customer, host="portal.localhost").get(URL).status_code == 404  # no such page there
    assert client_as(vendor).get(URL).status_code == 403
    assert client_as(vendor, host="vendor.localhost").get(URL).status_code == 404
    assert client_as(vendor, host="vendor.localhost").post(DROP, {}).status_code == 404


def test_anonymous_goes_to_the_login_and_get_on_drop_is_405(client, dispatcher, client_as):
    response = client.get(URL, HTTP_HOST="localhost")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_as(dispatcher).get(DROP).status_code == 405


# --- the day -----------------------------------------------------------------------------------------------------


def test_the_day_shows_rows_shifts_time_off_blocks_unassigned_and_routes(client_as, dispatcher, scene):
    response = client_as(dispatcher).get(URL, {"day": DAY.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    for tech in (scene.ada, scene.bola, scene.chidi):
        assert f'data-technician-id="{tech.pk}"' in html
    assert html.count("data-shift ") == 3 and html.count("data-time-off ") == 1
    assert f'data-appointment-id="{scene.ada_job.pk}"' in html and scene.ada_job.work_order.number in html
    assert f'data-work-order-id="{scene.unassigned.pk}"' in html
    assert "Africa/Lagos" in html and "10:00–11:00" in html  # 09:00 UTC shown in Lagos time
    routes = {r["technician"]: r for r in _routes(response)}
    assert [s["number"] for s in routes[str(scene.ada.pk)]["stops"]] == [scene.ada_job.work_order.number]
    assert routes[str(scene.ada.pk)]["home"] == [6.5244, 3.3792]


def test_filters_by_skill_and_territory(client_as, dispatcher, scene):
    client = client_as(dispatcher)
    html = client.get(URL, {"day": DAY.isoformat(), "skill": "fiber-splicing"}).content.decode()
    assert f'data-technician-id="{scene.ada.pk}"' in html and f'data-technician-id="{scene.chidi.pk}"' not in html
    other = board_scene.TerritoryFactory(code="ikeja", geom=board_scene.TerritoryFactory.geom.function())
    html = client.get(URL, {"day": DAY.isoformat(), "territory": str(other.pk)}).content.decode()
    assert "data-technician-id" not in html and "No technician matches these filters." in html


def test_filtering_through_htmx_answers_the_board_only(client_as, dispatcher, scene):
    response = client_as(dispatcher).get(URL, {"day": DAY.isoformat()}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="dispatch-board"')
    assert "dispatch-filters" not in html


def test_a_bad_day_is_400_naming_it(client_as, dispatcher):
    response = client_as(dispatcher).get(URL, {"day": "someday"})
    assert response.status_code == 400 and response.content.decode().startswith("day:")


def test_an_at_risk_appointment_is_flagged_on_the_board(client_as, dispatcher, scene):
    WorkOrder.objects.filter(pk=scene.ada_job.work_order_id).update(window_end=at(9, 30))
    Appointment.objects.filter(pk=scene.ada_job.pk).update(eta=at(9, 45), at_risk_at=at(8))
    html = client_as(dispatcher).get(URL, {"day": DAY.isoformat()}).content.decode()
    block = html[html.index(f'data-appointment-id="{scene.ada_job.pk}"') :][:400]
    assert "data-at-risk" in block
    assert "data-at-risk" not in html[html.index(f'data-appointment-id="{scene.bola_job.pk}"') :][:200]


# --- drops -------------------------------------------------------------------------------------------------------


def test_moving_an_appointment_to_another_technician(client_as, dispatcher, scene):
    response = _drop(
        client_as(dispatcher), appointment=scene.ada_job.pk, technician=scene.bola.pk, start="2030-03-04T11:00:00Z"
    )
    assert response.status_code == 200
    number = scene.ada_job.work_order.number
    assert f"{number} placed with Bola Eze at 12:00." in response.content.decode()
    moved = Appointment.objects.get(pk=scene.ada_job.pk)
    assert (moved.technician_id, moved.scheduled.lower, moved.scheduled.upper) == (scene.bola.pk, at(11), at(12))


@pytest.mark.parametrize(
    ("target", "start", "status", "reason"),
    [
        ("bola", "2030-03-04T09:30:00Z", 409, "The technician is already booked at this time."),
        ("bola", "2030-03-04T16:30:00Z", 422, "The technician has no shift covering this time."),
        ("bola", "2030-03-04T14:30:00Z", 422, "The technician has approved time off at this time."),
        ("chidi", "2030-03-04T11:00:00Z", 422, "Chidi Obi lacks fiber-splicing at level 3."),
    ],
)
def test_a_refused_move_says_why_and_changes_nothing(client_as, dispatcher, scene, target, start, status, reason):
    number = scene.ada_job.work_order.number
    response = _drop(
        client_as(dispatcher), appointment=scene.ada_job.pk, technician=getattr(scene, target).pk, start=start
    )
    assert response.status_code == status
    html = response.content.decode()
    assert '<p role="alert"' in html and f"{number} not placed: {reason}" in html
    assert f'data-appointment-id="{scene.ada_job.pk}"' in html  # the board again, the block where it was
    kept = Appointment.objects.get(pk=scene.ada_job.pk)
    assert (kept.technician_id, kept.scheduled.lower) == (scene.ada.pk, at(9))


def test_booking_an_unassigned_work_order_on_a_row(client_as, dispatcher, scene):
    response = _drop(
        client_as(dispatcher), work_order=scene.unassigned.pk, technician=scene.ada.pk, start="2030-03-04T12:00:00Z"
    )
    assert response.status_code == 200
    assert f'data-work-order-id="{scene.unassigned.pk}"' not in response.content.decode()  # no longer unassigned
    booked = Appointment.objects.get(work_order=scene.unassigned)
    assert (booked.technician_id, booked.scheduled.lower, booked.scheduled.upper) == (scene.ada.pk, at(12), at(13))
    assert WorkOrder.objects.get(pk=scene.unassigned.pk).status == "scheduled"


def test_the_keyboard_form_places_a_job_at_a_local_time(client_as, dispatcher, scene):
    html = client_as(dispatcher).get(URL, {"day": DAY.isoformat()}).content.decode()
    assert f'value="work_order:{scene.unassigned.pk}"' in html and f'value="appointment:{scene.ada_job.pk}"' in html
    response = _drop(
        client_as(dispatcher), item=f"work_order:{scene.unassigned.pk}", technician=scene.chidi.pk, at="12:00"
    )
    assert response.status_code == 422  # Chidi lacks the skill
    response = _drop(
        client_as(dispatcher), item=f"work_order:{scene.unassigned.pk}", technician=scene.ada.pk, at="12:00"
    )
    assert response.status_code == 200
    assert Appointment.objects.get(work_order=scene.unassigned).scheduled.lower == at(11)  # 12:00 in Lagos
    plain = client_as(dispatcher).post(  # without JavaScript: the whole page
        DROP,
        {"day": DAY.isoformat(), "item": f"appointment:{scene.ada_job.pk}", "technician": scene.ada.pk, "at": "15:00"},
    )
    assert (
        plain.status_code == 200
        and "<h1" in plain.content.decode()
        and "placed with Ada Okafor at 15:00." in (plain.content.decode())
    )


def test_booking_an_unassigned_work_order_on_a_technician_without_the_skill_is_422(client_as, dispatcher, scene):
    response = _drop(
        client_as(dispatcher), work_order=scene.unassigned.pk, technician=scene.chidi.pk, start="2030-03-04T12:00:00Z"
    )
    assert response.status_code == 422
    assert "Chidi Obi lacks fiber-splicing at level 3." in response.content.decode()
    assert not Appointment.objects.filter(work_order=scene.unassigned).exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"start": "2030-03-04T12:00:00Z"}, "technician"),
        ({"technician": "not-a-uuid", "start": "2030-03-04T12:00:00Z"}, "technician"),
        ({"technician": "TECH", "appointment": "JOB"}, "start"),
        ({"technician": "TECH", "appointment": "JOB", "at": "25:00"}, "at"),
        ({"technician": "TECH", "start": "2030-03-04T12:00:00Z"}, "appointment"),
    ],
)
def test_a_malformed_drop_is_400_naming_the_field(client_as, dispatcher, scene, values, field):
    known = {"TECH": str(scene.ada.pk), "JOB": str(scene.ada_job.pk)}
    values = {k: known.get(v, v) for k, v in values.items()}
    response = _drop(client_as(dispatcher), **values)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}:")


# --- query count -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("technicians", [2, 20])
def test_board_queries_do_not_grow_with_technicians(client_as, dispatcher, technicians, django_assert_max_num_queries):
    territory, appointments = board_scene.TerritoryFactory(), []
    for n in range(technicians):
        tech = board_scene.technician(f"Tech {n:02d}", territory)
        tech.last_location, tech.last_location_at = Point(3.38, 6.52, srid=4326), timezone.now()
        tech.save()
        appointments += [
            Appointment(work_order=WorkOrderFactory(), technician=tech, scheduled=DateTimeTZRange(at(h), at(h + 1)))
            for h in (9, 11)
        ]
        WorkOrderFactory(window_start=at(8), window_end=at(17))  # unassigned
    Appointment.objects.bulk_create(appointments)
    client = client_as(dispatcher)
    with django_assert_max_num_queries(11):  # session, user, permissions; the board: 8
        response = client.get(URL, {"day": DAY.isoformat()})
    assert response.status_code == 200
    assert response.content.decode().count("data-appointment-id=") == 2 * technicians
    assert sum(len(r["stops"]) for r in _routes(response)) == 2 * technicians
