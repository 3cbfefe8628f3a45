"""The optical graph. An Endpoint is anything a fibre can be joined at: either end of a strand, a splitter input
or output, a PON port, an ONT port. A Connection (splice, patch, connector mate) joins exactly two endpoints in
one enclosure; ConnectionEnd (primary key = endpoint, filled by a trigger on Connection) makes "each endpoint in
at most one connection" a database rule. The edges a trace walks are the view `network_edge` (migration 0001):

    strand      end a <-> end b           both directions, length and attenuation of its cable
    connection  a <-> b                   both directions, measured loss else calculated
    splitter    input -> every output     direction 'down'; output -> input direction 'up'
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from omni.db import NextNumber
from omni.models import TimeStampedModel

from ..choices import ConnectionKind, ConnectionStatus, EndpointKind, PlanAction, SplicePlanStatus, StrandSide

# No owner column set: each kind's condition in network_endpoint_owner_matches overrides the one it needs.
_none = {
    "strand__isnull": True,
    "side__isnull": True,
    "splitter__isnull": True,
    "pon_port__isnull": True,
    "ont__isnull": True,
}


class Endpoint(TimeStampedModel):
    """A place light enters or leaves a piece of plant. Exactly one owner column is set, as `kind` says;
    `enclosure` is where it physically sits (a strand end: the enclosure its cable end terminates in)."""

    kind = models.CharField(_("kind"), max_length=16, choices=EndpointKind)
    strand = models.ForeignKey(
        "network.Strand", models.CASCADE, null=True, blank=True, related_name="endpoints", verbose_name=_("strand")
    )
    side = models.CharField(_("side"), max_length=1, choices=StrandSide, null=True, blank=True)
    splitter = models.ForeignKey(
        "network.Splitter", models.CASCADE, null=True, blank=True, related_name="endpoints", verbose_name=_("splitter")
    )
    pon_port = models.ForeignKey(
        "network.PonPort", models.CASCADE, null=True, blank=True, related_name="endpoints", verbose_name=_("PON port")
    )
    ont = models.ForeignKey(
        "network.Ont", models.CASCADE, null=True, blank=True, related_name="endpoints", verbose_name=_("ONT")
    )
    port = models.PositiveSmallIntegerField(_("port"), default=1, help_text=_("Splitter input/output number."))
    enclosure = models.ForeignKey(
        "network.Enclosure",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="endpoints",
        verbose_name=_("enclosure"),
    )

    class Meta:
        verbose_name = _("endpoint")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EndpointKind.values), name="network_endpoint_kind_valid"),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=EndpointKind.STRAND,
                        **{**_none, "strand__isnull": False, "side__isnull": False},
                        side__in=StrandSide.values,
                    )
                    | Q(
                        kind__in=(EndpointKind.SPLITTER_IN, EndpointKind.SPLITTER_OUT),
                        **{**_none, "splitter__isnull": False},
                    )
                    | Q(kind=EndpointKind.PON_PORT, **{**_none, "pon_port__isnull": False})
                    | Q(kind=EndpointKind.ONT_PORT, **{**_none, "ont__isnull": False})
                ),
                name="network_endpoint_owner_matches",
            ),
            # One endpoint per strand side, per splitter port, per PON port and ONT port: these unique indexes
            # are also the lookups the edge view joins on.
            models.UniqueConstraint(
                fields=["strand", "side"], condition=Q(strand__isnull=False), name="network_endpoint_strand_side_unique"
            ),
            models.UniqueConstraint(
                fields=["splitter", "kind", "port"],
                condition=Q(splitter__isnull=False),
                name="network_endpoint_splitter_port_unique",
            ),
            models.UniqueConstraint(
                fields=["pon_port"], condition=Q(pon_port__isnull=False), name="network_endpoint_pon_port_unique"
            ),
            models.UniqueConstraint(
                fields=["ont", "port"], condition=Q(ont__isnull=False), name="network_endpoint_ont_port_unique"
            ),
        ]
        indexes = [models.Index(fields=["enclosure"], name="network_endpoint_enclosure")]

    def __str__(self):
        if self.kind == EndpointKind.STRAND:
            return f"strand {self.strand_id} {self.side}"
        return f"{self.kind} {self.port}"


class Connection(TimeStampedModel):
    """Two endpoints joined in an enclosure (splice, patch, connector mate). Measured loss (OTDR, power meter) is
    kept beside the calculated one; the trace prefers the measured."""

    kind = models.CharField(_("kind"), max_length=20, choices=ConnectionKind, default=ConnectionKind.SPLICE)
    status = models.CharField(_("status"), max_length=16, choices=ConnectionStatus, default=ConnectionStatus.AS_BUILT)
    enclosure = models.ForeignKey(
        "network.Enclosure", models.PROTECT, related_name="connections", verbose_name=_("enclosure")
    )
    tray = models.ForeignKey(
        "network.SpliceTray", models.SET_NULL, null=True, blank=True, related_name="connections", verbose_name=_("tray")
    )
    position = models.PositiveIntegerField(_("position"), null=True, blank=True)
    a = models.ForeignKey(Endpoint, models.PROTECT, related_name="connections_a", verbose_name=_("endpoint A"))
    b = models.ForeignKey(Endpoint, models.PROTECT, related_name="connections_b", verbose_name=_("endpoint B"))
    loss_db = models.DecimalField(_("measured loss (dB)"), max_digits=5, decimal_places=2, null=True, blank=True)
    calculated_loss_db = models.DecimalField(_("calculated loss (dB)"), max_digits=5, decimal_places=2, default=0)
    splice_plan = models.ForeignKey(
        "network.SplicePlan",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="connections",
        verbose_name=_("splice plan"),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("connection")
        ordering = ["enclosure", "tray", "position", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ConnectionKind.values), name="network_connection_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=ConnectionStatus.values), name="network_connection_status_valid"
            ),
            models.CheckConstraint(condition=~Q(a=F("b")), name="network_connection_two_endpoints"),
            models.CheckConstraint(
                condition=Q(loss_db__isnull=True) | Q(loss_db__gte=0), name="network_connection_loss_positive"
            ),
            models.UniqueConstraint(
                fields=["tray", "position"],
                condition=Q(tray__isnull=False, position__isnull=False),
                name="network_connection_tray_position_unique",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.a_id} - {self.b_id}"

    @property
    def effective_loss_db(self):
        return self.loss_db if self.loss_db is not None else self.calculated_loss_db


class ConnectionEnd(models.Model):
    """Which connection holds an endpoint. The primary key is the endpoint, so a second connection of the same
    fibre end fails in the database, whatever the path in (service, admin, raw SQL) and however concurrent. Rows are
    written by the trigger network_connection_ends (migration 0001) on every insert or a/b change of Connection."""

    endpoint = models.OneToOneField(
        Endpoint, models.CASCADE, primary_key=True, related_name="connection_end", verbose_name=_("endpoint")
    )
    connection = models.ForeignKey(Connection, models.CASCADE, related_name="ends", verbose_name=_("connection"))
    side = models.CharField(_("side"), max_length=1, choices=StrandSide)

    class Meta:
        verbose_name = _("connection end")
        constraints = [models.UniqueConstraint(fields=["connection", "side"], name="network_connectionend_side_unique")]

    def __str__(self):
        return f"{self.connection_id} {self.side}"


# The database constraint a second connection of the same endpoint breaks (services map it to Conflict, 409).
ENDPOINT_TAKEN_CONSTRAINT = "network_connectionend_pkey"


class SplicePlan(TimeStampedModel):
    """A planned set of splice changes for one enclosure: draft -> approved -> applied (archived at any point).
    Applying it adds and removes the connections of its entries in one transaction."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("SPL-", "network_spliceplan_number_seq"),
    )
    name = models.CharField(_("name"), max_length=200)
    enclosure = models.ForeignKey(
        "network.Enclosure", models.PROTECT, related_name="splice_plans", verbose_name=_("enclosure")
    )
    status = models.CharField(_("status"), max_length=16, choices=SplicePlanStatus, default=SplicePlanStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("splice plan")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SplicePlanStatus.values), name="network_spliceplan_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["enclosure", "status"], name="network_spliceplan_open")]

    def __str__(self):
        return f"{self.number} {self.name}" if isinstance(self.number, str) else self.name


