"""/api/v1/workforce/work-orders/<id>/candidates/, slots/, book/ and dispatch-runs/: staff with
workforce.change_workorder (Dispatcher) dispatch; dispatch runs need view/add/change_dispatchrun; other staff 403,
portal users 403, anonymous 401, unknown ids 404, bad input a 400 naming the field."""

import datetime
import uuid

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from tests.omni.api_contract import (
    LimitOffsetListContract,
    ReadContract,
    RoleReadContract,
    StaffOnlyContract,
    assert_error,
)
from tests.omni.factories import StaffFactory
from tests.workforce.factories import (
    LAGOS,
    MembershipFactory,
    ShiftFactory,
    TechnicianFactory,
    TerritoryFactory,
    WorkOrderFactory,
    square,
)
from tests.workforce.test_slots import project
from workforce.choices import AppointmentStatus, DispatchRunStatus
from workforce.models import Appointment, DispatchRun, SchedulingPolicy
from workforce.services import dispatch
from workforce.services.policies import policy_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/workforce"
RUNS = f"{BASE}/dispatch-runs/"


def at(hour, minute=0):
    return datetime.datetime(2030, 3, 4, hour, minute, tzinfo=datetime.UTC)


@pytest.fixture
def scene():
    territory = TerritoryFactory(geom=square(LAGOS.x, LAGOS.y, 0.5), travel_speed_kmh=45, circuity=1.0, time_zone="UTC")
    technician = TechnicianFactory(home_base=LAGOS)
    MembershipFactory(technician=technician, territory=territory)
    ShiftFactory(technician=technician, during=DateTimeTZRange(at(8), at(17)))
    neighbour = WorkOrderFactory(location=project(LAGOS, 15_000))
    Appointment.objects.create(
        work_order=neighbour, technician=technician, scheduled=DateTimeTZRange(at(8), at(9), "[)")
    )
    job = WorkOrderFactory(location=LAGOS, duration_minutes=60, window_start=at(8), window_end=at(12))
    return territory, technician, job


@pytest.fixture
def dispatcher(db):
    return StaffFactory(roles=["Dispatcher"])


def urls(job):
    return [
        ("get", f"{BASE}/work-orders/{job.pk}/candidates/", None),
        ("get", f"{BASE}/work-orders/{job.pk}/slots/?start=2030-03-04&days=1", None),
        ("post", f"{BASE}/work-orders/{job.pk}/book/", {}),
    ]


