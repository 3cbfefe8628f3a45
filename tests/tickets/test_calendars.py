"""Business calendars through tickets.services: hours replaced a weekday at a time without overlaps, holidays by
hand, seeded from the `holidays` package and imported from an iCal feed over the SSRF-safe outbound client."""

import datetime
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.tickets.factories import BusinessCalendarFactory, HolidayFactory, office_hours
from tickets import services
from tickets.choices import HolidaySource
from tickets.models import BusinessCalendar, BusinessHours, Holiday

T = datetime.time


def _hours(calendar):
    return list(BusinessHours.objects.filter(calendar=calendar).values_list("weekday", "start", "end"))


def test_create_validates_time_zone_and_country(db):
    with pytest.raises(ValidationError) as caught:
        services.calendar_create(name="Lagos", time_zone="Africa/Atlantis")
    assert caught.value.message_dict == {"time_zone": ["Unknown time zone: use an IANA name such as Africa/Lagos."]}
    with pytest.raises(ValidationError) as caught:
        services.calendar_create(name="Lagos", time_zone="Africa/Lagos", country="QQ")
    assert caught.value.message_dict == {"country": ["No public holidays are known for QQ."]}
    calendar = services.calendar_create(name="Lagos", time_zone="Africa/Lagos", country="ng")
    assert (calendar.name, calendar.time_zone, calendar.country) == ("Lagos", "Africa/Lagos", "NG")


def test_an_ical_url_on_a_private_address_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        services.calendar_create(name="Lagos", time_zone="Africa/Lagos", ical_url="http://127.0.0.1/holidays.ics")
    assert caught.value.message_dict == {
        "ical_url": ["127.0.0.1 is not a public address: webhooks go to public addresses only."]
    }
    assert not BusinessCalendar.objects.exists()


def test_update_changes_only_editable_fields(db):
    calendar = BusinessCalendarFactory(name="Lagos")
    with pytest.raises(ValidationError) as caught:
        services.calendar_update(calendar_id=calendar.pk, ical_synced_at=timezone.now())
    assert caught.value.message_dict == {"ical_synced_at": ["This field cannot be set."]}
    services.calendar_update(calendar_id=calendar.pk, name="Lagos office", time_zone="Africa/Lagos")
    assert BusinessCalendar.objects.get().name == "Lagos office"


def test_a_taken_name_is_400_naming_it(db):
    BusinessCalendarFactory(name="Lagos")
    with pytest.raises(ValidationError) as caught:
        services.calendar_create(name="Lagos", time_zone="Africa/Lagos")
    assert caught.value.message_dict == {"name": ["Business calendar with this Name already exists."]}


def test_hours_set_replaces_one_weekday_only(db):
    calendar = BusinessCalendarFactory()
    office_hours(calendar)
    services.hours_set(calendar_id=calendar.pk, weekday=2, ranges=[(T(14), T(18)), (T(8), T(12))])
    services.hours_set(calendar_id=calendar.pk, weekday=6, ranges=[(T(22), T(0))])  # to midnight
    services.hours_set(calendar_id=calendar.pk, weekday=4, ranges=[])  # Friday off
    assert _hours(calendar) == [
        (0, T(8), T(17)),
        (1, T(8), T(17)),
        (2, T(8), T(12)),
        (2, T(14), T(18)),
        (3, T(8), T(17)),
        (6, T(22), T(0)),
    ]


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ([(T(8), T(12)), (T(11), T(13))], "11:00-13:00 overlaps the range before it."),
        ([(T(12), T(8))], "12:00-08:00: the end must come after the start."),
        ([(T(8), T(8))], "08:00-08:00: the end must come after the start."),
        ([(T(8, 0, 30), T(9))], "08:00-09:00: give whole minutes."),
    ],
)
def test_bad_or_overlapping_ranges_are_400_and_change_nothing(db, ranges, message):
    calendar = BusinessCalendarFactory()
    office_hours(calendar)
    with pytest.raises(ValidationError) as caught:
        services.hours_set(calendar_id=calendar.pk, weekday=0, ranges=ranges)
    assert caught.value.message_dict == {"ranges": [message]}
    assert _hours(calendar)[0] == (0, T(8), T(17))
    assert len(_hours(calendar)) == 5


