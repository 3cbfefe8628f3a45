"""Workforce: for now the vendor organisations (contractors) and their portal users."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from omni.choices import Audience
from omni.models import PartnerMembership, PartnerOrganisation


class Vendor(PartnerOrganisation):
    """A contractor company that takes projects and work orders; its users see only what is assigned to it."""

    portal_audience = Audience.VENDOR

    class Meta(PartnerOrganisation.Meta):
        verbose_name = _("vendor")


class VendorUser(PartnerMembership):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="vendor_membership")
    vendor = models.ForeignKey(Vendor, models.CASCADE, related_name="portal_users")

    class Meta:
        verbose_name = _("vendor portal user")
