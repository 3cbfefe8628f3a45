"""/api/v1/workforce/ work-types, work-orders and appointments run the shared API contracts: Dispatcher and Admin
write, Dispatcher, Technician and Admin read, the other roles get 403. A customer reads its account's work orders
and appointments, a vendor user those of its vendor's technicians (anyone else's: 404), both read only; reseller
users get 403. A PATCH of a work order's status follows the transitions (409 naming both statuses); a booking that
overlaps the technician's live appointments is a 409, one outside a shift or in approved time off a 400 on start."""

import datetime

import pytest
from django.contrib.auth.models import Group

from tests.crm.factories import AccountFactory
from tests.omni.api_contract import (
    MISSING_ID,
    CustomerScopeContract,
    HardDeleteContract,
    StaffOnlyContract,
    assert_error,
    ids_of,
)
from tests.omni.factories import StaffFactory
from workforce import services
from workforce.choices import TechnicianKind
from workforce.models import Appointment, TimeOff, WorkOrder, WorkOrderSkill, WorkType, WorkTypeSkill

from .api_support import API, POINT, WorkforceContract, at, iso, span
from .factories import (
    LAGOS,
    ShiftFactory,
    SkillFactory,
    TechnicianFactory,
    TerritoryFactory,
    WorkOrderFactory,
    WorkTypeFactory,
    square,
)

WORK_ORDERS = f"{API}work-orders/"
APPOINTMENTS = f"{API}appointments/"
MINUTE = datetime.timedelta(minutes=1)


# ---- work types -----------------------------------------------------------------------------------------------


class TestWorkTypeApi(WorkforceContract, StaffOnlyContract, HardDeleteContract):
    url = f"{API}work-types/"
    model = WorkType
    list_queries = 5  # token + user, last_used_at stamp, COUNT, the page, the page's required skills
    ordering_fields = ["name", "default_duration_minutes", "created_at", "updated_at"]

    def make_rows(self, n):
        types = WorkType.objects.bulk_create(
            [WorkType(name=f"Bulk type {i:04d}", default_duration_minutes=30 + i) for i in range(n)]
        )
        skill = SkillFactory(code="bulk-skill")
        WorkTypeSkill.objects.bulk_create([WorkTypeSkill(work_type=t, skill=skill, min_level=2) for t in types])

    @pytest.fixture
    def obj(self, db):
        work_type = WorkTypeFactory(name="Fiber install")
        WorkTypeSkill.objects.create(work_type=work_type, skill=SkillFactory(code="fiber-splicing"), min_level=3)
        return work_type

    @pytest.fixture
    def create_payload(self, db):
        skill = SkillFactory(code="bucket-truck")
        return {
            "name": "Pole repair",
            "default_duration_minutes": 90,
            "crew_size": 2,
            "default_priority": "high",
            "checklist_template": ["Cone off the area", "Test the light"],
            "required_skills": [{"skill": str(skill.pk), "min_level": 2}],
        }

    @pytest.fixture
    def update_payload(self):
        return {"name": "Fibre install", "default_duration_minutes": 120}

    @pytest.fixture
    def bad_payloads(self, obj):
        WorkTypeFactory(name="Taken")
        skill = str(SkillFactory(code="ladder").pk)
        return [
            ("default_duration_minutes", {"name": "X", "default_duration_minutes": 0}),
            ("required_skills", {"name": "Y", "required_skills": [{"skill": skill, "min_level": 7}]}),
            ("required_skills", {"name": "Y", "required_skills": [{"skill": skill}, {"skill": skill}]}),
            ("name", {"name": "Taken"}),
            ("default_priority", {"name": "Z", "default_priority": "whenever"}),
        ]


def test_work_type_required_skills_and_a_used_type_is_not_deleted(api_as, admin_user):
    skill = SkillFactory(code="fiber-splicing")
    client = api_as(admin_user)
    body = client.post(
        f"{API}work-types/", {"name": "Splice", "required_skills": [{"skill": str(skill.pk), "min_level": 3}]}
    ).json()
    assert body["required_skills"] == [{"skill": str(skill.pk), "code": "fiber-splicing", "min_level": 3}]
    WorkOrderFactory(work_type_id=body["id"])
    body = assert_error(client.delete(f"{API}work-types/{body['id']}/"), 409, code="conflict")
    assert "work orders" in body["detail"]


