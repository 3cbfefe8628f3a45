"""/api/v1/tickets/calendars/: agents and dispatchers read business calendars, the Admin role writes them (hours
a weekday at a time, holidays by hand or seeded); portal users are refused. An outside client: literal URLs, a
real Bearer token, JSON."""

import datetime

import pytest

from tests.omni.api_contract import assert_error
from tests.omni.factories import StaffFactory
from tests.tickets.factories import BusinessCalendarFactory, HolidayFactory, office_hours
from tickets.models import BusinessCalendar, BusinessHours, Holiday

URL = "/api/v1/tickets/calendars/"


@pytest.fixture
def admin(db):
    return StaffFactory(roles=["Admin"])


def test_an_admin_creates_a_calendar_sets_hours_and_seeds_holidays(api_as, admin):
    client = api_as(admin)
    created = client.post(URL, {"name": "Lagos office", "time_zone": "Africa/Lagos", "country": "NG"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body == client.get(f"{URL}{body['id']}/").json()
    assert {key: body[key] for key in ("name", "time_zone", "country", "ical_url", "hours", "holidays")} == {
        "name": "Lagos office",
        "time_zone": "Africa/Lagos",
        "country": "NG",
        "ical_url": "",
        "hours": [],
        "holidays": [],
    }
    detail = f"{URL}{body['id']}/"
    hours = client.post(
        f"{detail}hours/",
        {"weekday": 2, "ranges": [{"start": "13:00", "end": "17:00"}, {"start": "08:00", "end": "12:00"}]},
    )
    assert hours.status_code == 200, hours.content
    assert hours.json()["hours"] == [
        {"weekday": 2, "start": "08:00", "end": "12:00"},
        {"weekday": 2, "start": "13:00", "end": "17:00"},
    ]
    added = client.post(f"{detail}holidays/", {"date": "2026-12-31", "name": "Year end"})
    assert (added.status_code, added.json()) == (201, {"date": "2026-12-31", "name": "Year end", "source": "manual"})
    seeded = client.post(f"{detail}seed-holidays/", {"year": 2026})
    assert (seeded.status_code, seeded.json()) == (200, {"added": 14})
    assert len(client.get(detail).json()["holidays"]) == 15
    assert client.delete(f"{detail}holidays/2026-12-31/").status_code == 204
    assert client.delete(f"{detail}holidays/2026-12-31/").status_code == 204  # a repeat is a no-op
    assert not Holiday.objects.filter(date=datetime.date(2026, 12, 31)).exists()
    changed = client.patch(detail, {"name": "Lagos HQ"})
    assert (changed.status_code, changed.json()["name"]) == (200, "Lagos HQ")
    assert client.delete(detail).status_code == 204
    assert (BusinessCalendar.objects.count(), BusinessHours.objects.count(), Holiday.objects.count()) == (0, 0, 0)


def test_bad_input_is_400_naming_the_field_and_writes_nothing(api_as, admin):
    calendar = BusinessCalendarFactory(name="Lagos")
    office_hours(calendar)
    HolidayFactory(calendar=calendar, date=datetime.date(2026, 12, 25))
    client, detail = api_as(admin), f"{URL}{calendar.pk}/"
    assert_error(client.post(URL, {"name": "Berlin", "time_zone": "Europe/Atlantis"}), 400, field="time_zone")
    assert_error(client.post(URL, {"name": "Lagos", "time_zone": "Africa/Lagos"}), 400, field="name")
    assert_error(client.patch(detail, {"country": "QQ"}), 400, field="country")
    overlapping = {"weekday": 0, "ranges": [{"start": "08:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}
    body = assert_error(client.post(f"{detail}hours/", overlapping), 400, field="ranges")
    assert body["fields"]["ranges"] == ["11:00-13:00 overlaps the range before it."]
    assert_error(client.post(f"{detail}hours/", {"weekday": 7, "ranges": []}), 400, field="weekday")
    assert_error(client.post(f"{detail}holidays/", {"date": "2026-12-25", "name": "Again"}), 400)
    assert_error(client.post(f"{detail}seed-holidays/", {"year": 1800}), 400, field="year")
    assert_error(client.delete(f"{detail}holidays/2026-13-45/"), 404)
    assert BusinessCalendar.objects.get().country == "NG"
    assert BusinessHours.objects.count() == 5 and Holiday.objects.count() == 1


@pytest.mark.parametrize("role", ["Agent", "Dispatcher"])
def test_agents_and_dispatchers_read_but_cannot_write(api_as, role):
    calendar = BusinessCalendarFactory(name="Lagos")
    office_hours(calendar, weekdays=[0])
    client = api_as(StaffFactory(roles=[role]))
    listed = client.get(URL)
    assert listed.status_code == 200
    assert [(row["name"], row["hours"]) for row in listed.json()["results"]] == [
        ("Lagos", [{"weekday": 0, "start": "08:00", "end": "17:00"}])
    ]
    detail = f"{URL}{calendar.pk}/"
    body = assert_error(client.post(URL, {"name": "New", "time_zone": "Africa/Lagos"}), 403)
    assert body["detail"] == "Your role may not add business calendars."
    assert_error(client.post(f"{detail}hours/", {"weekday": 0, "ranges": []}), 403)
    assert_error(client.post(f"{detail}seed-holidays/", {"year": 2026}), 403)
    assert_error(client.delete(detail), 403)
    assert BusinessHours.objects.count() == 1 and not Holiday.objects.exists()


def test_other_roles_and_portal_users_are_refused(api_as, anon_api, customer, vendor, reseller):
    calendar = BusinessCalendarFactory()
    assert_error(anon_api.get(URL), 401)
    for user in (StaffFactory(roles=["Technician"]), StaffFactory(roles=["Sales"]), customer, vendor, reseller):
        assert_error(api_as(user).get(URL), 403)
        assert_error(api_as(user).get(f"{URL}{calendar.pk}/"), 403)


@pytest.mark.parametrize("rows", [10, 100])
def test_list_queries_do_not_grow(api_as, admin, rows, django_assert_max_num_queries):
    calendars = BusinessCalendarFactory.create_batch(rows)
    for calendar in calendars:
        office_hours(calendar)
        HolidayFactory(calendar=calendar)
    client = api_as(admin)
    # The token with its user, its last-used stamp, the user's and the role's permissions, COUNT, the page, its
    # hours, its holidays.
    with django_assert_max_num_queries(8):
        response = client.get(URL, {"limit": 500})
    assert len(response.json()["results"]) == rows
    assert {len(row["hours"]) for row in response.json()["results"]} == {5}


def test_staff_read_sla_policies_in_order_with_their_rules(api_as, django_assert_max_num_queries):
    from tests.tickets.factories import SLAPolicyFactory
    from tickets.models import EscalationRule, SLACondition, SLATarget

    calendar = BusinessCalendarFactory(name="Lagos", time_zone="Africa/Lagos")
    lead = StaffFactory()
    default = SLAPolicyFactory(name="Default", position=9, calendar=calendar)
    urgent = SLAPolicyFactory(name="Urgent", position=1, calendar=calendar)
    SLACondition.objects.create(policy=urgent, field="priority", values=["urgent"])
    SLATarget.objects.create(policy=urgent, metric="resolution", minutes=240)
    EscalationRule.objects.create(
        policy=urgent, metric="resolution", kind="warn", percent=75, action="notify_user", user=lead
    )
    client = api_as(StaffFactory(roles=["Agent"]))
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/tickets/sla-policies/")
    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["Urgent", "Default"]
    assert {
        key: rows[0][key] for key in ("position", "active", "calendar", "conditions", "targets", "escalations")
    } == {
        "position": 1,
        "active": True,
        "calendar": {"id": str(calendar.pk), "name": "Lagos", "time_zone": "Africa/Lagos"},
        "conditions": [{"field": "priority", "values": ["urgent"]}],
        "targets": [{"metric": "resolution", "minutes": 240, "business_hours": True}],
        "escalations": [
            {
                "metric": "resolution",
                "kind": "warn",
                "level": 1,
                "percent": 75,
                "offset_minutes": None,
                "action": "notify_user",
                "user": str(lead.pk),
                "team": None,
                "priority": "",
            }
        ],
    }
    assert client.get(f"/api/v1/tickets/sla-policies/{default.pk}/").json()["conditions"] == []
    body = assert_error(client.post("/api/v1/tickets/sla-policies/", {"name": "New"}), 403)
    assert body["detail"] == "Your role may not add SLA policies."
