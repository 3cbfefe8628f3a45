"""The customer's reschedule options come from slot search (services.slots.slot_search) restricted to the visit's
technician: the graded slots a dispatcher would see, travel between the day's stops counted, inside the allowed
range; the free whole hours only when the technician is no candidate of slot search (no territory membership)."""

import datetime

import pytest
from django.contrib.gis.geos import Point

from tests.workforce.factories import LAGOS, MembershipFactory, TerritoryFactory, square
from tests.workforce.visits_support import day, technician, visit
from workforce.services.visits import reschedule_options

pytestmark = pytest.mark.django_db
HOST = "portal.localhost"


@pytest.fixture
def scene(account, other_account):
    territory = TerritoryFactory(geom=square(LAGOS.x, LAGOS.y, 0.3), time_zone="UTC")
    tech = technician()
    MembershipFactory(technician=tech, territory=territory)
    near = Point(LAGOS.x + 0.01, LAGOS.y, srid=4326)
    far = Point(LAGOS.x + 0.2, LAGOS.y, srid=4326)  # about 22 km away: the trip takes a while
    own = visit(account, tech, day(2, 9), location=near)
    other = visit(other_account, tech, day(2, 12), location=far)
    return own, other


def test_options_are_slot_searchs_graded_slots_for_that_technician(scene):
    own, other = scene
    slots = reschedule_options(own, now=day(1, 12))
    assert slots and all(slot.grade is not None and 0 <= slot.grade <= 100 for slot in slots)
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    assert min(s.start for s in slots) >= day(1, 14)  # two hours' notice
    assert max(s.end for s in slots) <= day(8, 12)  # seven days
    assert own.scheduled.lower not in [s.start for s in slots]
    # the other visit's time is taken, and the trip to it is counted: nothing ends just before it
    busy_from, busy_to = other.scheduled.lower, other.scheduled.upper
    for slot in slots:
        assert slot.end <= busy_from - datetime.timedelta(minutes=20) or slot.start >= busy_to
    assert any(slot.start.minute == 30 for slot in slots)  # slot search's half hours, not only whole hours


def test_the_page_offers_them(client_as, customer, scene):
    own, _other = scene
    html = client_as(customer, host=HOST).get(f"/visits/{own.pk}/reschedule/").content.decode()
    first = reschedule_options(own)[0]
    assert f'value="{first.start.isoformat()}"' in html