# ---- work orders ----------------------------------------------------------------------------------------------


class TestWorkOrderApi(WorkforceContract, CustomerScopeContract):
    """Staff read and write (no delete: a work order is cancelled); a customer reads its account's."""

    url = WORK_ORDERS
    model = WorkOrder
    writes = ("create", "update")
    list_queries = 7  # ... the page's required skills, preferred and excluded technicians
    ordering_fields = ["number", "priority", "status", "due_by", "window_start", "created_at", "updated_at"]

    def make_rows(self, n):
        account, work_type = AccountFactory(), WorkTypeFactory()
        orders = WorkOrder.objects.bulk_create(
            [
                WorkOrder(account=account, work_type=work_type, location=LAGOS, duration_minutes=30 + i % 50)
                for i in range(n)
            ]
        )
        skill, technician = SkillFactory(code="bulk-skill"), TechnicianFactory()
        WorkOrderSkill.objects.bulk_create([WorkOrderSkill(work_order=o, skill=skill) for o in orders])
        WorkOrder.preferred_technicians.through.objects.bulk_create(
            [WorkOrder.preferred_technicians.through(workorder=o, technician=technician) for o in orders]
        )

    @pytest.fixture
    def obj(self, account):
        return WorkOrderFactory(account=account)

    @pytest.fixture
    def outside_obj(self, obj, other_account):
        return WorkOrderFactory(account=other_account)

    @pytest.fixture
    def create_payload(self, account):
        work_type = WorkTypeFactory(name="Fiber install", default_duration_minutes=75)
        WorkTypeSkill.objects.create(work_type=work_type, skill=SkillFactory(code="fiber-splicing"), min_level=3)
        return {
            "account": str(account.pk),
            "work_type": str(work_type.pk),
            "location": POINT,
            "address": "12 Marina, Lagos",
            "priority": "high",
            "pinned": True,
        }

    @pytest.fixture
    def update_payload(self):
        return {"priority": "urgent", "description": "Gate code 1234", "duration_minutes": 45}

    @pytest.fixture
    def bad_payloads(self, obj):
        base = {"account": str(obj.account_id), "work_type": str(obj.work_type_id)}
        return [
            ("status", {**base, "status": "flying"}),
            ("duration_minutes", {**base, "duration_minutes": 0}),
            ("location", {**base, "location": {"type": "Point", "coordinates": [500, 1]}}),
            ("work_type", {**base, "work_type": MISSING_ID}),
            ("required_skills", {**base, "required_skills": [{"skill": MISSING_ID}]}),
        ]


def test_a_work_order_answers_with_its_number_and_copied_skills(api_as, admin_user, account):
    work_type = WorkTypeFactory(default_duration_minutes=75, default_priority="high")
    skill = SkillFactory(code="fiber-splicing")
    WorkTypeSkill.objects.create(work_type=work_type, skill=skill, min_level=3)
    preferred, excluded = TechnicianFactory(), TechnicianFactory()
    body = (
        api_as(admin_user)
        .post(
            WORK_ORDERS,
            {
                "account": str(account.pk),
                "work_type": str(work_type.pk),
                "location": POINT,
                "window_start": "2030-03-04T08:00:00Z",
                "window_end": "2030-03-04T12:00:00Z",
                "preferred_technicians": [str(preferred.pk)],
                "excluded_technicians": [str(excluded.pk)],
            },
        )
        .json()
    )
    assert body["number"].startswith("WO-") and len(body["number"]) == 9
    assert (body["status"], body["priority"], body["duration_minutes"]) == ("new", "high", 75)
    assert body["required_skills"] == [{"skill": str(skill.pk), "code": "fiber-splicing", "min_level": 3}]
    assert body["location"] == POINT and body["window_end"] == "2030-03-04T12:00:00Z"
    assert body["preferred_technicians"] == [str(preferred.pk)]
    assert body["excluded_technicians"] == [str(excluded.pk)]


