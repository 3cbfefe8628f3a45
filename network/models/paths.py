"""The path cache (DOMAIN.md A.3 ServicePath): the PON port -> ONT chain of each service point, as the flattened
array of every element it crosses (strands, their tubes and cables, connections and splitters with their
enclosures, the PON port and OLT, the ONT), GIN-indexed for "which paths cross X". Rebuilt per PON port from a
debounced queue (network.services.paths); never the source of truth: the impact query is."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel


class ServicePath(TimeStampedModel):
    service_point = models.ForeignKey(
        "network.ServicePoint", models.CASCADE, related_name="paths", verbose_name=_("service point")
    )
    pon_port = models.ForeignKey("network.PonPort", models.CASCADE, related_name="paths", verbose_name=_("PON port"))
    ont = models.ForeignKey("network.Ont", models.CASCADE, related_name="paths", verbose_name=_("ONT"))
    elements = ArrayField(models.UUIDField(), verbose_name=_("elements"))
    length_m = models.FloatField(_("length (m)"))
    loss_db = models.FloatField(_("loss at 1490 nm (dB)"))

    class Meta:
        verbose_name = _("service path")
        ordering = ["pon_port", "service_point"]
        constraints = [
            models.UniqueConstraint(fields=["service_point", "pon_port"], name="network_servicepath_unique"),
        ]
        # "Which service points does this cut hit", "which strands of this cable are lit": elements && ARRAY[...]
        # (network.services.paths, .capacity). No fast update: a rebuild deletes and inserts a port's rows, and the
        # pending list it grows between vacuums is scanned by every search (3.7 ms a probe instead of 0.35 on the
        # bench city after rebuilding every port).
        indexes = [GinIndex(fields=["elements"], name="network_servicepath_elements", fastupdate=False)]

    def __str__(self):
        return f"{self.service_point_id} via {self.pon_port_id}"


class ServicePathQueue(models.Model):
    """A PON port whose paths must be rebuilt, not before `due_at`: marking it again pushes `due_at` later
    (debounce), so a burst of edits rebuilds once."""

    pon_port = models.OneToOneField(
        "network.PonPort", models.CASCADE, primary_key=True, related_name="+", verbose_name=_("PON port")
    )
    due_at = models.DateTimeField(_("due"), db_index=True)

    class Meta:
        verbose_name = _("service path rebuild")

    def __str__(self):
        return f"{self.pon_port_id} at {self.due_at}"
