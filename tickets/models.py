"""The data of tickets and the invariants that need no other rows (STYLE.md section 2).

Business calendars come first: the time zone, the working hours of each weekday (several ranges a day) and the
holidays on which no business time passes. tickets.business_time does the arithmetic over them."""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel

from .choices import HolidaySource, Weekday

CALENDAR_NAME_UNIQUE = "tickets_businesscalendar_name_unique"
HOLIDAY_UNIQUE = "tickets_holiday_one_per_date"
MIDNIGHT = datetime.time(0)


class BusinessCalendar(TimeStampedModel):
    """Where and when business time passes: a time zone, BusinessHours per weekday and Holidays."""

    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, help_text=_("An IANA zone, e.g. Africa/Lagos."))
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code whose public holidays are seeded.")
    )
    ical_url = models.URLField(_("iCal feed"), max_length=1000, blank=True, help_text=_("Holidays to import."))
    ical_synced_at = models.DateTimeField(_("iCal feed imported at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("business calendar")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name=CALENDAR_NAME_UNIQUE)]

    def __str__(self):
        return self.name

    def clean(self):
        if self.time_zone and self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": [_("Unknown time zone: use an IANA name such as Africa/Lagos.")]})
        self.country = self.country.upper()


class BusinessHours(TimeStampedModel):
    """One range of working time on a weekday, [start, end) in the calendar's wall clock. An end of 00:00 means
    midnight at the end of the day (a 24-hour day is 00:00-00:00). Ranges of one weekday never overlap:
    services.hours_set checks that, replacing a weekday's ranges in one transaction."""

    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="hours", verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("00:00 is midnight at the end of the day."))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="tickets_businesshours_weekday_valid"),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")) | Q(end=MIDNIGHT), name="tickets_businesshours_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self):
        if self.start is not None and self.end is not None and not (self.end > self.start or self.end == MIDNIGHT):
            raise ValidationError({"end": [_("The end must come after the start (00:00 is the day's end).")]})


class Holiday(TimeStampedModel):
    """A day without business time in one calendar. One per calendar and date: what was entered by hand wins
    over seeding and imports, which never overwrite an existing date."""

    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="holidays", verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=8, choices=HolidaySource, default=HolidaySource.MANUAL)

    class Meta:
        verbose_name = _("holiday")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name=HOLIDAY_UNIQUE),
            models.CheckConstraint(condition=Q(source__in=HolidaySource.values), name="tickets_holiday_source_valid"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"
