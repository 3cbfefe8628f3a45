"""Every write to tickets' data (STYLE.md section 3): validation, transactions, row locks. The API, the admin,
the management commands and the tasks all call these, so a rule holds on every path in."""

import datetime
import logging
import zoneinfo
from collections.abc import Iterable
from uuid import UUID

import holidays as holidays_package
import httpx
import icalendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import net
from omni.db import violated_constraint
from omni.exceptions import Conflict
from omni.models import User

from ..choices import HolidaySource
from ..models import CALENDAR_NAME_UNIQUE, HOLIDAY_UNIQUE, MIDNIGHT, BusinessCalendar, BusinessHours, Holiday

logger = logging.getLogger(__name__)

CALENDAR_EDITABLE = ("name", "time_zone", "country", "ical_url")
ICAL_MAX_BYTES = 2 * 1024 * 1024  # a year of holidays is a few kilobytes; a bigger answer is cut off, not parsed
ICAL_MAX_DAYS = 2000  # holiday dates one import may add: a feed of daily events is not a holiday list


def _save(obj, **kwargs) -> None:
    """Save in a savepoint: when a concurrent request took a unique value after full_clean() looked, the
    database's constraint decides and the loser gets Conflict (409), not a 500."""
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        constraint = violated_constraint(exc)
        if constraint == CALENDAR_NAME_UNIQUE:
            msg = _("Another calendar took this name meanwhile.")
            raise Conflict(msg, fields={"name": [msg]}) from exc
        if constraint == HOLIDAY_UNIQUE:
            msg = _("This calendar has a holiday on this date already.")
            raise Conflict(msg, fields={"date": [msg]}) from exc
        raise


def _calendar_check(calendar: BusinessCalendar) -> None:
    """full_clean() plus what needs the outside world: a country the holidays package knows, an iCal URL on a
    public address (as webhooks: notifications.net)."""
    calendar.full_clean()
    if calendar.country and calendar.country not in holidays_package.list_supported_countries():
        raise ValidationError({"country": [_("No public holidays are known for %s.") % calendar.country]})
    if calendar.ical_url:
        try:
            net.url_check(calendar.ical_url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS)
        except net.UnsafeURL as exc:
            raise ValidationError({"ical_url": [str(exc)]}) from None


@transaction.atomic
def calendar_create(
    *, name: str, time_zone: str, country: str = "", ical_url: str = "", by: User | None = None
) -> BusinessCalendar:
    """A calendar without hours (no business time passes until hours_set gives some). ValidationError (400)
    keyed by field; Conflict (409) if the name was taken meanwhile."""
    calendar = BusinessCalendar(name=name, time_zone=time_zone, country=country or "", ical_url=ical_url or "")
    _calendar_check(calendar)
    _save(calendar)
    return calendar


