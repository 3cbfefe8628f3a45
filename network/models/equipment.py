"""Where fibres meet and light comes from: enclosures (closures, FDHs, terminals, frames) with their trays, OLTs
and their PON ports, splitters and ONTs. Every port is an Endpoint (network.models.connectivity)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext_lazy as _

from omni.db import NextNumber
from omni.models import TimeStampedModel

from ..choices import (
    OPTICAL_CLASS_MAX_LOSS_DB,
    SPLITTER_OUTPUTS,
    EnclosureKind,
    OpticalClass,
    PlantStatus,
    PonTechnology,
    SplitterKind,
    SplitterLevel,
    TrayKind,
)


class Enclosure(TimeStampedModel):
    """A box at a structure where fibres are spliced or patched: closure, FDH, MST, ODF, patch panel, ONT box."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("ENC-", "network_enclosure_number_seq"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EnclosureKind)
    status = models.CharField(_("status"), max_length=16, choices=PlantStatus, default=PlantStatus.PLANNED)
    structure = models.ForeignKey(
        "network.Structure", models.PROTECT, related_name="enclosures", verbose_name=_("structure")
    )
    model = models.CharField(_("model"), max_length=200, blank=True)
    port_capacity = models.PositiveIntegerField(_("ports"), default=0, help_text=_("Adapters, drop ports."))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("enclosure")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EnclosureKind.values), name="network_enclosure_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=PlantStatus.values), name="network_enclosure_status_valid"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}".strip() if isinstance(self.number, str) else self.name


class SpliceTray(TimeStampedModel):
    """A splice tray (or an express basket) in an enclosure."""

    enclosure = models.ForeignKey(Enclosure, models.CASCADE, related_name="trays", verbose_name=_("enclosure"))
    number = models.PositiveIntegerField(_("number"), validators=[MinValueValidator(1)])
    kind = models.CharField(_("kind"), max_length=16, choices=TrayKind, default=TrayKind.SPLICE)
    capacity = models.PositiveIntegerField(_("splice positions"), default=12)

    class Meta:
        verbose_name = _("splice tray")
        ordering = ["enclosure", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enclosure", "number"], name="network_splicetray_number_unique"),
            models.CheckConstraint(condition=Q(kind__in=TrayKind.values), name="network_splicetray_kind_valid"),
        ]

    def __str__(self):
        return f"Tray {self.number}"


class Olt(TimeStampedModel):
    """An optical line terminal; its PON ports are where the light comes from."""

    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=PlantStatus, default=PlantStatus.PLANNED)
    structure = models.ForeignKey(
        "network.Structure", models.PROTECT, null=True, blank=True, related_name="olts", verbose_name=_("site")
    )
    enclosure = models.ForeignKey(
        Enclosure,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="olts",
        verbose_name=_("frame"),
        help_text=_("The ODF or patch panel its PON ports are patched in."),
    )
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    serial = models.CharField(_("serial"), max_length=100, blank=True)
    management_ip = models.GenericIPAddressField(_("management IP"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("OLT")
        verbose_name_plural = _("OLTs")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="network_olt_name_unique_ci"),
            models.CheckConstraint(condition=Q(status__in=PlantStatus.values), name="network_olt_status_valid"),
        ]

    def __str__(self):
        return self.name


class PonPort(TimeStampedModel):
    """A PON port of an OLT: its technology, optical budget class and the largest split it may feed."""

    olt = models.ForeignKey(Olt, models.CASCADE, related_name="pon_ports", verbose_name=_("OLT"))
    slot = models.PositiveIntegerField(_("slot"), default=0)
    port = models.PositiveIntegerField(_("port"))
    technology = models.CharField(_("technology"), max_length=16, choices=PonTechnology, default=PonTechnology.GPON)
    optical_class = models.CharField(
        _("optical class"), max_length=4, choices=OpticalClass, default=OpticalClass.B_PLUS
    )
    max_split = models.PositiveIntegerField(_("max split"), default=64, validators=[MinValueValidator(1)])
    status = models.CharField(_("status"), max_length=16, choices=PlantStatus, default=PlantStatus.PLANNED)

    class Meta:
        verbose_name = _("PON port")
        ordering = ["olt", "slot", "port"]
        constraints = [
            models.UniqueConstraint(fields=["olt", "slot", "port"], name="network_ponport_unique"),
            models.CheckConstraint(
                condition=Q(technology__in=PonTechnology.values), name="network_ponport_technology_valid"
            ),
            models.CheckConstraint(
                condition=Q(optical_class__in=OpticalClass.values), name="network_ponport_optical_class_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=PlantStatus.values), name="network_ponport_status_valid"),
            models.CheckConstraint(condition=Q(max_split__gte=1), name="network_ponport_max_split_positive"),
        ]

    def __str__(self):
        return f"{self.olt.name} {self.slot}/{self.port}" if self.olt_id else f"{self.slot}/{self.port}"

    @property
    def max_loss_db(self):
        return OPTICAL_CLASS_MAX_LOSS_DB[self.optical_class]


class Splitter(TimeStampedModel):
    """A passive optical splitter in an enclosure: `input_count` inputs (1 or 2), `output_count` outputs."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    enclosure = models.ForeignKey(Enclosure, models.PROTECT, related_name="splitters", verbose_name=_("enclosure"))
    kind = models.CharField(_("kind"), max_length=8, choices=SplitterKind, default=SplitterKind.PLC)
    level = models.CharField(_("level"), max_length=16, choices=SplitterLevel, default=SplitterLevel.PRIMARY)
    input_count = models.PositiveSmallIntegerField(_("inputs"), default=1)
    output_count = models.PositiveSmallIntegerField(_("outputs"), choices=[(n, f"1:{n}") for n in SPLITTER_OUTPUTS])
    insertion_loss_db = models.DecimalField(_("insertion loss (dB)"), max_digits=5, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=PlantStatus, default=PlantStatus.PLANNED)

    class Meta:
        verbose_name = _("splitter")
        ordering = ["enclosure", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SplitterKind.values), name="network_splitter_kind_valid"),
            models.CheckConstraint(condition=Q(level__in=SplitterLevel.values), name="network_splitter_level_valid"),
            models.CheckConstraint(condition=Q(status__in=PlantStatus.values), name="network_splitter_status_valid"),
            models.CheckConstraint(condition=Q(input_count__in=(1, 2)), name="network_splitter_inputs_valid"),
            models.CheckConstraint(
                condition=Q(output_count__in=SPLITTER_OUTPUTS), name="network_splitter_outputs_valid"
            ),
            models.CheckConstraint(condition=Q(insertion_loss_db__gte=0), name="network_splitter_loss_positive"),
        ]

    def __str__(self):
        return f"{self.name or 'Splitter'} {self.ratio}"

    @property
    def ratio(self) -> str:
        return f"{self.input_count}:{self.output_count}"


class Ont(TimeStampedModel):
    """An optical network terminal at a customer's premises (the service point that holds it)."""

    serial = models.CharField(_("serial"), max_length=64)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PlantStatus, default=PlantStatus.PLANNED)
    enclosure = models.ForeignKey(
        Enclosure,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="onts",
        verbose_name=_("ONT box"),
        help_text=_("Where the drop is connected to it."),
    )

    class Meta:
        verbose_name = _("ONT")
        verbose_name_plural = _("ONTs")
        ordering = ["serial"]
        constraints = [
            models.UniqueConstraint(Upper("serial"), name="network_ont_serial_unique_ci"),
            models.CheckConstraint(condition=Q(status__in=PlantStatus.values), name="network_ont_status_valid"),
        ]

    def __str__(self):
        return self.serial
