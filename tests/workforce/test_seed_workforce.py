"""The field-service demo (portals/staff/management/commands/_seed_workforce.py): a territory, skills, eight
technicians with shifts today, a day of work orders (most booked through the hard rules, some left unassigned,
one late so the jeopardy scan flags it), and nothing added by a second run."""

import random

import pytest
from django.contrib.gis.geos import Point

from notifications.models import Preference
from notifications.recipients import Recipient
from portals.staff.management.commands._seed_workforce import seed_workforce
from tests.crm.factories import AccountFactory
from tests.omni.factories import StaffFactory
from workforce import services
from workforce.models import Appointment, Shift, Skill, Technician, TechnicianSkill, WorkOrder

pytestmark = pytest.mark.django_db
DOMAIN = "demo.example"
JOBS = 7  # the demo makes 20; fewer keep the test quick: jobs 1 (late), 2, 4, 5, 7 booked, 3 and 6 not


def _counts() -> tuple:
    return tuple(m.objects.count() for m in (Technician, TechnicianSkill, Skill, Shift, WorkOrder, Appointment))


def test_the_demo_day_is_built_once_and_is_bookable():
    local = random.Random(3)
    for _ in range(JOBS):
        AccountFactory(location=Point(3.36 + local.uniform(-0.05, 0.1), 6.5 + local.uniform(-0.05, 0.08), srid=4326))

    dispatcher = StaffFactory(email=f"dispatcher@{DOMAIN}", roles=["Dispatcher"])
    assert seed_workforce(domain=DOMAIN, password="pw-Demo-12345", jobs=JOBS) == JOBS
    assert Technician.objects.count() == 8
    assert {"fiber-splicing", "bucket-truck", "ont-install"} <= set(Skill.objects.values_list("code", flat=True))
    assert Technician.objects.filter(home_base__isnull=False, last_location__isnull=False).count() == 8
    booked = Appointment.objects.count()
    assert 3 <= booked < JOBS  # most booked, the rest unassigned
    assert WorkOrder.objects.filter(status="new").count() == JOBS - booked
    assert Shift.objects.filter(technician__in=Technician.objects.all()).count() >= 8 * 14

    before = _counts()
    assert seed_workforce(domain=DOMAIN, password="pw-Demo-12345", jobs=JOBS) == 0
    assert _counts() == before

    assert services.appointments_flag_at_risk() >= 1  # the job booked after its window
    follows = Preference.objects.filter(event="workforce.appointment.at_risk", channel="inapp", enabled=True)
    assert list(follows.values_list("recipient_key", flat=True)) == [Recipient.for_user(dispatcher).key]
