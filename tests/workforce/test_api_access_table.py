"""Who may do what through the workforce API (skills to appointments): every operation, with each persona's token,
answers exactly: Admin and Dispatcher write, Dispatcher, Technician and Admin read; an Agent (no workforce grant), a
staff user without a role and one whose staff access is off get 403; a customer reads its account's work orders and
appointments, a vendor user its crew's technicians, work orders and appointments (read only: writes 403); reseller
users get 403. Every write is rolled back before the next persona; a refused one changes nothing.

tests/test_api_access.py holds the same table for the whole API (its rows for these operations are written there at
merge; this file is the workforce's own)."""

import datetime
import re

from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateRange

from tests.omni.api_contract import assert_error
from tests.omni.factories import StaffFactory
from workforce import services
from workforce.choices import TechnicianKind
from workforce.models import (
    Appointment,
    Crew,
    ServiceTerritory,
    Shift,
    ShiftPattern,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
    WorkOrder,
    WorkType,
)

from .api_support import API, AREA, POINT, at, iso, span
from .factories import LAGOS, ShiftFactory, SkillFactory, TechnicianFactory, TerritoryFactory, WorkOrderFactory

STAFF = {
    "admin": ["Admin"],
    "dispatcher": ["Dispatcher"],
    "technician": ["Technician"],
    "agent": ["Agent"],
    "norole": [],
}
PERSONAS = [*STAFF, "unstaffed", "customer", "reseller", "vendor"]
READERS = {"admin", "dispatcher", "technician"}
WRITERS = {"admin", "dispatcher"}
MODELS = [Skill, Technician, TechnicianSkill, ServiceTerritory, TerritoryMembership, ShiftPattern, Shift, TimeOff]
MODELS += [WorkType, WorkOrder, Appointment, Crew]


def answers(ok: int, allowed: set[str], extra: dict | None = None) -> dict:
    return {p: ok if p in allowed else 403 for p in PERSONAS} | (extra or {})


