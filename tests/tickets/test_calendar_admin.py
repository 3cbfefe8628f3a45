"""The calendars' admin and the calendar_holidays command write through tickets.services: the same checks as
the API (overlapping hours refused, seeded dates never overwrite others)."""

import datetime
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command

from tests.admin_support import admin_form_data
from tests.tickets.factories import BusinessCalendarFactory, HolidayFactory, office_hours
from tickets.choices import HolidaySource
from tickets.models import BusinessCalendar, BusinessHours, Holiday

T = datetime.time


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


def _hours(calendar):
    return list(BusinessHours.objects.filter(calendar=calendar).values_list("weekday", "start", "end"))


def _change(admin, calendar, **changes):
    url = f"/admin/tickets/businesscalendar/{calendar.pk}/change/"
    return admin.post(url, admin_form_data(admin.get(url), **changes))


def test_hours_edited_inline_replace_the_weekday_through_the_service(admin):
    calendar = BusinessCalendarFactory()
    office_hours(calendar, weekdays=[0, 1])
    response = _change(
        admin,
        calendar,
        **{"hours-0-end": "12:00", "hours-TOTAL_FORMS": "3", "hours-2-weekday": "0", "hours-2-start": "13:00"},
        **{"hours-2-end": "17:00", "hours-1-DELETE": "on"},
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert _hours(calendar) == [(0, T(8), T(12)), (0, T(13), T(17))]


def test_overlapping_hours_from_the_admin_are_refused_and_change_nothing(admin):
    calendar = BusinessCalendarFactory()
    office_hours(calendar, weekdays=[0])
    response = _change(
        admin,
        calendar,
        **{"hours-TOTAL_FORMS": "2", "hours-1-weekday": "0", "hours-1-start": "16:00", "hours-1-end": "18:00"},
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "ranges: 16:00-18:00 overlaps the range before it."
    ]
    assert _hours(calendar) == [(0, T(8), T(17))]


def test_holidays_added_inline_are_manual_and_a_moved_one_is_re_added(admin):
    calendar = BusinessCalendarFactory()
    HolidayFactory(calendar=calendar, date=datetime.date(2026, 6, 12), name="Democracy Day", source="seeded")
    response = _change(
        admin,
        calendar,
        **{"holidays-0-date": "2026-06-15", "holidays-TOTAL_FORMS": "2"},
        **{"holidays-1-date": "2026-12-31", "holidays-1-name": "Year end"},
    )
    assert response.status_code == 302
    assert list(Holiday.objects.values_list("date", "name", "source")) == [
        (datetime.date(2026, 6, 15), "Democracy Day", HolidaySource.MANUAL),
        (datetime.date(2026, 12, 31), "Year end", HolidaySource.MANUAL),
    ]


def test_a_calendar_added_in_the_admin_is_created_by_the_service(admin):
    page = admin.get("/admin/tickets/businesscalendar/add/")
    bad = admin.post("/admin/tickets/businesscalendar/add/", admin_form_data(page, name="X", time_zone="Mars/Olympus"))
    assert bad.status_code == 200 and not BusinessCalendar.objects.exists()
    response = admin.post(
        "/admin/tickets/businesscalendar/add/",
        admin_form_data(page, name="Lagos", time_zone="Africa/Lagos", country="ng"),
    )
    assert response.status_code == 302
    assert list(BusinessCalendar.objects.values_list("name", "country")) == [("Lagos", "NG")]


def test_the_seed_action_adds_this_and_next_years_holidays(admin):
    calendar = BusinessCalendarFactory(country="NG")
    no_country = BusinessCalendarFactory(country="", name="Nowhere")
    response = admin.post(
        "/admin/tickets/businesscalendar/",
        {"action": "seed_holidays", "_selected_action": [str(calendar.pk), str(no_country.pk)]},
    )
    assert response.status_code == 302
    added = Holiday.objects.filter(calendar=calendar).count()
    assert added > 20 and not Holiday.objects.filter(calendar=no_country).exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Nowhere: country: Give a country: the calendar has none.",
        f"{added} holiday(s) added.",
    ]


def test_the_other_lists_show_and_deleting_in_the_admin_goes_through_the_service(admin):
    calendar = BusinessCalendarFactory()
    office_hours(calendar)
    holiday = HolidayFactory(calendar=calendar)
    for page in ("businesscalendar", "businesshours", "holiday"):
        assert admin.get(f"/admin/tickets/{page}/?q=Calendar").status_code == 200, page
    assert admin.post(f"/admin/tickets/holiday/{holiday.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Holiday.objects.exists()
    assert admin.post(f"/admin/tickets/businesscalendar/{calendar.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not BusinessCalendar.objects.exists() and not BusinessHours.objects.exists()


def test_the_command_seeds_named_calendars_and_reports_each_year(db):
    calendar = BusinessCalendarFactory(name="Lagos", country="NG")
    out = StringIO()
    call_command("calendar_holidays", "Lagos", "--year", "2026", "--year", "2027", stdout=out, stderr=StringIO())
    by_year = {year: Holiday.objects.filter(calendar=calendar, date__year=year).count() for year in (2026, 2027)}
    assert out.getvalue().splitlines() == [
        f"Lagos 2026: {by_year[2026]} holiday(s) added",
        f"Lagos 2027: {by_year[2027]} holiday(s) added",
        f"{by_year[2026] + by_year[2027]} holiday(s) added to 1 calendar(s).",
    ]
    assert by_year[2026] == 14
    out = StringIO()
    call_command("calendar_holidays", str(calendar.pk), "--year", "2026", stdout=out)
    assert out.getvalue().splitlines() == ["Lagos 2026: 0 holiday(s) added", "0 holiday(s) added to 1 calendar(s)."]


def test_the_command_refuses_unknown_calendars_and_countries(db):
    BusinessCalendarFactory(name="Berlin", country="")
    with pytest.raises(CommandError, match="No business calendar is named 'Paris'"):
        call_command("calendar_holidays", "Paris", "--year", "2026")
    with pytest.raises(CommandError, match="Berlin, 2026: country: Give a country: the calendar has none."):
        call_command("calendar_holidays", "Berlin", "--year", "2026")
    with pytest.raises(CommandError, match="Name one calendar, or give --all."):
        call_command("calendar_holidays", "--year", "2026")
    out = StringIO()
    call_command("calendar_holidays", "Berlin", "--year", "2026", "--country", "DE", stdout=out)
    assert out.getvalue().splitlines()[-1] == "9 holiday(s) added to 1 calendar(s)."
    BusinessCalendarFactory(name="Lagos", country="NG")
    out = StringIO()
    call_command("calendar_holidays", "--all", "--year", "2026", stdout=out)  # calendars with a country only
    assert out.getvalue().splitlines() == ["Lagos 2026: 14 holiday(s) added", "14 holiday(s) added to 1 calendar(s)."]