class SplicePlanEntry(TimeStampedModel):
    """One change of a plan: add a connection between a and b, or remove the one between them."""

    plan = models.ForeignKey(SplicePlan, models.CASCADE, related_name="entries", verbose_name=_("plan"))
    action = models.CharField(_("action"), max_length=8, choices=PlanAction, default=PlanAction.ADD)
    kind = models.CharField(_("kind"), max_length=20, choices=ConnectionKind, default=ConnectionKind.SPLICE)
    a = models.ForeignKey(Endpoint, models.CASCADE, related_name="+", verbose_name=_("endpoint A"))
    b = models.ForeignKey(Endpoint, models.CASCADE, related_name="+", verbose_name=_("endpoint B"))
    tray = models.ForeignKey(
        "network.SpliceTray", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("tray")
    )
    position = models.PositiveIntegerField(_("position"), null=True, blank=True)

    class Meta:
        verbose_name = _("splice plan entry")
        verbose_name_plural = _("splice plan entries")
        ordering = ["plan", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=PlanAction.values), name="network_spliceplanentry_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ConnectionKind.values), name="network_spliceplanentry_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(a=F("b")), name="network_spliceplanentry_two_endpoints"),
            models.UniqueConstraint(fields=["plan", "action", "a"], name="network_spliceplanentry_a_unique"),
            models.UniqueConstraint(fields=["plan", "action", "b"], name="network_spliceplanentry_b_unique"),
        ]
        indexes = [
            models.Index(fields=["a"], name="network_spliceplanentry_a"),
            models.Index(fields=["b"], name="network_spliceplanentry_b"),
        ]

    def __str__(self):
        return f"{self.action} {self.a_id} - {self.b_id}"