def test_work_order_input_errors_name_the_field(api_as, admin_user, account):
    client = api_as(admin_user)
    work_type = str(WorkTypeFactory().pk)
    technician = str(TechnicianFactory().pk)
    for field, body in [
        ("account", {"work_type": work_type, "location": POINT}),
        ("status", {"account": str(account.pk), "work_type": work_type, "location": POINT, "status": "completed"}),
        ("location", {"account": str(AccountFactory(location=None).pk), "work_type": work_type}),
        (
            "excluded_technicians",
            {
                "account": str(account.pk),
                "work_type": work_type,
                "location": POINT,
                "preferred_technicians": [technician],
                "excluded_technicians": [technician],
            },
        ),
    ]:
        assert_error(client.post(WORK_ORDERS, body), 400, field=field, code="invalid")
    assert not WorkOrder.objects.exists()


def test_a_status_patch_follows_the_transitions_or_is_a_409_naming_both(api_as, admin_user, account):
    work_order = WorkOrderFactory(account=account)
    client = api_as(admin_user)
    url = f"{WORK_ORDERS}{work_order.pk}/"
    body = assert_error(client.patch(url, {"status": "completed"}), 409, field="status", code="invalid_transition")
    assert "new" in body["detail"] and "completed" in body["detail"]
    replace = {"account": str(account.pk), "work_type": str(work_order.work_type_id), "location": POINT}
    assert_error(client.put(url, {**replace, "status": "on_site"}), 409, field="status", code="invalid_transition")
    assert client.put(url, {**replace, "status": "cancelled"}).json()["status"] == "cancelled"
    body = assert_error(client.patch(url, {"status": "new"}), 409, code="invalid_transition")
    assert "cancelled" in body["detail"] and "new" in body["detail"]
    assert_error(client.patch(url, {"priority": "low"}), 409, code="conflict")  # closed: no edits
    assert WorkOrder.objects.get().status == "cancelled"


def test_a_status_patch_moves_a_booked_work_order_along(api_as, admin_user, account):
    shift = ShiftFactory()
    work_order = WorkOrderFactory(account=account)
    services.appointment_book(work_order_id=work_order.pk, technician=shift.technician, start=at(9))
    client = api_as(StaffFactory(roles=["Dispatcher"]))
    url = f"{WORK_ORDERS}{work_order.pk}/"
    for status in ("dispatched", "en_route", "on_site", "completed"):
        assert client.patch(url, {"status": status}).json()["status"] == status
    assert Appointment.objects.get().status == "done"


def test_work_order_filters(api_as, admin_user, account, other_account):
    shift = ShiftFactory()
    booked = WorkOrderFactory(account=account, priority="urgent", due_by=at(12))
    services.appointment_book(work_order_id=booked.pk, technician=shift.technician, start=at(9))
    far = WorkOrderFactory(account=other_account, location=square(10, 10).centroid, address="Far away")
    territory = TerritoryFactory()
    client = api_as(admin_user)
    cases = [
        ({"status": "scheduled"}, [booked]),
        ({"status": ["new", "scheduled"]}, [far, booked]),
        ({"priority": "urgent"}, [booked]),
        ({"technician": str(shift.technician_id)}, [booked]),
        ({"territory": str(territory.pk)}, [booked]),
        ({"account": str(other_account.pk)}, [far]),
        ({"due_before": "2030-03-05T00:00:00Z"}, [booked]),
        ({"search": "far away"}, [far]),
        ({"search": WorkOrder.objects.get(pk=booked.pk).number}, [booked]),
    ]
    for params, expected in cases:
        assert ids_of(client.get(WORK_ORDERS, params)) == [str(w.pk) for w in expected], params
    assert_error(client.get(WORK_ORDERS, {"status": "flying"}), 400, field="status")
    assert_error(client.get(WORK_ORDERS, {"due_before": "tomorrow"}), 400, field="due_before")


@pytest.fixture
def crew(vendor_org):
    """A vendor's technician with a shift, and a work order booked with them."""
    shift = ShiftFactory(technician=TechnicianFactory(kind=TechnicianKind.VENDOR, vendor=vendor_org))
    work_order = WorkOrderFactory()
    appointment = services.appointment_book(work_order_id=work_order.pk, technician=shift.technician, start=at(9))
    return work_order, appointment