def _world(account, customer, reseller, vendor, vendor_org, api_as) -> tuple[dict, list]:
    crew = TechnicianFactory(kind=TechnicianKind.VENDOR, vendor=vendor_org)
    ShiftFactory(technician=crew)
    territory = TerritoryFactory()
    membership = TerritoryMembership.objects.create(
        technician=crew, territory=territory, valid=DateRange(datetime.date(2020, 1, 1), None, "[)")
    )
    pattern = ShiftPattern.objects.create(technician=crew, start=datetime.time(8), end=datetime.time(17))
    shift = Shift.objects.get()
    time_off = TimeOff.objects.create(technician=crew, during=span(at(18), at(19)))
    skill = SkillFactory(code="unused")
    work_order = WorkOrderFactory(account=account)
    work_type = WorkType.objects.get()
    appointment = services.appointment_book(work_order_id=work_order.pk, technician=crew, start=at(9))
    unbooked = WorkOrderFactory(account=account, work_type=work_type)
    team = Crew.objects.create(vendor=vendor_org, name="Splicing crew")
    crew_member = TechnicianFactory(kind=TechnicianKind.VENDOR, vendor=vendor_org)
    team.members.set([crew_member])
    users = {name: StaffFactory(roles=roles) for name, roles in STAFF.items()}
    users |= {"unstaffed": StaffFactory(roles=["Admin"], is_staff=False), "customer": customer}
    users |= {"reseller": reseller, "vendor": vendor}
    clients = {name: api_as(user) for name, user in users.items()}
    u = API
    both = {"customer": 200, "vendor": 200}
    rows = [
        # skills
        ("GET", f"{u}skills/", None, answers(200, READERS)),
        ("GET", f"{u}skills/{skill.pk}/", None, answers(200, READERS)),
        ("POST", f"{u}skills/", {"code": "new-skill", "name": "New"}, answers(201, WRITERS)),
        ("PUT", f"{u}skills/{skill.pk}/", {"code": "renamed", "name": "Renamed"}, answers(200, WRITERS)),
        ("PATCH", f"{u}skills/{skill.pk}/", {"name": "Renamed"}, answers(200, WRITERS)),
        ("DELETE", f"{u}skills/{skill.pk}/", None, answers(204, WRITERS)),
        # technicians: the vendor user's crew member (booked: deleting is a 409)
        ("GET", f"{u}technicians/", None, answers(200, READERS | {"vendor"})),
        ("GET", f"{u}technicians/{crew.pk}/", None, answers(200, READERS | {"vendor"})),
        ("POST", f"{u}technicians/", {"user": str(StaffFactory().pk)}, answers(201, WRITERS)),
        (
            "PUT",
            f"{u}technicians/{crew.pk}/",
            {"user": str(crew.user_id), "kind": "vendor", "vendor": str(vendor_org.pk), "home_base": POINT},
            answers(200, WRITERS),
        ),
        ("PATCH", f"{u}technicians/{crew.pk}/", {"max_jobs_per_day": 3}, answers(200, WRITERS)),
        ("DELETE", f"{u}technicians/{crew.pk}/", None, answers(409, WRITERS)),
        # territories and memberships
        ("GET", f"{u}territories/", None, answers(200, READERS)),
        ("GET", f"{u}territories/{territory.pk}/", None, answers(200, READERS)),
        ("POST", f"{u}territories/", {"code": "t-new", "name": "New", "geom": AREA}, answers(201, WRITERS)),
        (
            "PUT",
            f"{u}territories/{territory.pk}/",
            {"code": "t-re", "name": "Re", "geom": AREA},
            answers(200, WRITERS),
        ),
        ("PATCH", f"{u}territories/{territory.pk}/", {"name": "Renamed"}, answers(200, WRITERS)),
        ("DELETE", f"{u}territories/{territory.pk}/", None, answers(204, WRITERS)),
        ("GET", f"{u}territory-memberships/", None, answers(200, READERS)),
        ("GET", f"{u}territory-memberships/{membership.pk}/", None, answers(200, READERS)),
        (
            "POST",
            f"{u}territory-memberships/",
            {
                "technician": str(crew.pk),
                "territory": str(territory.pk),
                "kind": "secondary",
                "valid_from": "2030-01-01",
            },
            answers(201, WRITERS),
        ),
        (
            "PUT",
            f"{u}territory-memberships/{membership.pk}/",
            {"technician": str(crew.pk), "territory": str(territory.pk), "valid_from": "2021-01-01"},
            answers(200, WRITERS),
        ),
        ("PATCH", f"{u}territory-memberships/{membership.pk}/", {"kind": "relocation"}, answers(200, WRITERS)),
        ("DELETE", f"{u}territory-memberships/{membership.pk}/", None, answers(204, WRITERS)),
        # shift patterns, shifts, time off
        ("GET", f"{u}shift-patterns/", None, answers(200, READERS)),
        ("GET", f"{u}shift-patterns/{pattern.pk}/", None, answers(200, READERS)),
        (
            "POST",
            f"{u}shift-patterns/",
            {"technician": str(crew.pk), "start": "06:00", "end": "10:00"},
            answers(201, WRITERS),
        ),
        (
            "PUT",
            f"{u}shift-patterns/{pattern.pk}/",
            {"technician": str(crew.pk), "start": "07:00", "end": "15:00"},
            answers(200, WRITERS),
        ),
        ("PATCH", f"{u}shift-patterns/{pattern.pk}/", {"name": "Days"}, answers(200, WRITERS)),
        ("DELETE", f"{u}shift-patterns/{pattern.pk}/", None, answers(204, WRITERS)),
        ("GET", f"{u}shifts/", None, answers(200, READERS)),
        ("GET", f"{u}shifts/{shift.pk}/", None, answers(200, READERS)),
        (
            "POST",
            f"{u}shifts/",
            {
                "technician": str(crew.pk),
                "start": iso(at(8) + datetime.timedelta(days=1)),
                "end": iso(at(12) + datetime.timedelta(days=1)),
            },
            answers(201, WRITERS),
        ),
        ("GET", f"{u}time-off/", None, answers(200, READERS)),
        ("GET", f"{u}time-off/{time_off.pk}/", None, answers(200, READERS)),
        (
            "POST",
            f"{u}time-off/",
            {"technician": str(crew.pk), "start": iso(at(20)), "end": iso(at(21))},
            answers(201, WRITERS),
        ),
        ("POST", f"{u}time-off/{time_off.pk}/approve/", None, answers(200, WRITERS)),
        ("POST", f"{u}time-off/{time_off.pk}/reject/", None, answers(200, WRITERS)),
        # work types (in use: deleting is a 409), work orders, appointments
        ("GET", f"{u}work-types/", None, answers(200, READERS)),
        ("GET", f"{u}work-types/{work_type.pk}/", None, answers(200, READERS)),
        ("POST", f"{u}work-types/", {"name": "New type"}, answers(201, WRITERS)),
        ("PUT", f"{u}work-types/{work_type.pk}/", {"name": "Renamed"}, answers(200, WRITERS)),
        ("PATCH", f"{u}work-types/{work_type.pk}/", {"crew_size": 2}, answers(200, WRITERS)),
        ("DELETE", f"{u}work-types/{work_type.pk}/", None, answers(409, WRITERS)),
        ("GET", f"{u}work-orders/", None, answers(200, READERS, both)),
        ("GET", f"{u}work-orders/{work_order.pk}/", None, answers(200, READERS, both)),
        (
            "POST",
            f"{u}work-orders/",
            {"account": str(account.pk), "work_type": str(work_type.pk), "location": POINT},
            answers(201, WRITERS),
        ),
        (
            "PUT",
            f"{u}work-orders/{work_order.pk}/",
            {"account": str(account.pk), "work_type": str(work_type.pk), "location": POINT, "priority": "high"},
            answers(200, WRITERS),
        ),
        ("PATCH", f"{u}work-orders/{work_order.pk}/", {"status": "dispatched"}, answers(200, WRITERS)),
        ("GET", f"{u}appointments/", None, answers(200, READERS, both)),
        ("GET", f"{u}appointments/{appointment.pk}/", None, answers(200, READERS, both)),
        (
            "POST",
            f"{u}appointments/",
            {"work_order": str(unbooked.pk), "technician": str(crew.pk), "start": iso(at(13))},
            answers(201, WRITERS),
        ),
        ("PUT", f"{u}appointments/{appointment.pk}/", {"start": iso(at(14))}, answers(200, WRITERS)),
        ("PATCH", f"{u}appointments/{appointment.pk}/", {"start": iso(at(15))}, answers(200, WRITERS)),
        ("POST", f"{u}appointments/{appointment.pk}/cancel/", None, answers(200, WRITERS)),
        # crews: the vendor user's own
        ("GET", f"{u}crews/", None, answers(200, READERS | {"vendor"})),
        ("GET", f"{u}crews/{team.pk}/", None, answers(200, READERS | {"vendor"})),
        ("POST", f"{u}crews/", {"vendor": str(vendor_org.pk), "name": "New"}, answers(201, WRITERS)),
        (
            "PUT",
            f"{u}crews/{team.pk}/",
            {"vendor": str(vendor_org.pk), "name": "Re", "members": [str(crew_member.pk)]},
            answers(200, WRITERS),
        ),
        ("PATCH", f"{u}crews/{team.pk}/", {"name": "Renamed"}, answers(200, WRITERS)),
        ("DELETE", f"{u}crews/{team.pk}/", None, answers(204, WRITERS)),
    ]
    assert LAGOS  # the factories' city
    return clients, rows