@transaction.atomic
def calendar_update(*, calendar_id: UUID, by: User | None = None, **fields) -> BusinessCalendar:
    """Change CALENDAR_EDITABLE fields; anything else is a 400 naming it. Locks the row; unchanged values write
    nothing."""
    unknown = set(fields) - set(CALENDAR_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    changed = [name for name, value in fields.items() if getattr(calendar, name) != value]
    if not changed:
        return calendar
    for name in changed:
        setattr(calendar, name, fields[name])
    _calendar_check(calendar)
    _save(calendar, update_fields=[*changed, "updated_at"])
    return calendar


@transaction.atomic
def calendar_delete(*, calendar_id: UUID, by: User | None = None) -> None:
    """Delete a calendar with its hours and holidays. Conflict (409) while an SLA policy uses it (the policy's
    foreign key protects it)."""
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    try:
        with transaction.atomic():
            calendar.delete()
    except ProtectedError as exc:
        names = sorted({str(obj) for obj in exc.protected_objects})
        msg = _("SLA policies use this calendar: %s.") % ", ".join(names)
        raise Conflict(msg) from exc


def _ranges_clean(ranges: Iterable[tuple[datetime.time, datetime.time]]) -> list[tuple[datetime.time, datetime.time]]:
    """The ranges sorted by start; ValidationError on `ranges` naming the first bad or overlapping one."""

    def minutes(value: datetime.time, *, end: bool) -> int:
        return 24 * 60 if end and value == MIDNIGHT else value.hour * 60 + value.minute

    cleaned = sorted((start, end) for start, end in ranges)
    previous_end = -1
    for start, end in cleaned:
        label = f"{start:%H:%M}-{end:%H:%M}"
        if start.second or start.microsecond or end.second or end.microsecond:
            raise ValidationError({"ranges": [_("%s: give whole minutes.") % label]})
        if minutes(end, end=True) <= minutes(start, end=False):
            raise ValidationError({"ranges": [_("%s: the end must come after the start.") % label]})
        if minutes(start, end=False) < previous_end:
            raise ValidationError({"ranges": [_("%s overlaps the range before it.") % label]})
        previous_end = minutes(end, end=True)
    return cleaned


@transaction.atomic
def hours_set(
    *, calendar_id: UUID, weekday: int, ranges: Iterable[tuple[datetime.time, datetime.time]], by: User | None = None
) -> list[BusinessHours]:
    """Replace the business hours of one weekday (0 = Monday) with `ranges` ([start, end) pairs; an end of 00:00
    is midnight; none: a day off), in one transaction with the calendar locked, so two editors never interleave.
    ValidationError on `ranges` (bad or overlapping ranges) or `weekday`; nothing changes then."""
    if weekday not in range(7):
        raise ValidationError({"weekday": [_("Give a weekday from 0 (Monday) to 6 (Sunday).")]})
    cleaned = _ranges_clean(ranges)
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    BusinessHours.objects.filter(calendar=calendar, weekday=weekday).delete()
    rows = BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=weekday, start=start, end=end) for start, end in cleaned
    )
    BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
    return rows


@transaction.atomic
def holiday_add(*, calendar_id: UUID, date: datetime.date, name: str, by: User | None = None) -> Holiday:
    """A holiday entered by hand. ValidationError (400) keyed by field, a date taken included."""
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    holiday = Holiday(calendar=calendar, date=date, name=name, source=HolidaySource.MANUAL)
    holiday.full_clean()
    _save(holiday)
    return holiday


@transaction.atomic
def holiday_delete(*, calendar_id: UUID, date: datetime.date, by: User | None = None) -> int:
    """Remove the calendar's holiday on `date`, whatever its source; 0 when there was none (a repeat is a
    no-op). A later seeding or import may bring a seeded or imported date back."""
    deleted, _rows = Holiday.objects.filter(calendar_id=calendar_id, date=date).delete()
    return deleted


def _holidays_insert(calendar: BusinessCalendar, days: dict[datetime.date, str], source: str) -> int:
    """Insert the dates the calendar has no holiday on yet (an existing date wins: ON CONFLICT DO NOTHING);
    returns how many were new."""
    before = Holiday.objects.filter(calendar=calendar).count()
    Holiday.objects.bulk_create(
        [Holiday(calendar=calendar, date=day, name=name[:200], source=source) for day, name in sorted(days.items())],
        ignore_conflicts=True,
    )
    return Holiday.objects.filter(calendar=calendar).count() - before


@transaction.atomic
def holidays_seed(
    *, calendar_id: UUID, year: int, country: str = "", subdivision: str = "", by: User | None = None
) -> int:
    """Add the public holidays of `country` (the calendar's when blank) in `year` from the `holidays` package;
    dates the calendar has already (entered by hand, say) are kept. Returns how many were added: seeding twice
    adds nothing. ValidationError on `country` (none, or unknown) or `year`."""
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    country = (country or calendar.country).upper()
    if not country:
        raise ValidationError({"country": [_("Give a country: the calendar has none.")]})
    if not 1900 <= year <= 2200:
        raise ValidationError({"year": [_("Give a year from 1900 to 2200.")]})
    try:
        found = holidays_package.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError:
        raise ValidationError({"country": [_("No public holidays are known for %s.") % country]}) from None
    return _holidays_insert(calendar, dict(found.items()), HolidaySource.SEEDED)


