"""Business-time arithmetic over a calendar (DOMAIN.md C.6): pure functions, no database.

A CalendarSpec holds a time zone, the working ranges of each weekday in wall-clock minutes and the holiday
dates. Each business range of a day is turned into an instant interval by building its wall-clock ends in the
calendar's zone with zoneinfo; all counting is then in real elapsed time between those instants. So a range
keeps its wall-clock times across a DST change (Berlin's 08:00-17:00 is 08:00-17:00 local on both sides of the
March change), and an hour of business time is an hour that really passed. A wall-clock time that does not exist
(skipped by a spring change) maps forward, as zoneinfo's fold=0 does; one that repeats takes its first instance.

Both functions walk days, O(days + ranges), and give up with ValueError after MAX_DAYS days without enough
business time (a calendar without hours, or a year of holidays), rather than loop forever.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

MAX_DAYS = 400
DAY_MINUTES = 24 * 60
ZERO = datetime.timedelta(0)


@dataclass(frozen=True)
class CalendarSpec:
    """`hours[weekday]` (0 = Monday): sorted, non-overlapping (start, end) minutes of the day, end up to 1440
    (midnight at the day's end). Days missing from `hours` have no business time."""

    zone: ZoneInfo
    hours: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: frozenset[datetime.date] = frozenset()


def _instant(spec: CalendarSpec, day: datetime.date, minute: int) -> datetime.datetime:
    """The instant (UTC) of wall-clock `minute` of `day` in the calendar's zone; 1440 is the next midnight."""
    day, minute = (day + datetime.timedelta(days=1), 0) if minute >= DAY_MINUTES else (day, minute)
    local = datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), tzinfo=spec.zone)
    return local.astimezone(datetime.UTC)


def _intervals(spec: CalendarSpec, day: datetime.date) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
    """The business intervals of one local day, as UTC instants, in order."""
    if day in spec.holidays:
        return
    for start, end in spec.hours.get(day.weekday(), ()):
        begin, finish = _instant(spec, day, start), _instant(spec, day, end)
        if finish > begin:  # a range inside a skipped DST hour is empty
            yield begin, finish


def _aware(value: datetime.datetime, name: str) -> datetime.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(datetime.UTC)


def add_business(spec: CalendarSpec, start: datetime.datetime, duration: datetime.timedelta) -> datetime.datetime:
    """The instant `duration` of business time after `start` (UTC). A due moment that falls at the end of a range
    is that end, not the next range's start. ValueError when `duration` is negative or MAX_DAYS days hold too
    little business time."""
    start = _aware(start, "start")
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    if duration == ZERO:
        return start
    if not any(spec.hours.get(day) for day in range(7)):
        raise ValueError("the calendar has no business hours")
    remaining = duration
    day = start.astimezone(spec.zone).date()
    for _step in range(MAX_DAYS):
        for begin, finish in _intervals(spec, day):
            if finish <= start:
                continue
            begin = max(begin, start)
            if finish - begin >= remaining:
                return begin + remaining
            remaining -= finish - begin
        day += datetime.timedelta(days=1)
    raise ValueError(f"no {duration} of business time within {MAX_DAYS} days of {start.isoformat()}")


def business_between(spec: CalendarSpec, a: datetime.datetime, b: datetime.datetime) -> datetime.timedelta:
    """The business time in [a, b); zero when b is not after a."""
    a, b = _aware(a, "a"), _aware(b, "b")
    total = ZERO
    if b <= a:
        return total
    day, last = a.astimezone(spec.zone).date(), b.astimezone(spec.zone).date()
    while day <= last:
        for begin, finish in _intervals(spec, day):
            overlap = min(finish, b) - max(begin, a)
            if overlap > ZERO:
                total += overlap
        day += datetime.timedelta(days=1)
    return total


def target_due(
    spec: CalendarSpec, start: datetime.datetime, duration: datetime.timedelta, *, business_hours: bool
) -> datetime.datetime:
    """When a target of `duration` started at `start` is due: in business time on the calendar, or round the
    clock (SLATarget.business_hours off: holidays and nights count too)."""
    return add_business(spec, start, duration) if business_hours else _aware(start, "start") + duration