def test_a_vendor_user_reads_only_its_technicians_work(api_as, vendor, crew):
    work_order, appointment = crew
    other = ShiftFactory()
    theirs = WorkOrderFactory()
    other_appointment = services.appointment_book(work_order_id=theirs.pk, technician=other.technician, start=at(9))
    client = api_as(vendor)
    assert ids_of(client.get(WORK_ORDERS)) == [str(work_order.pk)]
    assert ids_of(client.get(APPOINTMENTS)) == [str(appointment.pk)]
    row = client.get(f"{WORK_ORDERS}{work_order.pk}/").json()
    assert "preferred_technicians" not in row and "pinned" not in row
    assert "travel_before_minutes" not in client.get(f"{APPOINTMENTS}{appointment.pk}/").json()
    assert_error(client.get(f"{WORK_ORDERS}{theirs.pk}/"), 404, code="not_found")
    assert_error(client.get(f"{APPOINTMENTS}{other_appointment.pk}/"), 404, code="not_found")
    for response in (
        client.patch(f"{WORK_ORDERS}{work_order.pk}/", {"priority": "low"}),
        client.post(f"{APPOINTMENTS}{appointment.pk}/cancel/"),
        client.post(WORK_ORDERS, {}),
    ):
        body = assert_error(response, 403, code="permission_denied")
        assert body["detail"] == "Portal users have read-only API access."
    services.appointment_cancel(appointment_id=appointment.pk)
    assert ids_of(client.get(WORK_ORDERS)) == []  # no live booking with its crew any more


def test_customers_read_their_work_and_resellers_and_agents_are_refused(
    api_as, customer, reseller, agent, account, crew
):
    work_order, appointment = crew
    mine = WorkOrderFactory(account=account)
    booked = services.appointment_book(work_order_id=mine.pk, technician=appointment.technician, start=at(11))
    client = api_as(customer)
    assert ids_of(client.get(WORK_ORDERS)) == [str(mine.pk)]
    assert ids_of(client.get(APPOINTMENTS)) == [str(booked.pk)]
    assert_error(client.get(f"{APPOINTMENTS}{appointment.pk}/"), 404, code="not_found")
    assert_error(client.post(f"{APPOINTMENTS}{booked.pk}/cancel/"), 403, code="permission_denied")
    for user in (reseller, agent):
        for url in (WORK_ORDERS, f"{WORK_ORDERS}{mine.pk}/", APPOINTMENTS, f"{APPOINTMENTS}{booked.pk}/"):
            assert_error(api_as(user).get(url), 403, code="permission_denied")


def test_technicians_read_but_do_not_write_work(api_as, admin_user, account, crew):
    work_order, appointment = crew
    client = api_as(StaffFactory(roles=["Technician"]))
    assert client.get(f"{WORK_ORDERS}{work_order.pk}/").status_code == 200
    assert client.get(f"{APPOINTMENTS}{appointment.pk}/").status_code == 200
    assert_error(client.patch(f"{WORK_ORDERS}{work_order.pk}/", {"status": "dispatched"}), 403)
    assert_error(client.post(f"{APPOINTMENTS}{appointment.pk}/cancel/"), 403)
    assert_error(client.delete(f"{WORK_ORDERS}{work_order.pk}/"), 403)
    assert_error(api_as(admin_user).delete(f"{WORK_ORDERS}{work_order.pk}/"), 405)  # cancelled, never deleted


# ---- appointments ---------------------------------------------------------------------------------------------


