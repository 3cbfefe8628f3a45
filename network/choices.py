"""TextChoices of network (each backed by a CheckConstraint in the models) and the figures that go with them:
optical class budgets and typical splitter insertion losses (DOMAIN.md A.4 5)."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlantStatus(models.TextChoices):
    """Lifecycle of every piece of plant: designed, built and documented, carrying service, taken out."""

    PLANNED = "planned", _("Planned")
    AS_BUILT = "as_built", _("As built")
    IN_SERVICE = "in_service", _("In service")
    RETIRED = "retired", _("Retired")


class StructureKind(models.TextChoices):
    POLE = "pole", _("Pole")
    HANDHOLE = "handhole", _("Handhole")
    MANHOLE = "manhole", _("Manhole")
    VAULT = "vault", _("Vault")
    PEDESTAL = "pedestal", _("Pedestal")
    CABINET = "cabinet", _("Cabinet")
    BUILDING_ENTRY = "building_entry", _("Building entry")
    TOWER = "tower", _("Tower")
    CENTRAL_OFFICE = "central_office", _("Central office")


class Ownership(models.TextChoices):
    OWN = "own", _("Own")
    LEASED = "leased", _("Leased")
    JOINT_USE = "joint_use", _("Joint use")


class PathwayKind(models.TextChoices):
    AERIAL_SPAN = "aerial_span", _("Aerial span")
    CONDUIT = "conduit", _("Conduit")
    INNERDUCT = "innerduct", _("Innerduct")
    DIRECT_BURIED = "direct_buried", _("Direct buried")


class SlackStorage(models.TextChoices):
    COIL = "coil", _("Coil")
    FIGURE_8 = "figure_8", _("Figure 8")
    IN_TRAY = "in_tray", _("In tray")
    ON_POLE = "on_pole", _("On pole (snowshoe)")
    IN_VAULT = "in_vault", _("In vault")


class CableConstruction(models.TextChoices):
    LOOSE_TUBE = "loose_tube", _("Loose tube")
    RIBBON_IN_TUBE = "ribbon_in_tube", _("Ribbon in tube")
    CENTRAL_RIBBON = "central_ribbon", _("Central-core ribbon")
    TIGHT_BUFFER = "tight_buffer", _("Tight buffer")
    DROP = "drop", _("Drop")


class ColourScheme(models.TextChoices):
    """The colour sequence of tubes and fibres (network.colours)."""

    TIA_598 = "tia598", _("TIA-598")


class CableRole(models.TextChoices):
    BACKBONE = "backbone", _("Backbone")
    FEEDER = "feeder", _("Feeder (F1)")
    DISTRIBUTION = "distribution", _("Distribution (F2)")
    DROP = "drop", _("Drop (F3)")


class EnclosureKind(models.TextChoices):
    SPLICE_CLOSURE = "splice_closure", _("Splice closure")
    FDH = "fdh", _("Fiber distribution hub")
    MST = "mst", _("Drop terminal (MST)")
    ODF = "odf", _("Optical distribution frame")
    PATCH_PANEL = "patch_panel", _("Patch panel")
    ONT_BOX = "ont_box", _("ONT box")


class TrayKind(models.TextChoices):
    SPLICE = "splice", _("Splice tray")
    EXPRESS = "express", _("Express basket")


class PonTechnology(models.TextChoices):
    GPON = "gpon", _("GPON")
    XGS_PON = "xgs_pon", _("XGS-PON")


class OpticalClass(models.TextChoices):
    """ITU-T optical budget classes: GPON (G.984.2) A/B/B+/C/C+, XGS-PON (G.9807.1) N1/N2/E1/E2."""

    A = "A", _("Class A")
    B = "B", _("Class B")
    B_PLUS = "B+", _("Class B+")
    C = "C", _("Class C")
    C_PLUS = "C+", _("Class C+")
    N1 = "N1", _("Class N1")
    N2 = "N2", _("Class N2")
    E1 = "E1", _("Class E1")
    E2 = "E2", _("Class E2")


# Maximum optical path loss per class, dB (the loss budget the trace compares a path with).
OPTICAL_CLASS_MAX_LOSS_DB: dict[str, Decimal] = {
    OpticalClass.A: Decimal("20"),
    OpticalClass.B: Decimal("25"),
    OpticalClass.B_PLUS: Decimal("28"),
    OpticalClass.C: Decimal("30"),
    OpticalClass.C_PLUS: Decimal("32"),
    OpticalClass.N1: Decimal("29"),
    OpticalClass.N2: Decimal("31"),
    OpticalClass.E1: Decimal("33"),
    OpticalClass.E2: Decimal("35"),
}


class SplitterKind(models.TextChoices):
    PLC = "plc", _("PLC")
    FBT = "fbt", _("FBT")


class SplitterLevel(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")


SPLITTER_OUTPUTS = (2, 4, 8, 16, 32, 64)

# Typical maximum insertion loss of a 1:N PLC splitter, dB: 10*log10(N) plus excess loss.
SPLITTER_INSERTION_LOSS_DB: dict[int, Decimal] = {
    2: Decimal("3.7"),
    4: Decimal("7.3"),
    8: Decimal("10.5"),
    16: Decimal("13.5"),
    32: Decimal("17.0"),
    64: Decimal("20.5"),
}


class EndpointKind(models.TextChoices):
    """What an Endpoint belongs to: exactly one owner column is set per kind (network_endpoint_owner_matches)."""

    STRAND = "strand", _("Strand end")
    SPLITTER_IN = "splitter_in", _("Splitter input")
    SPLITTER_OUT = "splitter_out", _("Splitter output")
    PON_PORT = "pon_port", _("PON port")
    ONT_PORT = "ont_port", _("ONT port")


class StrandSide(models.TextChoices):
    A = "a", _("A end")
    B = "b", _("B end")


class ConnectionKind(models.TextChoices):
    SPLICE = "splice", _("Fusion splice")
    MECHANICAL_SPLICE = "mechanical_splice", _("Mechanical splice")
    PATCH = "patch", _("Patch cord")
    CONNECTOR_MATE = "connector_mate", _("Connector mate")
    EXPRESS = "express", _("Express (uncut)")


# Calculated loss per connection kind, dB (measured loss, when known, is kept beside it and preferred).
CONNECTION_LOSS_DB: dict[str, Decimal] = {
    ConnectionKind.SPLICE: Decimal("0.1"),
    ConnectionKind.MECHANICAL_SPLICE: Decimal("0.3"),
    ConnectionKind.PATCH: Decimal("0.6"),  # two connector mates
    ConnectionKind.CONNECTOR_MATE: Decimal("0.3"),
    ConnectionKind.EXPRESS: Decimal("0"),
}


class ConnectionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    AS_BUILT = "as_built", _("As built")


class SplicePlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    APPLIED = "applied", _("Applied")
    ARCHIVED = "archived", _("Archived")


# A plan that still may change the plant: a fibre may be in at most one of these per enclosure.
OPEN_PLAN_STATUSES = (SplicePlanStatus.DRAFT, SplicePlanStatus.APPROVED)

SPLICE_PLAN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    SplicePlanStatus.DRAFT: (SplicePlanStatus.APPROVED, SplicePlanStatus.ARCHIVED),
    SplicePlanStatus.APPROVED: (SplicePlanStatus.DRAFT, SplicePlanStatus.APPLIED, SplicePlanStatus.ARCHIVED),
    SplicePlanStatus.APPLIED: (SplicePlanStatus.ARCHIVED,),
    SplicePlanStatus.ARCHIVED: (),
}


class PlanAction(models.TextChoices):
    ADD = "add", _("Add")
    REMOVE = "remove", _("Remove")


class Serviceability(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SERVICEABLE = "serviceable", _("Serviceable")
    CONNECTED = "connected", _("Connected")
    NOT_SERVICEABLE = "not_serviceable", _("Not serviceable")


class Wavelength(models.IntegerChoices):
    NM_1310 = 1310, "1310 nm"
    NM_1490 = 1490, "1490 nm"
    NM_1550 = 1550, "1550 nm"
