"""The plant as staff read it: one base queryset per model (its joins, narrowed prefetches and subqueries, so a
page costs the same queries for 10 rows as for 1000) and the strand table of a cable. Portal users never see
plant: every selector answers none() to anyone but active staff."""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from omni.choices import Audience
from omni.models import User

from ..models import (
    Cable,
    CableSegment,
    Enclosure,
    Endpoint,
    Olt,
    Ont,
    PonPort,
    ServicePoint,
    SplicePlan,
    SplicePlanEntry,
    SpliceTray,
    Splitter,
    Strand,
)


def _endpoint_of(**owner) -> Subquery:
    return Subquery(Endpoint.objects.filter(**owner).values("pk")[:1])


def _base(model) -> QuerySet:
    if model is Cable:
        return Cable.objects.select_related("cable_type").prefetch_related(
            Prefetch(
                "segments", queryset=CableSegment.objects.only("id", "cable_id", "pathway_id", "seq").order_by("seq")
            )
        )
    if model is Enclosure:
        return Enclosure.objects.prefetch_related(Prefetch("trays", queryset=SpliceTray.objects.order_by("number")))
    if model is Olt:
        return Olt.objects.prefetch_related(
            Prefetch(
                "pon_ports", queryset=PonPort.objects.only("id", "olt_id", "slot", "port").order_by("slot", "port")
            )
        )
    if model is PonPort:
        return PonPort.objects.annotate(endpoint_id=_endpoint_of(pon_port=OuterRef("pk")))
    if model is Splitter:
        return Splitter.objects.prefetch_related(
            Prefetch(
                "endpoints",
                queryset=Endpoint.objects.only("id", "kind", "port", "splitter_id").order_by("kind", "port"),
            )
        )
    if model is Ont:
        return Ont.objects.annotate(
            endpoint_id=_endpoint_of(ont=OuterRef("pk"), port=1),
            service_point_id=Subquery(ServicePoint.objects.filter(ont=OuterRef("pk")).values("pk")[:1]),
        )
    if model is SplicePlan:
        return SplicePlan.objects.prefetch_related(
            Prefetch("entries", queryset=SplicePlanEntry.objects.order_by("created_at", "pk"))
        )
    return model.objects.all()


def plant_list_visible_to(model, *, user: User) -> QuerySet:
    """Every row of a network model for active staff (their role's view_<model> is checked by the API and the
    admin); portal users, anonymous users and staff whose access was switched off get none()."""
    if not (user.is_authenticated and user.is_active) or user.audience != Audience.STAFF or not user.is_staff:
        return model.objects.none()
    return _base(model)


# The one definition of a lit strand (DOMAIN.md A.4 item 8): the strand is on a connection chain that reaches a PON
# port, read from the path cache: some ServicePath (PON port -> ONT of a service point) crosses it. Set-based: every
# path's `elements` hold the cable of each strand it crosses, so the lit strands of some cables are the elements of
# the paths crossing those cables (one probe of the GIN index on `elements` for the whole set, then a hashed
# `strand.id IN (...)`), for the strand table (one cable), the capacity lists and the tiles alike; query counts stay
# fixed. (A per-strand `EXISTS (... elements @> ARRAY[strand])` is the same rule but the planner runs it as a
# sequential scan per strand: minutes on the bench city.) Trade-offs, accepted: the cache is rebuilt PATHS_DEBOUNCE
# (30 s) after an edit, so a fresh splice shows lit that late; and a strand that carries light but has no ONT of a
# service point downstream yet shows dark (or reserved) until one is connected. The trace and the impact query stay
# the source of truth.
LIT_STRANDS_SQL = "SELECT unnest(lit_p.elements) FROM network_servicepath lit_p WHERE lit_p.elements && {cables}"


def lit_strand_sql(strand: str, cables: str) -> str:
    """A boolean SQL expression: the strand whose id column is `strand` is lit; `cables` is a uuid[] SQL expression
    holding (at least) that strand's cable, e.g. "ARRAY(SELECT id FROM c)" or "ARRAY[%s]::uuid[]"."""
    return f"{strand} IN ({LIT_STRANDS_SQL.format(cables=cables)})"


