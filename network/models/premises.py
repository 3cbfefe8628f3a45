"""Service points (premises): where a customer is served, the account, the ONT there."""

from django.contrib.gis.db import models as gis
from django.contrib.postgres.indexes import GistIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omni.db import NextNumber
from omni.models import TimeStampedModel

from ..choices import Serviceability
from ..db import AsGeography


class ServicePoint(TimeStampedModel):
    """A premises the network serves or could serve: a point, the account served there, its ONT."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("SP-", "network_servicepoint_number_seq"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    geom = gis.PointField(_("location"), srid=4326)
    status = models.CharField(_("status"), max_length=16, choices=Serviceability, default=Serviceability.SERVICEABLE)
    account = models.ForeignKey(
        "crm.Account", models.PROTECT, null=True, blank=True, related_name="service_points", verbose_name=_("account")
    )
    ont = models.OneToOneField(
        "network.Ont", models.SET_NULL, null=True, blank=True, related_name="service_point", verbose_name=_("ONT")
    )
    structure = models.ForeignKey(
        "network.Structure",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_points",
        verbose_name=_("building entry"),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("service point")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Serviceability.values), name="network_servicepoint_status_valid"
            ),
        ]
        indexes = [GistIndex(AsGeography("geom"), name="network_servicepoint_geog")]

    def __str__(self):
        return f"{self.number} {self.name or self.address}".strip() if isinstance(self.number, str) else self.name