def ical_days(data: bytes, *, time_zone: datetime.tzinfo) -> dict[datetime.date, str]:
    """The dates an iCal feed's events cover, with their summaries: all-day events cover DTSTART up to DTEND
    (exclusive, as RFC 5545 says); timed events the local dates they touch. Recurrence rules are not expanded
    (holiday feeds list each year's dates). ValueError when the data is not iCal or lists too many days."""
    calendar = icalendar.Calendar.from_ical(data)
    days: dict[datetime.date, str] = {}
    for event in calendar.walk("VEVENT"):
        if "DTSTART" not in event:
            continue
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if "DTEND" in event else None
        if isinstance(start, datetime.datetime):
            start = start.astimezone(time_zone).date() if start.tzinfo else start.date()
            if isinstance(end, datetime.datetime):
                end = (end.astimezone(time_zone) if end.tzinfo else end) - datetime.timedelta(microseconds=1)
                end = end.date() + datetime.timedelta(days=1)
        if not isinstance(end, datetime.date) or end <= start:
            end = start + datetime.timedelta(days=1)
        name = str(event.get("SUMMARY", "")).strip() or _("Holiday")
        day = start
        while day < end:
            days.setdefault(day, name)
            if len(days) > ICAL_MAX_DAYS:
                raise ValueError(f"the feed lists more than {ICAL_MAX_DAYS} days")
            day += datetime.timedelta(days=1)
    return days


def ical_fetch(url: str) -> bytes:
    """GET an iCal feed through the outbound client of webhooks (notifications.net): public addresses only
    (unless WEBHOOK_ALLOW_PRIVATE_URLS), no redirects, all of it within WEBHOOK_TIMEOUT seconds, at most
    ICAL_MAX_BYTES read. ValidationError on `ical_url` saying what went wrong."""
    timeout = settings.WEBHOOK_TIMEOUT
    http = net.client(allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS, timeout=timeout)
    try:
        with net.deadline(timeout), http.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response:
            if response.status_code != 200:
                reason = _("the feed answered HTTP %d") % response.status_code
            else:
                return net.read_capped(response, ICAL_MAX_BYTES)
    except net.UnsafeAddress as exc:
        reason = str(exc)
    except httpx.TimeoutException:
        reason = _("the feed did not answer within %g s") % timeout
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}"
    raise ValidationError({"ical_url": [_("The iCal feed could not be read: %s.") % reason]})


def holidays_import_ical(*, calendar_id: UUID, now: datetime.datetime | None = None, by: User | None = None) -> int:
    """Fetch the calendar's iCal feed (outside any transaction: no row is locked while the network answers),
    then replace its imported holidays with the feed's in one transaction; dates entered by hand or seeded are
    kept. Returns how many dates the feed added. ValidationError on `ical_url` (none, unreachable, not iCal)."""
    calendar = BusinessCalendar.objects.get(pk=calendar_id)
    if not calendar.ical_url:
        raise ValidationError({"ical_url": [_("The calendar has no iCal feed.")]})
    data = ical_fetch(calendar.ical_url)
    try:
        days = ical_days(data, time_zone=zoneinfo.ZoneInfo(calendar.time_zone))
    except ValueError as exc:
        raise ValidationError({"ical_url": [_("The iCal feed could not be read: %s.") % exc]}) from None
    with transaction.atomic():
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
        Holiday.objects.filter(calendar=calendar, source=HolidaySource.ICAL).delete()
        added = _holidays_insert(calendar, days, HolidaySource.ICAL)
        calendar.ical_synced_at = now or timezone.now()
        calendar.save(update_fields=["ical_synced_at", "updated_at"])
    return added


def holidays_import_all(*, now: datetime.datetime) -> dict[str, int | str]:
    """Import the iCal feed of every calendar that has one (tasks.calendars_ical_sync), each on its own: one
    feed failing is logged and the others still import. Returns calendar name -> dates added, or the error."""
    outcome: dict[str, int | str] = {}
    for calendar_id, name in BusinessCalendar.objects.exclude(ical_url="").values_list("pk", "name"):
        try:
            outcome[name] = holidays_import_ical(calendar_id=calendar_id, now=now)
        except ValidationError as exc:
            outcome[name] = "; ".join(exc.messages)
            logger.warning("calendar %s: iCal import failed: %s", name, outcome[name])
    return outcome
