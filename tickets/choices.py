from django.db import models
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    """Python's date.weekday(): Monday is 0."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class HolidaySource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    SEEDED = "seeded", _("Seeded from the holidays package")
    ICAL = "ical", _("Imported from the iCal feed")