def test_candidates_slots_and_booking_for_a_dispatcher(api_as, dispatcher, scene, django_assert_max_num_queries):
    _territory, technician, job = scene
    client = api_as(dispatcher)
    policy_for(None)  # the global default policy, as the first slot search or run makes it
    # token + user, its stamp, permissions (2), the work order, its territory and policy, 2 candidates
    with django_assert_max_num_queries(9):
        response = client.get(f"{BASE}/work-orders/{job.pk}/candidates/")
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert row["technician"] == str(technician.pk) and row["distance_m"] < 1

    response = client.get(f"{BASE}/work-orders/{job.pk}/slots/?start=2030-03-04&days=1&limit=3")
    assert response.status_code == 200, response.content
    slots = response.json()
    assert len(slots) == 3
    assert slots[0]["technician"] == str(technician.pk)
    assert slots[0]["start"] == "2030-03-04T09:20:00Z" and slots[0]["travel_minutes"] == 20
    assert 0 <= slots[0]["grade"] <= 100

    # the one given
    response = client.post(
        f"{BASE}/work-orders/{job.pk}/book/", {"technician": str(technician.pk), "start": "2030-03-04T10:00:00Z"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["start"] == "2030-03-04T10:00:00Z"
    assert response.json()["end"] == "2030-03-04T11:00:00Z"


def test_candidates_follow_the_territorys_default_policy_or_the_one_given(api_as, dispatcher, scene):
    """A territory whose default policy has a soft territory rule: a technician with no membership there passes,
    after the member; naming a hard policy leaves only the member; an unknown policy is a 400 naming it."""
    territory, member, job = scene
    outsider = TechnicianFactory(home_base=project(LAGOS, 5_000))
    ShiftFactory(technician=outsider, during=DateTimeTZRange(at(8), at(17)))
    client = api_as(dispatcher)
    url = f"{BASE}/work-orders/{job.pk}/candidates/"

    def technicians(response):
        assert response.status_code == 200, response.content
        return [row["technician"] for row in response.json()]

    assert technicians(client.get(url)) == [str(member.pk)]  # the global default: hard
    SchedulingPolicy.objects.create(name="Soft here", territory=territory, is_default=True, territory_rule="soft")
    assert technicians(client.get(url)) == [str(member.pk), str(outsider.pk)]
    hard = SchedulingPolicy.objects.create(name="Hard", territory_rule="hard")
    assert technicians(client.get(url, {"policy": str(hard.pk)})) == [str(member.pk)]
    assert_error(client.get(url, {"policy": str(uuid.uuid4())}), 400, field="policy")
    assert_error(client.get(url, {"policy": "not-a-policy"}), 400, field="policy")


def test_book_best_and_no_slot_left_is_409(api_as, dispatcher, scene):
    _territory, technician, job = scene
    client = api_as(dispatcher)
    other = WorkOrderFactory(location=LAGOS, duration_minutes=60, window_start=at(8), window_end=at(12))
    response = client.post(f"{BASE}/work-orders/{job.pk}/book/", {})
    assert response.status_code == 201, response.content
    assert response.json()["travel_minutes"] == 20
    # the technician's whole day taken: nothing left for the other one
    Appointment.objects.filter(work_order=job).update(status=AppointmentStatus.CANCELLED)
    Appointment.objects.create(
        work_order=WorkOrderFactory(location=LAGOS), technician=technician, scheduled=DateTimeTZRange(at(9), at(17))
    )
    assert_error(client.post(f"{BASE}/work-orders/{other.pk}/book/", {}), 409, field="start")


def test_bad_input_names_the_field(api_as, dispatcher, scene):
    _territory, technician, job = scene
    client = api_as(dispatcher)
    assert_error(client.get(f"{BASE}/work-orders/{job.pk}/slots/?days=99"), 400, field="days")
    assert_error(client.get(f"{BASE}/work-orders/{job.pk}/slots/?start=never"), 400, field="start")
    assert_error(client.get(f"{BASE}/work-orders/{job.pk}/candidates/?radius_m=-1"), 400, field="radius_m")
    assert_error(
        client.post(f"{BASE}/work-orders/{job.pk}/book/", {"technician": str(technician.pk)}), 400, field="start"
    )
    assert_error(
        client.post(
            f"{BASE}/work-orders/{job.pk}/book/", {"technician": str(uuid.uuid4()), "start": at(10).isoformat()}
        ),
        400,
        field="technician",
    )
    # a given slot outside the window: the rule named
    body = assert_error(
        client.post(
            f"{BASE}/work-orders/{job.pk}/book/", {"technician": str(technician.pk), "start": "2030-03-04T14:00:00Z"}
        ),
        400,
        field="start",
    )
    assert body["fields"]["rule"] == ["respect_window"]
    assert_error(client.post(RUNS, {}), 400, field="date")
    assert_error(client.post(RUNS, {"date": "2030-03-04", "solver": "magic"}), 400, field="solver")
    assert_error(client.post(RUNS, {"date": "2030-03-04", "time_limit_s": 0}), 400, field="time_limit_s")


def test_unknown_work_order_or_run_is_404(api_as, dispatcher, scene):
    client = api_as(dispatcher)
    missing = uuid.uuid4()
    assert_error(client.get(f"{BASE}/work-orders/{missing}/slots/"), 404)
    assert_error(client.get(f"{BASE}/work-orders/{missing}/candidates/"), 404)
    assert_error(client.post(f"{BASE}/work-orders/{missing}/book/", {}), 404)
    assert_error(client.get(f"{RUNS}{missing}/"), 404)
    assert_error(client.post(f"{RUNS}{missing}/apply/", {}), 404)


def test_who_may_dispatch(api_as, anon_api, agent, customer, vendor, scene):
    _territory, _technician, job = scene
    switched_off = StaffFactory(roles=["Dispatcher"], is_staff=False)
    for method, url, body in [*urls(job), ("get", RUNS, None), ("post", RUNS, {"date": "2030-03-04"})]:
        send = getattr(anon_api, method)
        assert_error(send(url, body) if body is not None else send(url), 401)
        for user in (agent, customer, vendor, switched_off):
            send = getattr(api_as(user), method)
            assert_error(send(url, body) if body is not None else send(url), 403)
    # a read-only token cannot book or start a run
    reader = api_as(StaffFactory(roles=["Dispatcher"]), scopes=("read",))
    assert_error(reader.post(f"{BASE}/work-orders/{job.pk}/book/", {}), 403)
    assert_error(reader.post(RUNS, {"date": "2030-03-04"}), 403)
    assert not Appointment.objects.filter(work_order=job).exists()
    assert not DispatchRun.objects.exists()


def test_dispatch_run_lifecycle(api_as, dispatcher, scene, django_assert_max_num_queries):
    territory, technician, job = scene
    client = api_as(dispatcher)
    response = client.post(
        RUNS, {"date": "2030-03-04", "territory": str(territory.pk), "time_limit_s": 5, "solver": "vroom"}
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == 0
    assert response["Location"] == body["url"] == f"{RUNS}{body['id']}/"
    dispatch.dispatch_run_execute(run_id=body["id"])  # the Celery task's work (queued after commit)

    response = client.get(body["url"])
    assert response.status_code == 200, response.content
    run = response.json()
    assert run["status"] == DispatchRunStatus.PROPOSED and run["progress"] == 100
    assert run["unassigned"] == []
    mine = [a for a in run["assignments"] if a["work_order"] == str(job.pk)]
    assert mine and mine[0]["technician"] == str(technician.pk) and mine[0]["change"] == "new"
    assert any(a["change"] == "pinned" for a in run["assignments"])  # the neighbour stays
    assert run["total_travel_minutes"] >= 40

    for n in range(3):
        dispatch.dispatch_run_create(date=datetime.date(2030, 3, 5 + n), queue=False)
    with django_assert_max_num_queries(6):
        listed = client.get(RUNS)
    assert listed.status_code == 200 and listed.json()["count"] == 4

    response = client.post(f"{body['url']}apply/", {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "applied"
    assert Appointment.objects.filter(work_order=job, technician=technician, status="booked").exists()
    assert_error(client.post(f"{body['url']}apply/", {}), 409, field="status")


class TestDispatchRunApi(ReadContract, RoleReadContract, StaffOnlyContract, LimitOffsetListContract):
    """Staff with workforce.view_dispatchrun read runs; portal users are refused."""

    url = RUNS
    model = DispatchRun
    list_queries = 6  # token + user, its stamp, permissions (2), COUNT, the page
    ordering_fields = ["created_at", "date"]
    detail_only_fields = ("assignments",)

    def make_rows(self, n):
        policy = policy_for(None)
        DispatchRun.objects.bulk_create(
            DispatchRun(policy=policy, date=datetime.date(2030, 1, 1) + datetime.timedelta(days=i % 300))
            for i in range(n)
        )

    @pytest.fixture
    def obj(self, db):
        return DispatchRun.objects.create(policy=policy_for(None), date=datetime.date(2030, 3, 4))


# The dispatch operations (tests/test_api_access.py counts them as tabled here): who may use them is
# test_who_may_dispatch's and the lifecycle test's business.
OPERATIONS = frozenset(
    {
        ("GET", "/api/v1/workforce/dispatch-runs/"),
        ("GET", "/api/v1/workforce/dispatch-runs/{id}/"),
        ("GET", "/api/v1/workforce/work-orders/{id}/candidates/"),
        ("GET", "/api/v1/workforce/work-orders/{id}/slots/"),
        ("POST", "/api/v1/workforce/dispatch-runs/"),
        ("POST", "/api/v1/workforce/dispatch-runs/{id}/apply/"),
        ("POST", "/api/v1/workforce/dispatch-runs/{id}/discard/"),
        ("POST", "/api/v1/workforce/work-orders/{id}/book/"),
    }
)