def _snapshot() -> list:
    return [list(model.objects.order_by("pk").values_list()) for model in MODELS]


def test_each_persona_gets_the_exact_answer(api_as, account, customer, reseller, vendor, vendor_org):
    clients, rows = _world(account, customer, reseller, vendor, vendor_org, api_as)
    before = _snapshot()
    wrong = []
    for method, url, body, expected in rows:
        got = {}
        for persona in PERSONAS:
            with transaction.atomic():  # each persona meets the same world: every write is rolled back
                call = getattr(clients[persona], method.lower())
                response = call(url, body) if body is not None else call(url)
                got[persona] = response.status_code
                if response.status_code >= 400:
                    assert_error(response, response.status_code)
                    if method != "GET":
                        assert _snapshot() == before, (persona, method, url, "a refused write changed rows")
                transaction.set_rollback(True)
        if got != expected:
            wrong.append((method, url, {p: (got[p], expected[p]) for p in PERSONAS if got[p] != expected[p]}))
    assert wrong == []


def test_a_customer_or_vendor_outside_the_work_gets_404(api_as, customer, vendor, other_account):
    """The work of another account, booked with another vendor's technician: out of both users' scope."""
    shift = ShiftFactory()
    work_order = WorkOrderFactory(account=other_account)
    appointment = services.appointment_book(work_order_id=work_order.pk, technician=shift.technician, start=at(9))
    for user in (customer, vendor):
        client = api_as(user)
        for url in (f"{API}work-orders/{work_order.pk}/", f"{API}appointments/{appointment.pk}/"):
            assert_error(client.get(url), 404, code="not_found")
    assert_error(api_as(vendor).get(f"{API}technicians/{shift.technician_id}/"), 404, code="not_found")