def test_touching_ranges_are_allowed(db):
    calendar = BusinessCalendarFactory()
    services.hours_set(calendar_id=calendar.pk, weekday=0, ranges=[(T(8), T(12)), (T(12), T(13))])
    assert _hours(calendar) == [(0, T(8), T(12)), (0, T(12), T(13))]


def test_a_weekday_out_of_range_is_400(db):
    calendar = BusinessCalendarFactory()
    with pytest.raises(ValidationError) as caught:
        services.hours_set(calendar_id=calendar.pk, weekday=7, ranges=[])
    assert caught.value.message_dict == {"weekday": ["Give a weekday from 0 (Monday) to 6 (Sunday)."]}


def test_holiday_add_refuses_a_second_holiday_on_a_date(db):
    calendar = BusinessCalendarFactory()
    services.holiday_add(calendar_id=calendar.pk, date=datetime.date(2026, 6, 12), name="Democracy Day")
    with pytest.raises(ValidationError) as caught:
        services.holiday_add(calendar_id=calendar.pk, date=datetime.date(2026, 6, 12), name="Again")
    assert caught.value.message_dict == {"__all__": ["Holiday with this Calendar and Date already exists."]}
    assert services.holiday_delete(calendar_id=calendar.pk, date=datetime.date(2026, 6, 12)) == 1
    assert services.holiday_delete(calendar_id=calendar.pk, date=datetime.date(2026, 6, 12)) == 0


def test_seeding_adds_the_country_holidays_once_and_keeps_manual_ones(db):
    calendar = BusinessCalendarFactory(country="NG")
    HolidayFactory(calendar=calendar, date=datetime.date(2026, 12, 25), name="Office Christmas")
    added = services.holidays_seed(calendar_id=calendar.pk, year=2026)
    assert added == 13  # 14 Nigerian public holidays in 2026, Christmas entered by hand already
    assert services.holidays_seed(calendar_id=calendar.pk, year=2026) == 0
    christmas = Holiday.objects.get(calendar=calendar, date=datetime.date(2026, 12, 25))
    assert (christmas.name, christmas.source) == ("Office Christmas", HolidaySource.MANUAL)
    democracy = Holiday.objects.get(calendar=calendar, date=datetime.date(2026, 6, 12))
    assert (democracy.name, democracy.source) == ("Democracy Day", HolidaySource.SEEDED)


