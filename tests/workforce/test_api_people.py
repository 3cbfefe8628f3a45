"""/api/v1/workforce/ skills, technicians, territories, territory-memberships, shift-patterns, shifts and time-off run
the shared API contracts (tests/omni/api_contract.py): Dispatcher and Admin write, Dispatcher, Technician and Admin
read, Agents and the other roles get 403; portal users get 403, except a vendor user, who reads its own crew's
technicians (anyone else's: 404). What is particular to a resource follows its class."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateRange

from tests.omni.api_contract import (
    MISSING_ID,
    HardDeleteContract,
    PortalScopeContract,
    StaffOnlyContract,
    assert_error,
    ids_of,
)
from tests.omni.factories import StaffFactory
from workforce.choices import MembershipKind, TechnicianKind
from workforce.models import (
    ServiceTerritory,
    Shift,
    ShiftPattern,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
)

from .api_support import API, AREA, POINT, WorkforceContract, at, bulk_technicians, iso, span
from .factories import MembershipFactory, ShiftFactory, SkillFactory, TechnicianFactory, TerritoryFactory, square


class StaffResourceContract(WorkforceContract, StaffOnlyContract, HardDeleteContract):
    list_queries = 4  # token + user, last_used_at stamp, COUNT, the page


# ---- skills ---------------------------------------------------------------------------------------------------


class TestSkillApi(StaffResourceContract):
    url = f"{API}skills/"
    model = Skill
    ordering_fields = ["code", "name", "category", "created_at", "updated_at"]

    def make_rows(self, n):
        Skill.objects.bulk_create([Skill(code=f"bulk-{i:04d}", name=f"Bulk {i:04d}") for i in range(n)])

    @pytest.fixture
    def obj(self, db):
        return SkillFactory(code="fiber-splicing", category="fiber", requires_certification=True)

    @pytest.fixture
    def create_payload(self):
        return {"code": "bucket-truck", "name": "Bucket truck", "category": "vehicle"}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Fibre splicing", "requires_certification": False}

    @pytest.fixture
    def bad_payloads(self, obj):
        SkillFactory(code="taken")
        return [
            ("code", {"code": "not a slug", "name": "X"}),
            ("code", {"code": "taken", "name": "X"}),
            ("name", {"code": "fine", "name": ""}),
        ]


def test_a_skill_a_technician_holds_is_not_deleted(api_as, admin_user):
    skill = SkillFactory(code="ladder")
    TechnicianSkill.objects.create(technician=TechnicianFactory(), skill=skill)
    body = assert_error(api_as(admin_user).delete(f"{API}skills/{skill.pk}/"), 409, code="conflict")
    assert "technician skills" in body["detail"]
    assert Skill.objects.filter(pk=skill.pk).exists()


def test_skills_search_and_filters(api_as, admin_user):
    splice = SkillFactory(code="fiber-splicing", category="fiber")
    SkillFactory(code="bucket-truck", category="vehicle")
    client = api_as(admin_user)
    assert ids_of(client.get(f"{API}skills/", {"search": "splic"})) == [str(splice.pk)]
    assert ids_of(client.get(f"{API}skills/", {"category": "fiber"})) == [str(splice.pk)]


# ---- technicians ----------------------------------------------------------------------------------------------


class TestTechnicianApi(WorkforceContract, PortalScopeContract, HardDeleteContract):
    """Staff read and write; a vendor user reads its own crew (no cost); customers and resellers get 403."""

    url = f"{API}technicians/"
    model = Technician
    list_queries = 5  # ... and the page's skills
    ordering_fields = ["user__email", "kind", "max_jobs_per_day", "created_at", "updated_at"]

    def make_rows(self, n):
        technicians = bulk_technicians(n)
        skill = SkillFactory(code="bulk-skill")
        TechnicianSkill.objects.bulk_create([TechnicianSkill(technician=t, skill=skill, level=2) for t in technicians])

    @pytest.fixture
    def portal_user(self, vendor):
        return vendor

    @pytest.fixture
    def obj(self, vendor_org):
        technician = TechnicianFactory(kind=TechnicianKind.VENDOR, vendor=vendor_org, cost_per_hour="4500.00")
        TechnicianSkill.objects.create(
            technician=technician, skill=SkillFactory(code="fiber-splicing"), level=4, certified_until="2031-01-31"
        )
        return technician

    @pytest.fixture
    def outside_obj(self, obj):
        return TechnicianFactory()

    @pytest.fixture
    def create_payload(self, db):
        skill = SkillFactory(code="bucket-truck")
        return {
            "user": str(StaffFactory(roles=["Technician"]).pk),
            "kind": "contractor",
            "home_base": POINT,
            "cost_per_hour": "3800.50",
            "max_jobs_per_day": 6,
            "time_zone": "Africa/Lagos",
            "skills": [{"skill": str(skill.pk), "level": 4, "certified_until": "2031-06-30"}],
        }

    @pytest.fixture
    def update_payload(self):
        return {"max_jobs_per_day": 5, "time_zone": "UTC", "active": False}

    @pytest.fixture
    def bad_payloads(self, db):
        user, skill = str(StaffFactory().pk), str(SkillFactory(code="ladder").pk)
        return [
            ("time_zone", {"user": user, "time_zone": "Mars/Olympus"}),
            ("skills", {"user": user, "skills": [{"skill": skill, "level": 9}]}),
            ("skills", {"user": user, "skills": [{"skill": skill}, {"skill": skill, "level": 2}]}),
            ("home_base", {"user": user, "home_base": {"type": "Point", "coordinates": [200, 0]}}),
            ("cost_per_hour", {"user": user, "cost_per_hour": "-1"}),
        ]


def test_technician_shape_skills_and_home_base(api_as, admin_user, vendor, vendor_org):
    technician = TechnicianFactory(kind=TechnicianKind.VENDOR, vendor=vendor_org, cost_per_hour="4500.00")
    TechnicianSkill.objects.create(
        technician=technician, skill=SkillFactory(code="fiber-splicing"), level=4, certified_until="2031-01-31"
    )
    staff = api_as(admin_user).get(f"{API}technicians/{technician.pk}/").json()
    assert staff["skills"] == [
        {
            "skill": str(technician.skills.get().pk),
            "code": "fiber-splicing",
            "level": 4,
            "certified_until": "2031-01-31",
        }
    ]
    assert staff["home_base"] == {"type": "Point", "coordinates": [3.3792, 6.5244]}
    assert staff["cost_per_hour"] == "4500.00" and staff["vendor"] == str(vendor_org.pk)
    portal = api_as(vendor).get(f"{API}technicians/{technician.pk}/").json()
    assert "cost_per_hour" not in portal and portal["skills"] == staff["skills"]


def test_technician_skills_are_replaced_by_a_patch(api_as, admin_user):
    technician = TechnicianFactory()
    TechnicianSkill.objects.create(technician=technician, skill=SkillFactory(code="old"), level=2)
    new = SkillFactory(code="new")
    body = (
        api_as(admin_user)
        .patch(f"{API}technicians/{technician.pk}/", {"skills": [{"skill": str(new.pk), "level": 5}]})
        .json()
    )
    assert [(row["code"], row["level"]) for row in body["skills"]] == [("new", 5)]


def test_a_vendor_crew_member_needs_a_vendor(api_as, admin_user):
    response = api_as(admin_user).post(f"{API}technicians/", {"user": str(StaffFactory().pk), "kind": "vendor"})
    assert_error(response, 400, code="invalid")
    assert not Technician.objects.exists()


def test_technician_filters(api_as, admin_user, vendor_org):
    skill, territory = SkillFactory(code="fiber-splicing"), TerritoryFactory()
    splicer = TechnicianFactory(user=StaffFactory(full_name="Ada Splicer"))
    TechnicianSkill.objects.create(technician=splicer, skill=skill, level=3)
    crew = TechnicianFactory(kind=TechnicianKind.VENDOR, vendor=vendor_org)
    MembershipFactory(technician=crew, territory=territory)
    client = api_as(admin_user)
    url = f"{API}technicians/"
    assert ids_of(client.get(url, {"skill": str(skill.pk)})) == [str(splicer.pk)]
    assert ids_of(client.get(url, {"territory": str(territory.pk)})) == [str(crew.pk)]
    assert ids_of(client.get(url, {"vendor": str(vendor_org.pk)})) == [str(crew.pk)]
    assert ids_of(client.get(url, {"search": "ada spl"})) == [str(splicer.pk)]
    assert_error(client.get(url, {"skill": "nope"}), 400, field="skill")


def test_technicians_refuse_customers_resellers_and_agents(api_as, customer, reseller, agent):
    technician = TechnicianFactory()
    for user in (customer, reseller, agent):
        client = api_as(user)
        assert_error(client.get(f"{API}technicians/"), 403, code="permission_denied")
        assert_error(client.get(f"{API}technicians/{technician.pk}/"), 403, code="permission_denied")


# ---- territories and memberships ------------------------------------------------------------------------------


class TestTerritoryApi(StaffResourceContract):
    url = f"{API}territories/"
    model = ServiceTerritory
    ordering_fields = ["code", "name", "created_at", "updated_at"]

    def make_rows(self, n):
        ServiceTerritory.objects.bulk_create(
            [ServiceTerritory(code=f"bulk-{i:04d}", name=f"Bulk {i}", geom=square(3.4, 6.5)) for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db):
        return TerritoryFactory(code="lagos-island")

    @pytest.fixture
    def create_payload(self):
        return {"code": "ikeja", "name": "Ikeja", "geom": AREA, "time_zone": "Africa/Lagos"}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Lagos Island North"}

    @pytest.fixture
    def bad_payloads(self):
        open_ring = {"type": "Polygon", "coordinates": [[[3.3, 6.4], [3.5, 6.4], [3.5, 6.6], [3.3, 6.6]]]}
        bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
        return [
            ("geom", {"code": "x", "name": "X", "geom": POINT}),
            ("geom", {"code": "x", "name": "X", "geom": open_ring}),
            ("geom", {"code": "x", "name": "X", "geom": bow_tie}),
            ("time_zone", {"code": "x", "name": "X", "geom": AREA, "time_zone": "Nowhere"}),
            ("parent", {"code": "x", "name": "X", "geom": AREA, "parent": MISSING_ID}),
        ]


def test_territory_geom_is_a_geojson_multipolygon(api_as, admin_user):
    client = api_as(admin_user)
    polygon = {"type": "Polygon", "coordinates": AREA["coordinates"][0]}
    body = client.post(f"{API}territories/", {"code": "ikeja", "name": "Ikeja", "geom": polygon}).json()
    assert body["geom"] == AREA
    parent = TerritoryFactory(code="lagos")
    child = client.patch(f"{API}territories/{body['id']}/", {"parent": str(parent.pk)}).json()
    assert child["parent"] == str(parent.pk)
    assert_error(client.delete(f"{API}territories/{parent.pk}/"), 409, code="conflict")
    assert_error(client.patch(f"{API}territories/{parent.pk}/", {"parent": str(parent.pk)}), 400, field="parent")


class TestMembershipApi(StaffResourceContract):
    url = f"{API}territory-memberships/"
    model = TerritoryMembership
    ordering_fields = ["kind", "valid", "created_at", "updated_at"]

    def make_rows(self, n):
        technician, territory = TechnicianFactory(), TerritoryFactory()
        TerritoryMembership.objects.bulk_create(
            [
                TerritoryMembership(
                    technician=technician,
                    territory=territory,
                    kind=MembershipKind.SECONDARY,
                    valid=DateRange(datetime.date(2020, 1, 1) + datetime.timedelta(days=i), None, "[)"),
                )
                for i in range(n)
            ]
        )

    @pytest.fixture
    def obj(self, db):
        return MembershipFactory()

    @pytest.fixture
    def create_payload(self, obj):
        return {
            "technician": str(TechnicianFactory().pk),
            "territory": str(obj.territory_id),
            "kind": "secondary",
            "valid_from": "2030-01-01",
            "valid_to": "2030-07-01",
        }

    @pytest.fixture
    def update_payload(self):
        return {"kind": "relocation", "valid_to": "2031-01-01"}

    @pytest.fixture
    def bad_payloads(self, obj):
        base = {"technician": str(obj.technician_id), "territory": str(obj.territory_id), "valid_from": "2030-02-01"}
        return [
            ("valid_to", {**base, "valid_to": "2030-01-01"}),
            ("kind", {**base, "kind": "boss"}),
            ("territory", {**base, "territory": MISSING_ID}),
        ]


def test_a_second_primary_over_the_same_dates_is_a_400(api_as, admin_user):
    first = MembershipFactory()
    response = api_as(admin_user).post(
        f"{API}territory-memberships/",
        {"technician": str(first.technician_id), "territory": str(TerritoryFactory().pk), "valid_from": "2030-01-01"},
    )
    body = assert_error(response, 400, code="invalid")
    assert "primary territory" in body["detail"]
    row = api_as(admin_user).get(f"{API}territory-memberships/{first.pk}/").json()
    assert row["valid_from"] == "2020-01-01" and row["valid_to"] is None and row["kind"] == "primary"


# ---- shift patterns, shifts, time off -------------------------------------------------------------------------


class TestShiftPatternApi(StaffResourceContract):
    url = f"{API}shift-patterns/"
    model = ShiftPattern
    ordering_fields = ["name", "start", "created_at", "updated_at"]

    def make_rows(self, n):
        technician = TechnicianFactory()
        ShiftPattern.objects.bulk_create(
            [
                ShiftPattern(
                    technician=technician, name=f"P{i:04d}", start=datetime.time(i % 12), end=datetime.time(13)
                )
                for i in range(n)
            ]
        )

    @pytest.fixture
    def obj(self, db):
        return ShiftPattern.objects.create(
            technician=TechnicianFactory(), name="Weekdays", start=datetime.time(8), end=datetime.time(17)
        )

    @pytest.fixture
    def create_payload(self, obj):
        return {
            "technician": str(obj.technician_id),
            "name": "Early",
            "weekdays": "0,2,4",
            "start": "06:00:00",
            "end": "14:00:00",
            "kind": "on_call",
            "time_zone": "Africa/Lagos",
        }

    @pytest.fixture
    def update_payload(self):
        return {"name": "Mornings", "weekdays": "5,6"}

    @pytest.fixture
    def bad_payloads(self, obj):
        base = {"technician": str(obj.technician_id), "start": "08:00:00", "end": "12:00:00"}
        return [
            ("weekdays", {**base, "weekdays": "9"}),
            ("rrule", {**base, "rrule": "FREQ=SOMETIMES"}),
            ("start", {**base, "start": "25:00"}),
        ]


class TestShiftApi(WorkforceContract, StaffOnlyContract):
    """Read, and created by hand (patterns make the rest): no PATCH, no DELETE."""

    url = f"{API}shifts/"
    model = Shift
    writes = ("create",)
    list_queries = 4
    ordering_fields = ["during", "kind", "created_at"]

    def make_rows(self, n):
        technician = TechnicianFactory()
        Shift.objects.bulk_create(
            [Shift(technician=technician, during=span(at(8, day=_day(i)), at(16, day=_day(i)))) for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db):
        return ShiftFactory()

    @pytest.fixture
    def create_payload(self, obj):
        return {"technician": str(obj.technician_id), "start": "2030-03-05T08:00:00Z", "end": "2030-03-05T12:00:00Z"}

    @pytest.fixture
    def update_payload(self):
        return {"kind": "overtime"}

    @pytest.fixture
    def bad_payloads(self, obj):
        base = {"technician": str(obj.technician_id)}
        return [
            ("end", {**base, "start": "2030-03-06T12:00:00Z", "end": "2030-03-06T08:00:00Z"}),
            ("technician", {"technician": MISSING_ID, "start": "2030-03-06T08:00:00Z", "end": "2030-03-06T09:00Z"}),
            ("kind", {**base, "start": "2030-03-06T08:00:00Z", "end": "2030-03-06T09:00:00Z", "kind": "nap"}),
        ]


def _day(i: int) -> datetime.date:
    return datetime.date(2030, 1, 1) + datetime.timedelta(days=i)


def test_shifts_read_back_as_start_and_end_and_filter_by_time(api_as, admin_user):
    shift = ShiftFactory()
    client = api_as(admin_user)
    row = client.get(f"{API}shifts/{shift.pk}/").json()
    assert (row["start"], row["end"], row["kind"]) == ("2030-03-04T08:00:00Z", "2030-03-04T17:00:00Z", "regular")
    assert ids_of(client.get(f"{API}shifts/", {"starts_after": "2030-03-04T00:00:00Z"})) == [str(shift.pk)]
    assert ids_of(client.get(f"{API}shifts/", {"starts_before": "2030-03-04T00:00:00Z"})) == []
    assert_error(client.get(f"{API}shifts/", {"starts_after": "soon"}), 400, field="starts_after")
    overlap = {"technician": str(shift.technician_id), "start": iso(at(16)), "end": iso(at(20))}
    assert_error(client.post(f"{API}shifts/", overlap), 400, code="invalid")
    assert_error(client.delete(f"{API}shifts/{shift.pk}/"), 405)


class TestTimeOffApi(WorkforceContract, StaffOnlyContract):
    """Requested (create), then approved or rejected (POST approve/ and reject/, change_timeoff)."""

    url = f"{API}time-off/"
    model = TimeOff
    writes = ("create",)
    list_queries = 4
    ordering_fields = ["during", "status", "created_at"]

    def make_rows(self, n):
        technician = TechnicianFactory()
        TimeOff.objects.bulk_create(
            [TimeOff(technician=technician, during=span(at(8, day=_day(i)), at(16, day=_day(i)))) for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db):
        return TimeOff.objects.create(technician=TechnicianFactory(), during=span(at(12), at(14)), reason="Dentist")

    @pytest.fixture
    def create_payload(self, obj):
        return {"technician": str(obj.technician_id), "start": iso(at(9)), "end": iso(at(10)), "reason": "School run"}

    @pytest.fixture
    def update_payload(self):
        return {"reason": "Other"}

    @pytest.fixture
    def bad_payloads(self, obj):
        base = {"technician": str(obj.technician_id), "start": iso(at(9))}
        return [("end", {**base, "end": iso(at(8))}), ("reason", {**base, "end": iso(at(10)), "reason": "x" * 201})]


def test_dispatchers_approve_and_reject_time_off_and_technicians_may_not(api_as, admin_user):
    time_off = TimeOff.objects.create(technician=TechnicianFactory(), during=span(at(12), at(14)))
    url = f"{API}time-off/{time_off.pk}/"
    dispatcher = StaffFactory(roles=["Dispatcher"])
    technician = api_as(StaffFactory(roles=["Technician"]))
    assert technician.get(url).json()["status"] == "requested"
    assert_error(technician.post(f"{url}approve/"), 403, code="permission_denied")
    body = api_as(dispatcher).post(f"{url}approve/").json()
    assert body["status"] == "approved" and body["decided_by"] == str(dispatcher.pk)
    assert api_as(dispatcher).post(f"{url}reject/").json()["status"] == "rejected"
    assert ids_of(api_as(admin_user).get(f"{API}time-off/", {"status": "rejected"})) == [str(time_off.pk)]
    assert_error(api_as(dispatcher).post(f"{API}time-off/{MISSING_ID}/approve/"), 404)


def test_time_off_actions_refuse_portal_users(api_as, customer, reseller, vendor):
    time_off = TimeOff.objects.create(technician=TechnicianFactory(), during=span(at(12), at(14)))
    for user in (customer, reseller, vendor):
        assert_error(api_as(user).post(f"{API}time-off/{time_off.pk}/approve/"), 403, code="permission_denied")
    assert TimeOff.objects.get().status == "requested"
