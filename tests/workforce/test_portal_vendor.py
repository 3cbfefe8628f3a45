"""The vendor portal's work (vendor.localhost, issue 14 item 9): a vendor user sees the work orders its crew has
live appointments for, and its crew with skills and today's appointments; another vendor's (or an employee's
only) work order is a 404, and no other audience gets in."""

import datetime

import pytest
from django.utils.html import escape

from tests.workforce.factories import SkillFactory, TechnicianSkillFactory
from workforce import services
from workforce.models import Vendor

from .visits_support import day, technician, visit, visits_bulk

HOST = "vendor.localhost"


@pytest.fixture
def scene(vendor_org, account, other_account):
    """Our crew member Ada (two visits: one live, one cancelled), another vendor's Bola, an employee Chidi."""
    rival = Vendor.objects.create(name="Rival Contractors Ltd")
    ada = technician("Ada Okafor", vendor=vendor_org)
    bola = technician("Bola Ade", vendor=rival)
    chidi = technician("Chidi Eze")
    TechnicianSkillFactory(
        technician=ada, skill=SkillFactory(code="fiber-splicing", name="Fiber splicing"), level=4,
        certified_until=datetime.date(2031, 1, 31),
    )  # fmt: skip
    ours = visit(account, ada, day(0, 10), address="12 Allen Avenue", description="Splice the drop")
    dropped = visit(account, ada, day(1, 9))
    services.appointment_cancel(appointment_id=dropped.pk)
    return {
        "ada": ada,
        "bola": bola,
        "ours": ours.work_order,
        "dropped": dropped.work_order,
        "rivals": visit(other_account, bola, day(0, 10)).work_order,
        "employees": visit(account, chidi, day(0, 10)).work_order,
    }


def test_list_shows_only_work_orders_our_crew_visits(client_as, vendor, scene):
    response = client_as(vendor, host=HOST).get("/work-orders/")
    html = response.content.decode()
    assert response.status_code == 200
    assert scene["ours"].number in html and "12 Allen Avenue" in html and "Ada Okafor" in html
    for other in ("dropped", "rivals", "employees"):
        assert scene[other].number not in html
    assert "Bola" not in html and "Chidi" not in html


def test_detail_of_our_work_order(client_as, vendor, scene):
    html = client_as(vendor, host=HOST).get(f"/work-orders/{scene['ours'].pk}/").content.decode()
    assert scene["ours"].number in html and "Splice the drop" in html and "Ada Okafor" in html
    assert scene["ours"].account.number not in html  # vendors see work, never accounts


@pytest.mark.parametrize("other", ["dropped", "rivals", "employees"])
def test_detail_of_another_work_order_is_404(client_as, vendor, scene, other):
    response = client_as(vendor, host=HOST).get(f"/work-orders/{scene[other].pk}/")
    assert response.status_code == 404
    assert scene[other].number.encode() not in response.content


def test_crew_shows_our_technicians_skills_and_todays_appointments(client_as, vendor, scene):
    tomorrow = visit(scene["ours"].account, scene["ada"], day(1, 14))
    html = client_as(vendor, host=HOST).get("/crew/").content.decode()
    assert "Ada Okafor" in html and "Fiber splicing · level 4 · certified until 31 Jan 2031" in html
    assert scene["ours"].number in html and "10:00–11:00" in html  # today's
    assert tomorrow.work_order.number not in html
    assert "Bola" not in html and "Chidi" not in html


def test_the_rival_vendor_sees_its_own(client_as, scene):
    rival = services.vendor_user_create(
        vendor_id=scene["bola"].vendor_id, email="rival@example.com", password="pw-Vendor-123"
    )
    client = client_as(rival, host=HOST)
    html = client.get("/work-orders/").content.decode()
    assert scene["rivals"].number in html and scene["ours"].number not in html
    assert client.get(f"/work-orders/{scene['ours'].pk}/").status_code == 404
    assert "Ada" not in client.get("/crew/").content.decode()


@pytest.mark.parametrize("path", ["/work-orders/", "/work-orders/{pk}/", "/crew/"])
@pytest.mark.parametrize("who", ["agent", "customer", "reseller"])
def test_pages_refuse_users_of_other_audiences(client_as, request, scene, who, path):
    response = client_as(request.getfixturevalue(who), host=HOST).get(path.format(pk=scene["ours"].pk))
    assert response.status_code == 403
    assert scene["ours"].number.encode() not in response.content


@pytest.mark.parametrize("path", ["/work-orders/", "/crew/"])
def test_pages_send_anonymous_users_to_sign_in(client, path):
    response = client.get(path, HTTP_HOST=HOST)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path}"


def test_vendor_user_on_the_customer_host_is_403(client_as, vendor, scene):
    assert client_as(vendor, host="portal.localhost").get("/visits/").status_code == 403


@pytest.mark.parametrize("rows", [1, 20])
def test_list_queries_do_not_grow(client_as, vendor, vendor_org, account, rows, django_assert_max_num_queries):
    visits_bulk(account, technician("Ada Okafor", vendor=vendor_org, days=0), rows, first=day(1, 0))
    client = client_as(vendor, host=HOST)
    with django_assert_max_num_queries(7):  # session, user, vendor, count, page, crew visits, messages
        response = client.get("/work-orders/")
    assert response.content.decode().count("<tr data-work-order=") == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_crew_queries_do_not_grow(client_as, vendor, vendor_org, account, rows, django_assert_max_num_queries):
    skill = SkillFactory(code="ladder", name="Ladder work")
    for n in range(rows):
        tech = technician(f"Crew Member{n}", vendor=vendor_org, days=0)
        TechnicianSkillFactory(technician=tech, skill=skill)
        visits_bulk(account, tech, 1, first=day(0, 9))
    client = client_as(vendor, host=HOST)
    with django_assert_max_num_queries(8):  # session, user, vendor (page and selector), crew, skills, visits, ...
        response = client.get("/crew/")
    html = response.content.decode()
    assert html.count("<tr data-technician=") == rows and html.count("Ladder work") == rows
    assert escape("09:00–10:00") in html
