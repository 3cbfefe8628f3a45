"""The workforce admin: every model's list (searched and filtered), add and change pages answer 200 in a fixed
number of queries; writes go through the services (a second primary territory is refused, statuses change only by
actions)."""

import datetime

import pytest
from django.contrib import admin as django_admin
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from tests.admin_support import admin_form_data
from tests.workforce.factories import (
    MembershipFactory,
    ShiftFactory,
    SkillFactory,
    TechnicianFactory,
    TechnicianSkillFactory,
    TerritoryFactory,
    WorkOrderFactory,
)
from workforce import services
from workforce.choices import TimeOffStatus, WorkOrderStatus
from workforce.models import (
    Appointment,
    ServiceTerritory,
    Shift,
    ShiftPattern,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
    WorkOrder,
    WorkOrderSkill,
    WorkType,
)

pytestmark = pytest.mark.django_db
MODELS = [
    Skill, Technician, TechnicianSkill, ServiceTerritory, TerritoryMembership, ShiftPattern, Shift, TimeOff,
    WorkType, WorkOrder, Appointment,
]  # fmt: skip


def at(hour):
    return datetime.datetime(2030, 3, 4, hour, tzinfo=datetime.UTC)


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


@pytest.fixture
def rows():
    technician = TechnicianFactory()
    TechnicianSkillFactory(technician=technician, skill=SkillFactory(code="fiber-splicing"))
    MembershipFactory(technician=technician)
    ShiftFactory(technician=technician, during=DateTimeTZRange(at(8), at(17)))
    services.shift_pattern_create(technician=technician, start=datetime.time(8), end=datetime.time(17))
    services.time_off_request(technician=technician, start=at(18), end=at(20), reason="School run")
    work_order = WorkOrderFactory()
    WorkOrderSkill.objects.create(work_order=work_order, skill=Skill.objects.get(), min_level=2)
    services.appointment_book(work_order_id=work_order.pk, technician=technician, start=at(9))
    return technician, work_order


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_page_answers(admin, rows, model, django_assert_max_num_queries):
    model_admin = django_admin.site._registry[model]
    assert model_admin.search_fields and model_admin.list_display and model_admin.list_filter
    base = f"/admin/workforce/{model._meta.model_name}/"
    with django_assert_max_num_queries(20):
        assert admin.get(base, {"q": "a"}).status_code == 200
    assert admin.get(base).status_code == 200
    assert admin.get(f"{base}{model.objects.first().pk}/change/").status_code == 200
    if model_admin.has_add_permission(type("R", (), {"user": rows[0].user})()) and model is not Appointment:
        assert admin.get(f"{base}add/").status_code == 200


def test_second_primary_membership_from_the_admin_is_refused(admin, rows):
    technician, _work_order = rows
    page = admin.get("/admin/workforce/territorymembership/add/")
    data = admin_form_data(
        page,
        technician=str(technician.pk),
        territory=str(TerritoryFactory().pk),
        kind="primary",
        valid_0="2030-01-01",
        valid_1="",
    )
    response = admin.post("/admin/workforce/territorymembership/add/", data, follow=True)
    assert "already has a primary territory" in response.content.decode()
    assert TerritoryMembership.objects.filter(technician=technician).count() == 1


def test_actions_call_the_services(admin, rows):
    technician, work_order = rows
    off = TimeOff.objects.get()
    admin.post("/admin/workforce/timeoff/", {"action": "approve", "_selected_action": [str(off.pk)]})
    off.refresh_from_db()
    assert off.status == TimeOffStatus.APPROVED
    admin.post("/admin/workforce/workorder/", {"action": "cancel", "_selected_action": [str(work_order.pk)]})
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.CANCELLED
    assert not Appointment.objects.exclude(status="cancelled").exists()
    admin.post(
        "/admin/workforce/shiftpattern/",
        {"action": "generate", "_selected_action": [str(ShiftPattern.objects.get().pk)]},
    )
    assert Shift.objects.filter(technician=technician).count() > 1
