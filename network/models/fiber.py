"""The fibre layer: cable types (the template), cables, their buffer tubes and strands.

Creating a cable (network.services.cable_create) instantiates its tubes, strands and two Endpoints per strand
in one transaction."""

from django.contrib.gis.db import models as gis
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from omni.db import NextNumber
from omni.models import TimeStampedModel

from ..choices import CableConstruction, CableRole, ColourScheme, PlantStatus, Wavelength
from ..db import AsGeography, GeographyLength

MAX_FIBERS = 1728  # the largest cables made (ribbon); a bound for the instantiation


class CableType(TimeStampedModel):
    """A cable model: fibre count, how the fibres are grouped in tubes, the attenuation of its fibre."""

    name = models.CharField(_("name"), max_length=200)
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    construction = models.CharField(
        _("construction"), max_length=16, choices=CableConstruction, default=CableConstruction.LOOSE_TUBE
    )
    fiber_count = models.PositiveIntegerField(
        _("fibre count"), validators=[MinValueValidator(1), MaxValueValidator(MAX_FIBERS)]
    )
    tube_count = models.PositiveIntegerField(_("tubes"), validators=[MinValueValidator(1)])
    fibers_per_tube = models.PositiveIntegerField(_("fibres per tube"), validators=[MinValueValidator(1)])
    fiber_spec = models.CharField(_("fibre"), max_length=50, default="G.652.D", help_text=_("G.652.D, G.657.A2, ..."))
    # Attenuation, dB/km, per wavelength: columns (not JSON) so a trace sums them in SQL.
    attenuation_1310_db_km = models.DecimalField(
        _("attenuation at 1310 nm (dB/km)"), max_digits=5, decimal_places=3, default="0.350"
    )
    attenuation_1490_db_km = models.DecimalField(
        _("attenuation at 1490 nm (dB/km)"), max_digits=5, decimal_places=3, default="0.250"
    )
    attenuation_1550_db_km = models.DecimalField(
        _("attenuation at 1550 nm (dB/km)"), max_digits=5, decimal_places=3, default="0.250"
    )
    colour_scheme = models.CharField(
        _("colour scheme"), max_length=16, choices=ColourScheme, default=ColourScheme.TIA_598
    )
    is_connectorised = models.BooleanField(_("connectorised"), default=False)
    outer_diameter_mm = models.DecimalField(
        _("outer diameter (mm)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("cable type")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="network_cabletype_name_unique_ci"),
            models.CheckConstraint(
                condition=Q(construction__in=CableConstruction.values), name="network_cabletype_construction_valid"
            ),
            models.CheckConstraint(
                condition=Q(colour_scheme__in=ColourScheme.values), name="network_cabletype_colour_scheme_valid"
            ),
            # Every tube holds fibres_per_tube fibres: the strand number is (tube - 1) * fibres_per_tube + position.
            models.CheckConstraint(
                condition=Q(
                    fiber_count=F("tube_count") * F("fibers_per_tube"), fiber_count__gte=1, fiber_count__lte=MAX_FIBERS
                ),
                name="network_cabletype_fibres_fill_tubes",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # The check constraint says it too, but without naming a field.
        filled = self.tube_count and self.fibers_per_tube
        if filled and self.fiber_count and self.fiber_count != self.tube_count * self.fibers_per_tube:
            raise ValidationError({"fiber_count": [_("The fibre count must be tubes x fibres per tube.")]})

    def attenuation_db_km(self, wavelength: int = Wavelength.NM_1490):
        return getattr(self, f"attenuation_{int(wavelength)}_db_km")


class Cable(TimeStampedModel):
    """A fibre cable between two ends (structures, and the enclosures it terminates in), along a line."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("CBL-", "network_cable_number_seq"),
    )
    name = models.CharField(_("label"), max_length=200, blank=True)
    cable_type = models.ForeignKey(CableType, models.PROTECT, related_name="cables", verbose_name=_("type"))
    role = models.CharField(_("role"), max_length=16, choices=CableRole)
    status = models.CharField(_("status"), max_length=16, choices=PlantStatus, default=PlantStatus.PLANNED)
    a_structure = models.ForeignKey(
        "network.Structure",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cables_a",
        verbose_name=_("A structure"),
    )
    b_structure = models.ForeignKey(
        "network.Structure",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cables_b",
        verbose_name=_("B structure"),
    )
    a_enclosure = models.ForeignKey(
        "network.Enclosure",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cables_a",
        verbose_name=_("A enclosure"),
    )
    b_enclosure = models.ForeignKey(
        "network.Enclosure",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cables_b",
        verbose_name=_("B enclosure"),
    )
    geom = gis.LineStringField(_("route"), srid=4326, null=True, blank=True)
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
        help_text=_("From the sheath marks or an OTDR; preferred to the map."),
    )
    a_mark_m = models.DecimalField(_("A sheath mark (m)"), max_digits=10, decimal_places=2, null=True, blank=True)
    b_mark_m = models.DecimalField(_("B sheath mark (m)"), max_digits=10, decimal_places=2, null=True, blank=True)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Capacity, stored so the map's tiles and the lists read one number per cable (network.services.capacity keeps
    # it: the path-cache rebuild and every strand-flag change recount set-based). lit: strands a cached service path
    # crosses (network.selectors.plant.LIT_STRANDS_SQL), not damaged; reserved: held and not lit, not damaged;
    # damaged. Dark is not stored: it is the fibre count minus these (dark_strands). 0 is right for a new cable
    # (no path crosses a strand that did not exist, and new strands are neither held nor damaged), whoever inserts it.
    lit_strands = models.PositiveIntegerField(_("lit strands"), default=0, db_default=0, editable=False)
    reserved_strands = models.PositiveIntegerField(_("reserved strands"), default=0, db_default=0, editable=False)
    damaged_strands = models.PositiveIntegerField(_("damaged strands"), default=0, db_default=0, editable=False)

    class Meta:
        verbose_name = _("cable")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=CableRole.values), name="network_cable_role_valid"),
            models.CheckConstraint(condition=Q(status__in=PlantStatus.values), name="network_cable_status_valid"),
            models.CheckConstraint(
                condition=Q(measured_length_m__isnull=True) | Q(measured_length_m__gte=0),
                name="network_cable_measured_length_positive",
            ),
        ]
        indexes = [
            GistIndex(AsGeography("geom"), name="network_cable_geog"),
            models.Index(fields=["role", "status"], name="network_cable_role_status"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}".strip() if isinstance(self.number, str) else self.name

    @property
    def length_m(self) -> float | None:
        """The measured length when known, else the length on the map (None without either)."""
        return float(self.measured_length_m) if self.measured_length_m is not None else self.geo_length_m

    @property
    def dark_strands(self) -> int:
        """Strands neither lit, reserved nor damaged (a cable has exactly its type's fibre count of strands)."""
        return self.cable_type.fiber_count - self.lit_strands - self.reserved_strands - self.damaged_strands


class BufferTube(TimeStampedModel):
    """A tube (or ribbon unit) of a cable; its colour follows its position (network.colours)."""

    cable = models.ForeignKey(Cable, models.CASCADE, related_name="tubes", verbose_name=_("cable"))
    position = models.PositiveIntegerField(_("position"))
    colour = models.CharField(_("colour"), max_length=16)
    stripe = models.CharField(_("stripe"), max_length=16, blank=True)
    stripe_count = models.PositiveSmallIntegerField(_("stripes"), default=0)

    class Meta:
        verbose_name = _("buffer tube")
        ordering = ["cable", "position"]
        constraints = [
            models.UniqueConstraint(fields=["cable", "position"], name="network_buffertube_position_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="network_buffertube_position_positive"),
        ]

    def __str__(self):
        return f"T{self.position} {self.colour}"


class Strand(TimeStampedModel):
    """One fibre of a cable: number 1..N across the cable, position within its tube. Its two ends are Endpoints
    (side a, side b), which connections join."""

    cable = models.ForeignKey(Cable, models.CASCADE, related_name="strands", verbose_name=_("cable"))
    tube = models.ForeignKey(BufferTube, models.CASCADE, related_name="strands", verbose_name=_("tube"))
    number = models.PositiveIntegerField(_("number"))
    position = models.PositiveIntegerField(_("position in tube"))
    colour = models.CharField(_("colour"), max_length=16)
    stripe = models.CharField(_("stripe"), max_length=16, blank=True)
    stripe_count = models.PositiveSmallIntegerField(_("stripes"), default=0)
    # Held for a planned service or a customer; "lit" is derived (a cached service path from a PON port crosses the
    # strand: network.selectors.plant.LIT_STRANDS_SQL), never stored per strand (its cable's count is). Change these
    # flags through network.services.strand_flags_set, which recounts the cable.
    reserved = models.BooleanField(_("reserved"), default=False)
    damaged = models.BooleanField(_("damaged"), default=False)

    class Meta:
        verbose_name = _("strand")
        ordering = ["cable", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cable", "number"], name="network_strand_number_unique"),
            models.UniqueConstraint(fields=["tube", "position"], name="network_strand_position_unique"),
            models.CheckConstraint(condition=Q(number__gte=1, position__gte=1), name="network_strand_numbers_positive"),
        ]

    def __str__(self):
        return f"F{self.number}"
