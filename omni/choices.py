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