def lit_strands_join(alias: str, cables: str) -> str:
    """The same rule as a join for many cables (tiles, capacity lists): `LEFT JOIN <lit strands> alias(id)`, to be
    followed by `ON alias.id = <strand id>`; the strand is lit when alias.id IS NOT NULL. A hash join, where an
    `IN (...)` over thousands of paths may be planned as a rescan per strand."""
    return f"LEFT JOIN (SELECT DISTINCT lit_e FROM ({LIT_STRANDS_SQL.format(cables=cables)}) lit_u(lit_e)) {alias}(id)"


# Capacity of some cables computed live from the path cache and the strand flags: one row per cable (cable_id, lit,
# reserved, damaged, dark), lit as LIT_STRANDS_SQL says. `{cables}` is a uuid[] SQL expression. Per cable (LATERAL):
# LIT_STRANDS_SQL with that one cable, a GIN probe whose plan does not depend on how many cables are asked for (with
# the whole set, `elements && <n cables>` is misestimated and planned as a scan of every cached path). The stored
# counts on Cable (network.services.capacity) are written from exactly this query.
CAPACITY_SQL = """
SELECT t.id AS cable_id, k.lit, k.reserved, k.damaged, k.dark
FROM unnest({cables}) t(id)
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE lit_s.id IS NOT NULL AND NOT s.damaged) AS lit,
           count(*) FILTER (WHERE s.reserved AND lit_s.id IS NULL AND NOT s.damaged) AS reserved,
           count(*) FILTER (WHERE s.damaged) AS damaged,
           count(*) FILTER (WHERE lit_s.id IS NULL AND NOT s.reserved AND NOT s.damaged) AS dark
    FROM network_strand s {lit_join} ON lit_s.id = s.id
    WHERE s.cable_id = t.id
) k"""


def capacity_sql(cables: str) -> str:
    """CAPACITY_SQL for the cables of the uuid[] SQL expression `cables`."""
    return CAPACITY_SQL.format(lit_join=lit_strands_join("lit_s", "ARRAY[t.id]"), cables=cables)


def cable_capacity_live(cable_ids) -> dict:
    """{cable id: {"lit", "reserved", "dark", "damaged"}} computed now from the path cache (one query): the
    reference the stored counts (Cable.lit_strands, ...) are checked against. The map and lists read the stored
    counts (network.tiles.cable_capacity)."""
    ids = [str(pk) for pk in cable_ids]
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(capacity_sql("%(ids)s::uuid[]"), {"ids": ids})
        return {row[0]: {"lit": row[1], "reserved": row[2], "damaged": row[3], "dark": row[4]} for row in cursor}


def strand_is_lit(*, cable_id) -> RawSQL:
    """lit_strand_sql as an ORM expression for the strands of one cable."""
    return RawSQL(lit_strand_sql('"network_strand"."id"', "ARRAY[%s]::uuid[]"), [str(cable_id)], BooleanField())


def strand_state(*, reserved: bool, lit: bool) -> str:
    """lit / reserved / dark: lit as lit_strand_sql says (on a PON port's path), else reserved when held, else
    dark."""
    if lit:
        return "lit"
    return "reserved" if reserved else "dark"


def cable_strands(*, cable_id) -> QuerySet[Strand]:
    """A cable's strands in number order with their tube, both endpoint ids and whether each is lit
    (strand_is_lit): one query whatever the fibre count."""
    return (
        Strand.objects.filter(cable_id=cable_id)
        .annotate(
            tube_position=F("tube__position"),
            tube_colour=F("tube__colour"),
            tube_stripe=F("tube__stripe"),
            a_endpoint=_endpoint_of(strand=OuterRef("pk"), side="a"),
            b_endpoint=_endpoint_of(strand=OuterRef("pk"), side="b"),
            lit=strand_is_lit(cable_id=cable_id),
        )
        .order_by("number")
    )
