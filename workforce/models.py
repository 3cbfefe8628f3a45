"""Workforce: for now the vendor organisations (contractors) and their portal users."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from omni.models import TimeStampedModel


class Vendor(TimeStampedModel):
    """A contractor company that takes projects and work orders; its users see only what is assigned to it."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="workforce_vendor_name_unique_ci")]

    def __str__(self):
        return self.name


class VendorUser(TimeStampedModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="vendor_membership")
    vendor = models.ForeignKey(Vendor, models.CASCADE, related_name="portal_users")

    class Meta:
        verbose_name = _("vendor portal user")

    def __str__(self):
        return f"{self.user_id} @ {self.vendor_id}"
