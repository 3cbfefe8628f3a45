"""Business-time arithmetic to the minute (issue 10's "Done when"), and properties over random moments."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tickets.factories import BusinessCalendarFactory, HolidayFactory, office_hours
from tickets import selectors, services
from tickets.business_time import MAX_DAYS, CalendarSpec, add_business, business_between

LAGOS, BERLIN = ZoneInfo("Africa/Lagos"), ZoneInfo("Europe/Berlin")
OFFICE = dict.fromkeys(range(5), ((8 * 60, 17 * 60),))  # Mon-Fri 08:00-17:00
H = datetime.timedelta(hours=1)


def at(zone, *args):
    return datetime.datetime(*args, tzinfo=zone)


def lagos(holidays=()):
    return CalendarSpec(zone=LAGOS, hours=OFFICE, holidays=frozenset(holidays))


def test_friday_afternoon_plus_two_hours_is_monday_morning():
    # Fri 4 Dec 2026 16:30: 30 min on Friday, 1 h 30 on Monday.
    assert add_business(lagos(), at(LAGOS, 2026, 12, 4, 16, 30), 2 * H) == at(LAGOS, 2026, 12, 7, 9, 30)


def test_with_monday_a_holiday_it_is_tuesday_morning():
    spec = lagos(holidays=[datetime.date(2026, 12, 7)])
    assert add_business(spec, at(LAGOS, 2026, 12, 4, 16, 30), 2 * H) == at(LAGOS, 2026, 12, 8, 9, 30)


def test_a_paused_clock_resumes_with_what_was_left():
    spec = lagos()
    started = at(LAGOS, 2026, 12, 8, 8)  # Tue 08:00, 5 h target: due Tue 13:00
    due = add_business(spec, started, 5 * H)
    assert due == at(LAGOS, 2026, 12, 8, 13)
    paused = at(LAGOS, 2026, 12, 8, 10)
    remaining = business_between(spec, paused, due)
    assert remaining == 3 * H
    # Resumed Wed 14:00: three hours later is the day's end.
    assert add_business(spec, at(LAGOS, 2026, 12, 9, 14), remaining) == at(LAGOS, 2026, 12, 9, 17)
    # What was spent before the pause, and none of the paused time, counts as elapsed.
    resumed, done = at(LAGOS, 2026, 12, 9, 14), at(LAGOS, 2026, 12, 9, 17)
    assert business_between(spec, started, paused) + business_between(spec, resumed, done) == 5 * H


def test_berlin_across_the_march_dst_change_counts_the_wall_clock():
    spec = CalendarSpec(zone=BERLIN, hours=OFFICE)
    # Fri 27 Mar 2026 16:00 CET (+01:00); clocks go forward on Sun 29 Mar; Mon is CEST (+02:00).
    start = at(BERLIN, 2026, 3, 27, 16)
    due = add_business(spec, start, 2 * H)
    assert due == at(BERLIN, 2026, 3, 30, 9)
    assert due.astimezone(BERLIN).isoformat() == "2026-03-30T09:00:00+02:00"
    assert due == datetime.datetime(2026, 3, 30, 7, tzinfo=datetime.UTC)
    assert business_between(spec, start, due) == 2 * H
    # A full week across the change holds five whole 9-hour days.
    assert business_between(spec, at(BERLIN, 2026, 3, 23), at(BERLIN, 2026, 3, 30)) == 45 * H
    assert business_between(spec, at(BERLIN, 2026, 3, 26), at(BERLIN, 2026, 4, 2)) == 45 * H


def test_a_round_the_clock_day_over_the_dst_change_is_the_hours_that_passed():
    spec = CalendarSpec(zone=BERLIN, hours=dict.fromkeys(range(7), ((0, 1440),)))
    assert business_between(spec, at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)) == 23 * H
    assert business_between(spec, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)) == 25 * H
    assert add_business(spec, at(BERLIN, 2026, 3, 29), 23 * H) == at(BERLIN, 2026, 3, 30)


def test_several_ranges_a_day_and_a_start_outside_hours():
    spec = CalendarSpec(zone=LAGOS, hours={0: ((8 * 60, 12 * 60), (13 * 60, 17 * 60))})
    assert add_business(spec, at(LAGOS, 2026, 12, 7, 11), 2 * H) == at(LAGOS, 2026, 12, 7, 14)
    assert add_business(spec, at(LAGOS, 2026, 12, 7, 12, 30), H) == at(LAGOS, 2026, 12, 7, 14)
    assert add_business(spec, at(LAGOS, 2026, 12, 7, 18), H) == at(LAGOS, 2026, 12, 14, 9)
    assert business_between(spec, at(LAGOS, 2026, 12, 7, 11), at(LAGOS, 2026, 12, 7, 14)) == 2 * H


def test_a_due_moment_at_a_range_end_stays_there():
    assert add_business(lagos(), at(LAGOS, 2026, 12, 7, 8), 9 * H) == at(LAGOS, 2026, 12, 7, 17)


def test_zero_duration_and_reversed_bounds():
    start = at(LAGOS, 2026, 12, 5, 3)  # a Saturday night
    assert add_business(lagos(), start, datetime.timedelta(0)) == start
    assert business_between(lagos(), start, start - H) == datetime.timedelta(0)


def test_no_business_time_for_too_long_is_an_error_not_a_loop():
    with pytest.raises(ValueError, match="no business hours"):
        add_business(CalendarSpec(zone=LAGOS), at(LAGOS, 2026, 12, 7), H)
    year_off = {datetime.date(2026, 12, 7) + datetime.timedelta(days=n) for n in range(MAX_DAYS + 7)}
    with pytest.raises(ValueError, match=f"within {MAX_DAYS} days"):
        add_business(lagos(year_off), at(LAGOS, 2026, 12, 7), H)
    with pytest.raises(ValueError, match="negative"):
        add_business(lagos(), at(LAGOS, 2026, 12, 7), -H)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business(lagos(), datetime.datetime(2026, 12, 7), H)


SPECS = [
    lagos(holidays=[datetime.date(2026, 12, 25), datetime.date(2026, 12, 28), datetime.date(2027, 1, 1)]),
    CalendarSpec(zone=BERLIN, hours={**OFFICE, 5: ((9 * 60, 13 * 60),)}),
    CalendarSpec(zone=BERLIN, hours=dict.fromkeys(range(7), ((0, 1440),))),  # DST days are 23 and 25 h
    CalendarSpec(
        zone=ZoneInfo("America/New_York"), hours=dict.fromkeys(range(7), ((60, 150), (150, 180), (22 * 60, 1440)))
    ),
]
moments = st.datetimes(
    min_value=datetime.datetime(2026, 1, 1), max_value=datetime.datetime(2027, 12, 31), timezones=st.just(datetime.UTC)
)


@settings(max_examples=300, deadline=None)
@given(spec=st.sampled_from(SPECS), start=moments, minutes=st.integers(min_value=0, max_value=60 * 24 * 40))
def test_business_between_undoes_add_business(spec, start, minutes):
    duration = datetime.timedelta(minutes=minutes)
    due = add_business(spec, start, duration)
    assert due >= start
    assert business_between(spec, start, due) == duration


@settings(max_examples=200, deadline=None)
@given(spec=st.sampled_from(SPECS), a=moments, b=moments, c=moments)
def test_business_between_adds_up_over_consecutive_spans(spec, a, b, c):
    a, b, c = sorted([a, b, c])
    assert business_between(spec, a, b) + business_between(spec, b, c) == business_between(spec, a, c)
    assert business_between(spec, a, c) <= c - a


def test_calendar_spec_reads_a_calendar_in_three_queries(db, django_assert_num_queries):
    calendar = BusinessCalendarFactory(time_zone="Africa/Lagos")
    office_hours(calendar)
    services.hours_set(calendar_id=calendar.pk, weekday=5, ranges=[(datetime.time(22), datetime.time(0))])
    HolidayFactory.create_batch(30, calendar=calendar)
    HolidayFactory(calendar=calendar, date=datetime.date(2026, 12, 7))
    with django_assert_num_queries(3):  # the calendar, its hours, its holidays
        spec = selectors.calendar_spec(calendar_id=calendar.pk)
    assert spec.zone == LAGOS
    assert spec.hours == {**OFFICE, 5: ((22 * 60, 1440),), 6: ()}
    assert len(spec.holidays) == 31
    # Half an hour on Friday, then Saturday night's range (Monday 7 December is a holiday).
    assert add_business(spec, at(LAGOS, 2026, 12, 4, 16, 30), 2 * H) == at(LAGOS, 2026, 12, 5, 23, 30)