def test_seeding_another_country_or_none(db):
    calendar = BusinessCalendarFactory(country="", time_zone="Europe/Berlin")
    with pytest.raises(ValidationError) as caught:
        services.holidays_seed(calendar_id=calendar.pk, year=2026)
    assert caught.value.message_dict == {"country": ["Give a country: the calendar has none."]}
    with pytest.raises(ValidationError) as caught:
        services.holidays_seed(calendar_id=calendar.pk, year=2026, country="QQ")
    assert caught.value.message_dict == {"country": ["No public holidays are known for QQ."]}
    assert services.holidays_seed(calendar_id=calendar.pk, year=2026, country="de", subdivision="BY") == 12


ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:1\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261227\r
SUMMARY:Christmas shutdown\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2\r
DTSTART:20260601T230000Z\r
DTEND:20260602T010000Z\r
SUMMARY:Stocktake\r
END:VEVENT\r
END:VCALENDAR\r
"""


class _Feed:
    """An iCal feed on a local port answering `body` with `status`."""

    def __init__(self, body=ICS, status=200):
        feed = self
        self.body, self.status, self.hits = body, status, 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                feed.hits += 1
                self.send_response(feed.status)
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/holidays.ics"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_ical_import_replaces_imported_dates_and_keeps_others(db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the feed runs on 127.0.0.1
    now = timezone.now()
    with _Feed() as feed:
        calendar = services.calendar_create(name="Lagos", time_zone="Africa/Lagos", ical_url=feed.url)
        HolidayFactory(calendar=calendar, date=datetime.date(2026, 12, 25), name="Christmas")
        HolidayFactory(calendar=calendar, date=datetime.date(2025, 1, 1), source=HolidaySource.ICAL)
        assert services.holidays_import_ical(calendar_id=calendar.pk, now=now) == 3
        assert services.holidays_import_ical(calendar_id=calendar.pk, now=now) == 3  # a re-import replaces
    rows = list(Holiday.objects.filter(calendar=calendar).values_list("date", "name", "source"))
    # 23:00Z-01:00Z is 00:00-02:00 in Lagos (UTC+1): one local date. The 2025 import is gone.
    assert rows == [
        (datetime.date(2026, 6, 2), "Stocktake", HolidaySource.ICAL),
        (datetime.date(2026, 12, 24), "Christmas shutdown", HolidaySource.ICAL),
        (datetime.date(2026, 12, 25), "Christmas", HolidaySource.MANUAL),
        (datetime.date(2026, 12, 26), "Christmas shutdown", HolidaySource.ICAL),
    ]
    assert BusinessCalendar.objects.get().ical_synced_at == now


def test_ical_import_from_a_private_address_is_refused_when_fetched(db, settings):
    with _Feed() as feed:
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
        calendar = services.calendar_create(name="Lagos", time_zone="Africa/Lagos", ical_url=feed.url)
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
        with pytest.raises(ValidationError) as caught:
            services.holidays_import_ical(calendar_id=calendar.pk)
        assert feed.hits == 0
    assert caught.value.message_dict == {
        "ical_url": ["The iCal feed could not be read: 127.0.0.1 is not a public address."]
    }
    assert not Holiday.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [(b"not a calendar", 200, None), (ICS, 404, "the feed answered HTTP 404")],
)
def test_a_broken_feed_is_400_and_changes_nothing(db, settings, body, status, reason):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with _Feed(body, status) as feed:
        calendar = services.calendar_create(name="Lagos", time_zone="Africa/Lagos", ical_url=feed.url)
        HolidayFactory(calendar=calendar, date=datetime.date(2025, 1, 1), source=HolidaySource.ICAL)
        with pytest.raises(ValidationError) as caught:
            services.holidays_import_ical(calendar_id=calendar.pk)
    (message,) = caught.value.message_dict["ical_url"]
    assert message.startswith("The iCal feed could not be read: ")
    if reason:
        assert message == f"The iCal feed could not be read: {reason}."
    assert Holiday.objects.count() == 1
    assert BusinessCalendar.objects.get().ical_synced_at is None


def test_deleting_a_calendar_removes_its_hours_and_holidays(db):
    calendar = BusinessCalendarFactory()
    office_hours(calendar)
    HolidayFactory(calendar=calendar)
    services.calendar_delete(calendar_id=calendar.pk)
    assert (BusinessCalendar.objects.count(), BusinessHours.objects.count(), Holiday.objects.count()) == (0, 0, 0)


def test_the_nightly_sync_imports_every_feed_and_survives_a_broken_one(db, settings):
    from omni.celery import app
    from tickets.tasks import calendars_ical_sync

    entry = django_settings.CELERY_BEAT_SCHEDULE["tickets-calendars-ical-sync"]
    assert entry["task"] == calendars_ical_sync.name and entry["task"] in app.tasks
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with _Feed() as good, _Feed(b"gone", 410) as gone:
        services.calendar_create(name="Lagos", time_zone="Africa/Lagos", ical_url=good.url)
        services.calendar_create(name="Abuja", time_zone="Africa/Lagos", ical_url=gone.url)
        BusinessCalendarFactory(name="No feed")
        assert services.holidays_import_all(now=timezone.now()) == {
            "Abuja": "The iCal feed could not be read: the feed answered HTTP 410.",
            "Lagos": 4,
        }
        calendars_ical_sync()  # the task, run here: the same dates again, none twice
        assert (good.hits, gone.hits) == (2, 2)
    assert set(Holiday.objects.values_list("calendar__name", flat=True)) == {"Lagos"}
    assert Holiday.objects.count() == 4
