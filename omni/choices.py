import zoneinfo
from functools import cache

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    """Who a user is: each audience has its own front end, and selectors scope every queryset by it."""

    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer")
    RESELLER = "reseller", _("Reseller")
    VENDOR = "vendor", _("Vendor")


class Role(models.TextChoices):
    """Staff role groups, created by a data migration; apps grant them permissions in their AppConfig."""

    AGENT = "Agent", _("Agent")
    DISPATCHER = "Dispatcher", _("Dispatcher")
    TECHNICIAN = "Technician", _("Technician")
    INVENTORY_MANAGER = "Inventory manager", _("Inventory manager")
    SALES = "Sales", _("Sales")
    ADMIN = "Admin", _("Admin")


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this machine knows (zoneinfo), read once."""
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    """A select of time zones: empty first (the instance's TIME_ZONE), then every IANA name, sorted."""
    blank = _("The instance's (%(tz)s)") % {"tz": settings.TIME_ZONE}
    return [("", blank), *((name, name) for name in sorted(time_zone_names()))]
