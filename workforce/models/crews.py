"""A vendor's crews: named groups of its technicians (a two-person splicing crew, the night crew)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel


class Crew(TimeStampedModel):
    """A named group of one vendor's technicians (members are the vendor's crew members only: services.crew_*)."""

    vendor = models.ForeignKey("workforce.Vendor", models.CASCADE, related_name="crews", verbose_name=_("vendor"))
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        "workforce.Technician", blank=True, related_name="crews", verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["vendor", "name"], name="workforce_crew_vendor_name_unique")]

    def __str__(self):
        return self.name