# The operations this table answers for (tests/test_api_access.py counts them as tabled): each row's URL, ids
# replaced by {id}, must be one of them, and every one of them must have a row.
OPERATIONS = frozenset(
    {
        ("DELETE", "/api/v1/workforce/crews/{id}/"),
        ("DELETE", "/api/v1/workforce/shift-patterns/{id}/"),
        ("DELETE", "/api/v1/workforce/skills/{id}/"),
        ("DELETE", "/api/v1/workforce/technicians/{id}/"),
        ("DELETE", "/api/v1/workforce/territories/{id}/"),
        ("DELETE", "/api/v1/workforce/territory-memberships/{id}/"),
        ("DELETE", "/api/v1/workforce/work-types/{id}/"),
        ("GET", "/api/v1/workforce/appointments/"),
        ("GET", "/api/v1/workforce/appointments/{id}/"),
        ("GET", "/api/v1/workforce/crews/"),
        ("GET", "/api/v1/workforce/crews/{id}/"),
        ("GET", "/api/v1/workforce/shift-patterns/"),
        ("GET", "/api/v1/workforce/shift-patterns/{id}/"),
        ("GET", "/api/v1/workforce/shifts/"),
        ("GET", "/api/v1/workforce/shifts/{id}/"),
        ("GET", "/api/v1/workforce/skills/"),
        ("GET", "/api/v1/workforce/skills/{id}/"),
        ("GET", "/api/v1/workforce/technicians/"),
        ("GET", "/api/v1/workforce/technicians/{id}/"),
        ("GET", "/api/v1/workforce/territories/"),
        ("GET", "/api/v1/workforce/territories/{id}/"),
        ("GET", "/api/v1/workforce/territory-memberships/"),
        ("GET", "/api/v1/workforce/territory-memberships/{id}/"),
        ("GET", "/api/v1/workforce/time-off/"),
        ("GET", "/api/v1/workforce/time-off/{id}/"),
        ("GET", "/api/v1/workforce/work-orders/"),
        ("GET", "/api/v1/workforce/work-orders/{id}/"),
        ("GET", "/api/v1/workforce/work-types/"),
        ("GET", "/api/v1/workforce/work-types/{id}/"),
        ("PATCH", "/api/v1/workforce/appointments/{id}/"),
        ("PATCH", "/api/v1/workforce/crews/{id}/"),
        ("PATCH", "/api/v1/workforce/shift-patterns/{id}/"),
        ("PATCH", "/api/v1/workforce/skills/{id}/"),
        ("PATCH", "/api/v1/workforce/technicians/{id}/"),
        ("PATCH", "/api/v1/workforce/territories/{id}/"),
        ("PATCH", "/api/v1/workforce/territory-memberships/{id}/"),
        ("PATCH", "/api/v1/workforce/work-orders/{id}/"),
        ("PATCH", "/api/v1/workforce/work-types/{id}/"),
        ("POST", "/api/v1/workforce/appointments/"),
        ("POST", "/api/v1/workforce/appointments/{id}/cancel/"),
        ("POST", "/api/v1/workforce/crews/"),
        ("POST", "/api/v1/workforce/shift-patterns/"),
        ("POST", "/api/v1/workforce/shifts/"),
        ("POST", "/api/v1/workforce/skills/"),
        ("POST", "/api/v1/workforce/technicians/"),
        ("POST", "/api/v1/workforce/territories/"),
        ("POST", "/api/v1/workforce/territory-memberships/"),
        ("POST", "/api/v1/workforce/time-off/"),
        ("POST", "/api/v1/workforce/time-off/{id}/approve/"),
        ("POST", "/api/v1/workforce/time-off/{id}/reject/"),
        ("POST", "/api/v1/workforce/work-orders/"),
        ("POST", "/api/v1/workforce/work-types/"),
        ("PUT", "/api/v1/workforce/appointments/{id}/"),
        ("PUT", "/api/v1/workforce/crews/{id}/"),
        ("PUT", "/api/v1/workforce/shift-patterns/{id}/"),
        ("PUT", "/api/v1/workforce/skills/{id}/"),
        ("PUT", "/api/v1/workforce/technicians/{id}/"),
        ("PUT", "/api/v1/workforce/territories/{id}/"),
        ("PUT", "/api/v1/workforce/territory-memberships/{id}/"),
        ("PUT", "/api/v1/workforce/work-orders/{id}/"),
        ("PUT", "/api/v1/workforce/work-types/{id}/"),
    }
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_the_rows_cover_exactly_the_operations(api_as, account, customer, reseller, vendor, vendor_org):
    _clients, rows = _world(account, customer, reseller, vendor, vendor_org, api_as)
    assert {(method, UUID.sub("{id}", url.split("?")[0])) for method, url, _body, _expected in rows} == OPERATIONS