class TestAppointmentApi(WorkforceContract, CustomerScopeContract):
    """Booked (create), moved (PATCH) and cancelled (POST cancel/); a customer reads its account's."""

    url = APPOINTMENTS
    model = Appointment
    writes = ("create", "update")
    list_queries = 4
    ordering_fields = ["scheduled", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        technician, account, work_type = TechnicianFactory(), AccountFactory(), WorkTypeFactory()
        orders = WorkOrder.objects.bulk_create(
            [WorkOrder(account=account, work_type=work_type, location=LAGOS, duration_minutes=30) for _ in range(n)]
        )
        Appointment.objects.bulk_create(
            [
                Appointment(
                    work_order=o, technician=technician, scheduled=span(at(0) + i * MINUTE, at(0) + (i + 1) * MINUTE)
                )
                for i, o in enumerate(orders)
            ]
        )

    @pytest.fixture
    def shift(self, db):
        return ShiftFactory()

    @pytest.fixture
    def obj(self, account, shift):
        work_order = WorkOrderFactory(account=account)
        return services.appointment_book(work_order_id=work_order.pk, technician=shift.technician, start=at(9))

    @pytest.fixture
    def outside_obj(self, obj, other_account, shift):
        work_order = WorkOrderFactory(account=other_account)
        return services.appointment_book(work_order_id=work_order.pk, technician=shift.technician, start=at(11))

    @pytest.fixture
    def create_payload(self, account, shift):
        work_order = WorkOrderFactory(account=account)
        return {"work_order": str(work_order.pk), "technician": str(shift.technician_id), "start": iso(at(13))}

    @pytest.fixture
    def update_payload(self):
        return {"start": iso(at(14)), "end": iso(at(15, 30))}

    @pytest.fixture
    def bad_payloads(self, account, shift):
        base = {"work_order": str(WorkOrderFactory(account=account).pk), "technician": str(shift.technician_id)}
        return [
            ("start", {**base, "start": iso(at(20))}),
            ("technician", {**base, "technician": MISSING_ID, "start": iso(at(13))}),
            ("end", {**base, "start": iso(at(13)), "end": iso(at(12))}),
            ("start", {**base, "start": "noonish"}),
        ]


def test_booking_answers_start_end_and_schedules_the_work_order(api_as, admin_user, account):
    shift = ShiftFactory()
    work_order = WorkOrderFactory(account=account, duration_minutes=90)
    client = api_as(StaffFactory(roles=["Dispatcher"]))
    body = client.post(
        APPOINTMENTS, {"work_order": str(work_order.pk), "technician": str(shift.technician_id), "start": iso(at(9))}
    ).json()
    assert (body["start"], body["end"], body["status"]) == ("2030-03-04T09:00:00Z", "2030-03-04T10:30:00Z", "booked")
    assert client.get(f"{WORK_ORDERS}{work_order.pk}/").json()["status"] == "scheduled"
    url = f"{APPOINTMENTS}{body['id']}/"
    moved = client.patch(url, {"start": iso(at(11))}).json()
    assert (moved["start"], moved["end"]) == ("2030-03-04T11:00:00Z", "2030-03-04T12:30:00Z")  # same length
    other = ShiftFactory()
    moved = client.patch(url, {"technician": str(other.technician_id)}).json()
    assert moved["technician"] == str(other.technician_id) and moved["start"] == "2030-03-04T11:00:00Z"
    assert client.post(f"{url}cancel/").json()["status"] == "cancelled"
    assert client.get(f"{WORK_ORDERS}{work_order.pk}/").json()["status"] == "new"
    assert ids_of(api_as(admin_user).get(APPOINTMENTS, {"status": "cancelled"})) == [body["id"]]


def test_an_overlapping_booking_is_a_409_and_back_to_back_is_fine(api_as, admin_user, account):
    shift = ShiftFactory()
    technician = str(shift.technician_id)
    client = api_as(admin_user)
    first, second, third = (WorkOrderFactory(account=account) for _ in range(3))
    assert client.post(APPOINTMENTS, {"work_order": str(first.pk), "technician": technician, "start": iso(at(9))})
    body = assert_error(
        client.post(APPOINTMENTS, {"work_order": str(second.pk), "technician": technician, "start": iso(at(9, 30))}),
        409,
        field="start",
        code="conflict",
    )
    assert "already booked" in body["detail"]
    response = client.post(APPOINTMENTS, {"work_order": str(third.pk), "technician": technician, "start": iso(at(10))})
    assert response.status_code == 201, response.content
    assert_error(client.patch(f"{APPOINTMENTS}{response.json()['id']}/", {"start": iso(at(9, 15))}), 409, field="start")
    assert Appointment.objects.count() == 2
    assert WorkOrder.objects.get(pk=second.pk).status == "new"


def test_booking_in_approved_time_off_is_a_400_on_start(api_as, admin_user, account):
    shift = ShiftFactory()
    TimeOff.objects.create(technician=shift.technician, during=span(at(12), at(14)), status="approved")
    work_order = WorkOrderFactory(account=account)
    body = {"work_order": str(work_order.pk), "technician": str(shift.technician_id), "start": iso(at(13))}
    response = assert_error(api_as(admin_user).post(APPOINTMENTS, body), 400, field="start", code="invalid")
    assert "time off" in response["detail"]
    assert not Appointment.objects.exists()


def test_a_closed_appointment_cannot_be_cancelled_or_moved(api_as, admin_user, account):
    shift = ShiftFactory()
    work_order = WorkOrderFactory(account=account)
    appointment = services.appointment_book(work_order_id=work_order.pk, technician=shift.technician, start=at(9))
    for status in ("dispatched", "en_route", "on_site"):
        services.work_order_transition(work_order_id=work_order.pk, to=status)
    client = api_as(admin_user)
    assert_error(client.post(f"{APPOINTMENTS}{appointment.pk}/cancel/"), 409, code="invalid_transition")
    assert_error(client.patch(f"{APPOINTMENTS}{appointment.pk}/", {"start": iso(at(10))}), 409, field="status")


def test_appointment_filters(api_as, admin_user, account, other_account):
    shift = ShiftFactory()
    mine = services.appointment_book(
        work_order_id=WorkOrderFactory(account=account).pk, technician=shift.technician, start=at(9)
    )
    far = WorkOrderFactory(account=other_account, location=square(10, 10).centroid)
    theirs = services.appointment_book(work_order_id=far.pk, technician=shift.technician, start=at(11))
    territory = TerritoryFactory()
    client = api_as(admin_user)
    cases = [
        ({"account": str(account.pk)}, [mine]),
        ({"territory": str(territory.pk)}, [mine]),
        ({"technician": str(shift.technician_id)}, [mine, theirs]),
        ({"work_order": str(far.pk)}, [theirs]),
        ({"starts_after": iso(at(10))}, [theirs]),
        ({"date": "2030-03-04"}, [mine, theirs]),
        ({"date": "2030-03-05"}, []),
    ]
    for params, expected in cases:
        assert ids_of(client.get(APPOINTMENTS, params)) == [str(a.pk) for a in expected], params
    assert_error(client.get(APPOINTMENTS, {"date": "someday"}), 400, field="date")


def test_a_field_technician_reads_only_their_own_day(api_as, account):
    """A Technician-role user with a technician profile sees their own appointments, work orders, shifts and time
    off; a Dispatcher with a profile still sees everyone's."""
    mine, theirs = ShiftFactory(), ShiftFactory()
    own = services.appointment_book(
        work_order_id=WorkOrderFactory(account=account).pk, technician=mine.technician, start=at(9)
    )
    other = services.appointment_book(
        work_order_id=WorkOrderFactory(account=account).pk, technician=theirs.technician, start=at(9)
    )
    TimeOff.objects.create(technician=theirs.technician, during=span(at(18), at(19)))
    own_off = TimeOff.objects.create(technician=mine.technician, during=span(at(18), at(19)))
    technician = mine.technician.user
    technician.groups.set([Group.objects.get(name="Technician")])
    client = api_as(technician)
    assert ids_of(client.get(APPOINTMENTS)) == [str(own.pk)]
    assert ids_of(client.get(WORK_ORDERS)) == [str(own.work_order_id)]
    assert ids_of(client.get(f"{API}shifts/")) == [str(mine.pk)]
    assert ids_of(client.get(f"{API}time-off/")) == [str(own_off.pk)]
    assert_error(client.get(f"{APPOINTMENTS}{other.pk}/"), 404, code="not_found")
    assert len(ids_of(client.get(f"{API}technicians/"))) == 2  # the directory is everyone's
    dispatcher = theirs.technician.user
    dispatcher.groups.set([Group.objects.get(name="Dispatcher")])
    assert len(ids_of(api_as(dispatcher).get(APPOINTMENTS))) == 2
