"""The civil layer: structures (poles, handholes, cabinets, ...), the pathways between them (spans, conduits),
the pathways each cable runs through in order, and slack loops."""

from django.contrib.gis.db import models as gis
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs
from django.utils.translation import gettext_lazy as _

from omni.db import NextNumber
from omni.models import TimeStampedModel

from ..choices import Ownership, PathwayKind, PlantStatus, SlackStorage, StructureKind
from ..db import AsGeography, GeographyLength


class Structure(TimeStampedModel):
    """A point of the civil plant: pole, handhole, manhole, cabinet, building entry, tower, central office."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("STR-", "network_structure_number_seq"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=StructureKind)
    status = models.CharField(_("status"), max_length=16, choices=PlantStatus, default=PlantStatus.PLANNED)
    ownership = models.CharField(_("ownership"), max_length=16, choices=Ownership, default=Ownership.OWN)
    owner = models.CharField(_("owner"), max_length=200, blank=True, help_text=_("Who owns it, when not us."))
    geom = gis.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=300, blank=True)
    height_m = models.DecimalField(_("height (m)"), max_digits=6, decimal_places=2, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("structure")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=StructureKind.values), name="network_structure_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=PlantStatus.values), name="network_structure_status_valid"),
            models.CheckConstraint(
                condition=Q(ownership__in=Ownership.values), name="network_structure_ownership_valid"
            ),
        ]
        indexes = [
            # Metre queries (ST_DWithin on geography, KNN on geography): network.db.WithinMetres.
            GistIndex(AsGeography("geom"), name="network_structure_geog"),
            models.Index(fields=["kind", "status"], name="network_structure_kind_status"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}".strip() if isinstance(self.number, str) else self.name


class Pathway(TimeStampedModel):
    """A line between two structures that cables run through: an aerial span, a conduit (with innerducts in it)
    or a direct-buried run. A cut here cuts every cable in it (shared fate, via CableSegment)."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("PTH-", "network_pathway_number_seq"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=PathwayKind)
    status = models.CharField(_("status"), max_length=16, choices=PlantStatus, default=PlantStatus.PLANNED)
    a_structure = models.ForeignKey(Structure, models.PROTECT, related_name="pathways_a", verbose_name=_("A structure"))
    b_structure = models.ForeignKey(Structure, models.PROTECT, related_name="pathways_b", verbose_name=_("B structure"))
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("inside"),
        help_text=_("The conduit an innerduct runs in."),
    )
    geom = gis.LineStringField(_("route"), srid=4326)
    geo_length_m = models.GeneratedField(
        expression=GeographyLength("geom"),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name=_("length on the map (m)"),
    )
    measured_length_m = models.DecimalField(
        _("measured length (m)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    material = models.CharField(_("material"), max_length=100, blank=True)
    diameter_mm = models.PositiveIntegerField(_("diameter (mm)"), null=True, blank=True)
    depth_m = models.DecimalField(_("depth (m)"), max_digits=5, decimal_places=2, null=True, blank=True)
    attachment_height_m = models.DecimalField(
        _("attachment height (m)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("pathway")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PathwayKind.values), name="network_pathway_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=PlantStatus.values), name="network_pathway_status_valid"),
            models.CheckConstraint(condition=~Q(a_structure=F("b_structure")), name="network_pathway_two_structures"),
            models.CheckConstraint(
                condition=Q(measured_length_m__isnull=True) | Q(measured_length_m__gte=0),
                name="network_pathway_measured_length_positive",
            ),
        ]
        indexes = [GistIndex(AsGeography("geom"), name="network_pathway_geog")]

    def __str__(self):
        return f"{self.number} {self.name}".strip() if isinstance(self.number, str) else self.name

    @property
    def length_m(self) -> float | None:
        """The measured length when known, else the length on the map."""
        return float(self.measured_length_m) if self.measured_length_m is not None else self.geo_length_m


class CableSegment(TimeStampedModel):
    """One pathway a cable runs through; `seq` orders them from the cable's A end (the pull sheet)."""

    cable = models.ForeignKey("network.Cable", models.CASCADE, related_name="segments", verbose_name=_("cable"))
    pathway = models.ForeignKey(Pathway, models.PROTECT, related_name="segments", verbose_name=_("pathway"))
    seq = models.PositiveIntegerField(_("order"), validators=[MinValueValidator(1)])
    slack_m = models.DecimalField(_("slack (m)"), max_digits=8, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("cable segment")
        ordering = ["cable", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["cable", "seq"], name="network_cablesegment_seq_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="network_cablesegment_seq_positive"),
        ]
        # "Which cables are in this pathway" (a cut span, impact): pathway first.
        indexes = [models.Index(fields=["pathway", "cable"], name="network_cablesegment_pathway")]

    def __str__(self):
        return f"{self.cable_id} #{self.seq}"


class SlackLoop(TimeStampedModel):
    """Spare cable stored at a structure, between two sheath (metre) marks."""

    cable = models.ForeignKey("network.Cable", models.CASCADE, related_name="slack_loops", verbose_name=_("cable"))
    structure = models.ForeignKey(Structure, models.PROTECT, related_name="slack_loops", verbose_name=_("structure"))
    start_mark_m = models.DecimalField(_("start mark (m)"), max_digits=10, decimal_places=2)
    end_mark_m = models.DecimalField(_("end mark (m)"), max_digits=10, decimal_places=2)
    length_m = models.GeneratedField(
        expression=Abs(F("end_mark_m") - F("start_mark_m")),
        output_field=models.DecimalField(max_digits=10, decimal_places=2),
        db_persist=True,
        verbose_name=_("length (m)"),
    )
    storage = models.CharField(_("storage"), max_length=16, choices=SlackStorage, default=SlackStorage.COIL)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("slack loop")
        ordering = ["cable", "start_mark_m"]
        constraints = [
            models.CheckConstraint(
                condition=Q(storage__in=SlackStorage.values), name="network_slackloop_storage_valid"
            ),
            models.CheckConstraint(
                condition=Q(start_mark_m__gte=0, end_mark_m__gte=0), name="network_slackloop_marks_positive"
            ),
        ]

    def __str__(self):
        return f"{self.start_mark_m}-{self.end_mark_m} m"
