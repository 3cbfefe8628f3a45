"""Business hours of a channel (issue 11): `business_hours_open(channel, at)` for the auto-reply, the rules'
"business hours" condition and the web chat widget's offline mode; `business_hours_validate(value)` for whoever
edits a channel's settings.

A channel's `config["business_hours"]`:
    {"time_zone": "Africa/Lagos",                       # IANA name; TIME_ZONE when absent
     "days": {"mon": [["08:00", "17:00"]], "sat": [["09:00", "13:00"]], ...},   # absent day: closed
     "holidays": ["2026-12-25", ...]}                    # local dates, closed all day
A channel without business hours is always open. Times are wall-clock times in the channel's time zone, so a
range keeps meaning 08:00-17:00 local on both sides of a DST change (zoneinfo). "24:00" ends a range at midnight;
a range across midnight is written as two ranges."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time.max
# How far ahead the next opening is searched (closed_period_key): a channel closed longer has one closed period.
HORIZON_DAYS = 31


def _clock(value: str, *, end: bool = False) -> time:
    if end and value == "24:00":
        return END_OF_DAY
    return time.fromisoformat(value)


def _hours(channel) -> dict | None:
    config = getattr(channel, "config", None) or {}
    hours = config.get("business_hours")
    return hours if isinstance(hours, dict) and hours.get("days") is not None else None


def _zone(hours: dict) -> ZoneInfo:
    try:
        return ZoneInfo(hours.get("time_zone") or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _ranges(hours: dict, day: date) -> list[tuple[time, time]]:
    """The open ranges of a local date (none on a holiday). Malformed entries are skipped (validated on save)."""
    if day.isoformat() in set(hours.get("holidays") or ()):
        return []
    out = []
    for pair in (hours.get("days") or {}).get(DAYS[day.weekday()]) or ():
        try:
            out.append((_clock(pair[0]), _clock(pair[1], end=True)))
        except (TypeError, ValueError, IndexError):
            continue
    return sorted(out)


def business_hours_open(channel, at: datetime | None = None) -> bool:
    """Whether the channel is within its business hours at `at` (now when None). No hours configured: open."""
    hours = _hours(channel)
    if hours is None:
        return True
    local = (at or timezone.now()).astimezone(_zone(hours))
    clock = local.time().replace(tzinfo=None)
    return any(start <= clock < end for start, end in _ranges(hours, local.date()))


def next_opening(channel, at: datetime | None = None) -> datetime | None:
    """When the channel next opens after `at` (an aware datetime), or None when it opens within no range of the
    next HORIZON_DAYS days (or has no hours). Nonexistent wall-clock times in a DST gap resolve by zoneinfo's fold."""
    hours = _hours(channel)
    if hours is None:
        return None
    at = at or timezone.now()
    zone = _zone(hours)
    local = at.astimezone(zone)
    for offset in range(HORIZON_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for start, _end in _ranges(hours, day):
            candidate = datetime.combine(day, start, tzinfo=zone)
            if candidate > at:
                return candidate
    return None


def closed_period_key(channel, at: datetime | None = None) -> str:
    """A name for the closed period `at` falls in: the UTC time it ends (the next opening), the same for every
    moment of one evening, weekend or holiday; "closed" for a channel that never opens again within the horizon."""
    opening = next_opening(channel, at)
    return opening.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ") if opening else "closed"


def business_hours_validate(value) -> dict:
    """The cleaned business-hours setting, or ValidationError({"business_hours": [...]}) naming what is wrong."""
    errors = []
    if not isinstance(value, dict):
        raise ValidationError({"business_hours": [_("Business hours must be an object.")]})
    zone = value.get("time_zone") or settings.TIME_ZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(_("Unknown time zone %(z)s.") % {"z": zone})
    days = value.get("days") or {}
    if not isinstance(days, dict):
        errors.append(_("Days must map mon..sun to lists of [start, end] times."))
        days = {}
    for name, ranges in days.items():
        if name not in DAYS:
            errors.append(_("Unknown day %(d)s (use %(days)s).") % {"d": name, "days": ", ".join(DAYS)})
            continue
        for pair in ranges or ():
            try:
                start, end = _clock(pair[0]), _clock(pair[1], end=True)
            except (TypeError, ValueError, IndexError):
                errors.append(_('%(d)s: %(p)s is not a ["HH:MM", "HH:MM"] range.') % {"d": name, "p": pair})
                continue
            if end <= start:
                errors.append(_("%(d)s: a range must end after it starts (%(p)s).") % {"d": name, "p": pair})
    holidays = value.get("holidays") or []
    for item in holidays if isinstance(holidays, list) else [holidays]:
        try:
            date.fromisoformat(str(item))
        except ValueError:
            errors.append(_("Holiday %(h)s is not a YYYY-MM-DD date.") % {"h": item})
    if errors:
        raise ValidationError({"business_hours": errors})
    return {"time_zone": zone, "days": days, "holidays": list(holidays) if isinstance(holidays, list) else []}
