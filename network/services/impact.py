"""What a cut or a piece of maintenance hits (DOMAIN.md A.4 2-4): the service points and accounts served through a
set of plant elements, in one SQL query; the root-cause hint (the deepest element common to the ONTs that are
down and absent from those that are up); the cables at a map point.

The impact query, from the seed set (cables, tubes, strands, enclosures, splitters, PON ports, ...):
1. cut elements: the strands of the cables (and of the cables in the pathways, via CableSegment), tubes and
   strands; the connections and splitters in the enclosures; the splitters and PON ports named;
2. each end of a cut element walks upstream (direction both/up, not along its own element): an end that reaches a
   PON port is the lit side. Dark strands (no PON port behind them) stop here;
3. one downstream walk seeded with every far end at once (the other end of a strand or connection, every output
   of a splitter), never back along the cut element, to the ONT endpoints -> service points -> accounts
   (DISTINCT). Other PON ports' customers are never reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from .trace import DEPTH_CAP, fetch_rows, lateral_edges

DEFAULT_RADIUS_M = 15  # GPS error of a reported cut (DOMAIN.md A.4 2)
MAX_RADIUS_M = 5000

ELEMENT_KEYS = (
    "structures",
    "pathways",
    "cables",
    "tubes",
    "strands",
    "enclosures",
    "splitters",
    "pon_ports",
    "olts",
    "onts",
    "connections",
)

_WALK_FILTER = """
      AND (%(planned)s OR NOT e.planned)
      AND (e.kind, e.ref_id) IS DISTINCT FROM ({prev}.via_kind, {prev}.via_ref)"""

# The cut elements, their ends (`ends`) and each end's upstream walk (`up`): shared with the path cache's marking.
IMPACT_HEAD = (
    """
WITH RECURSIVE
cut_cable AS (
    SELECT id FROM network_cable WHERE id = ANY(%(cables)s::uuid[])
    UNION SELECT cable_id FROM network_cablesegment WHERE pathway_id = ANY(%(pathways)s::uuid[])
),
cut_strand AS (
    SELECT s.id FROM network_strand s WHERE s.cable_id IN (SELECT id FROM cut_cable)
    UNION SELECT s.id FROM network_strand s
    WHERE (s.tube_id = ANY(%(tubes)s::uuid[]) OR s.id = ANY(%(strands)s::uuid[]))
      AND (%(within)s::uuid[] IS NULL OR s.cable_id = ANY(%(within)s::uuid[]))
),
cut_enclosure AS (
    SELECT id FROM network_enclosure
    WHERE id = ANY(%(enclosures)s::uuid[]) OR structure_id = ANY(%(structures)s::uuid[])
),
ends(endpoint_id, kind, ref) AS (
    SELECT e.id, 'strand'::text, e.strand_id FROM network_endpoint e JOIN cut_strand c ON e.strand_id = c.id
    UNION ALL
    SELECT ce.endpoint_id, 'connection', ce.connection_id FROM network_connectionend ce
    JOIN network_connection k ON k.id = ce.connection_id
    WHERE k.id = ANY(%(connections)s::uuid[]) OR k.enclosure_id IN (SELECT id FROM cut_enclosure)
    UNION ALL
    SELECT e.id, 'splitter', e.splitter_id FROM network_endpoint e JOIN network_splitter sp ON sp.id = e.splitter_id
    WHERE e.kind = 'splitter_in'
      AND (sp.id = ANY(%(splitters)s::uuid[]) OR sp.enclosure_id IN (SELECT id FROM cut_enclosure))
    UNION ALL
    SELECT e.id, 'pon_port', e.pon_port_id FROM network_endpoint e JOIN network_ponport p ON p.id = e.pon_port_id
    JOIN network_olt o ON o.id = p.olt_id
    WHERE p.id = ANY(%(pon_ports)s::uuid[]) OR o.id = ANY(%(olts)s::uuid[])
       OR o.structure_id = ANY(%(structures)s::uuid[]) OR o.enclosure_id IN (SELECT id FROM cut_enclosure)
    UNION ALL
    SELECT e.id, 'ont', e.ont_id FROM network_endpoint e WHERE e.ont_id = ANY(%(onts)s::uuid[])
),
up(seed, endpoint_id, via_kind, via_ref, depth) AS (
    SELECT endpoint_id, endpoint_id, kind, ref, 0 FROM ends
    UNION ALL
    SELECT u.seed, e.dst_id, e.kind, e.ref_id, u.depth + 1
    FROM up u JOIN network_edge e ON e.src_id = u.endpoint_id
    WHERE u.depth < %(cap)s AND e.direction IN ('both', 'up')"""
    + _WALK_FILTER.format(prev="u")
    + """
) CYCLE endpoint_id SET is_cycle USING visited,
"""
)
IMPACT_HEAD = lateral_edges(IMPACT_HEAD)
IMPACT_SQL = (
    IMPACT_HEAD
    + """lit AS (
    SELECT DISTINCT u.seed FROM up u JOIN network_endpoint p ON p.id = u.endpoint_id
    WHERE p.kind = 'pon_port' AND NOT u.is_cycle
),
lit_ends AS (SELECT x.* FROM ends x JOIN lit ON lit.seed = x.endpoint_id),
down_seed(endpoint_id, kind, ref) AS (
    SELECT o.id, x.kind, x.ref FROM lit_ends x
    JOIN network_endpoint o ON o.strand_id = x.ref AND o.id <> x.endpoint_id WHERE x.kind = 'strand'
    UNION ALL
    SELECT ce.endpoint_id, x.kind, x.ref FROM lit_ends x
    JOIN network_connectionend ce ON ce.connection_id = x.ref AND ce.endpoint_id <> x.endpoint_id
    WHERE x.kind = 'connection'
    UNION ALL
    SELECT o.id, x.kind, x.ref FROM lit_ends x
    JOIN network_endpoint o ON o.splitter_id = x.ref AND o.kind = 'splitter_out' WHERE x.kind = 'splitter'
    UNION ALL
    SELECT x.endpoint_id, x.kind, x.ref FROM lit_ends x WHERE x.kind = 'pon_port'
),
down(endpoint_id, via_kind, via_ref, depth) AS (
    SELECT endpoint_id, kind, ref, 0 FROM down_seed
    UNION ALL
    SELECT e.dst_id, e.kind, e.ref_id, d.depth + 1
    FROM down d JOIN network_edge e ON e.src_id = d.endpoint_id
    WHERE d.depth < %(cap)s AND e.direction IN ('both', 'down')"""
    + _WALK_FILTER.format(prev="d")
    + """
) CYCLE endpoint_id SET is_cycle USING visited,
hit AS (
    SELECT ep.ont_id FROM down d JOIN network_endpoint ep ON ep.id = d.endpoint_id WHERE ep.ont_id IS NOT NULL
    UNION SELECT x.ref FROM lit_ends x WHERE x.kind = 'ont'
)
SELECT sp.id, sp.number, sp.name, sp.ont_id, a.id, a.number, a.name
FROM hit JOIN network_servicepoint sp ON sp.ont_id = hit.ont_id
LEFT JOIN crm_account a ON a.id = sp.account_id
ORDER BY sp.number
"""
)
IMPACT_SQL = lateral_edges(IMPACT_SQL)

# The cables within `radius` metres of a point, directly or through a pathway they run in (CableSegment), by
# distance; both searches use the (geom)::geography GiST indexes (network_cable_geog, network_pathway_geog).
POINT_SQL = """
WITH p AS (SELECT ST_GeogFromText(%(point)s) AS g)
SELECT c.id, c.number, c.name, min(h.distance_m) AS distance_m, array_agg(DISTINCT h.pathway_id)
       FILTER (WHERE h.pathway_id IS NOT NULL)
FROM (
    SELECT c.id AS cable_id, NULL::uuid AS pathway_id, ST_Distance((c.geom)::geography, p.g) AS distance_m
    FROM network_cable c, p WHERE ST_DWithin((c.geom)::geography, p.g, %(radius)s)
    UNION ALL
    SELECT cs.cable_id, w.id, ST_Distance((w.geom)::geography, p.g)
    FROM network_pathway w CROSS JOIN p JOIN network_cablesegment cs ON cs.pathway_id = w.id
    WHERE ST_DWithin((w.geom)::geography, p.g, %(radius)s)
) h JOIN network_cable c ON c.id = h.cable_id
WHERE c.status <> 'retired' AND (%(planned)s OR c.status <> 'planned')
GROUP BY c.id, c.number, c.name
ORDER BY distance_m, c.number
"""
NEAREST_SQL = """
SELECT c.id, c.number, c.name, ST_Distance((c.geom)::geography, ST_GeogFromText(%(point)s))
FROM network_cable c WHERE c.geom IS NOT NULL AND c.status <> 'retired'
ORDER BY (c.geom)::geography <-> ST_GeogFromText(%(point)s) LIMIT 1
"""

ROOT_CAUSE_SQL = (
    """
WITH RECURSIVE up(ont, endpoint_id, via_kind, via_ref, depth) AS (
    SELECT e.ont_id, e.id, NULL::text, NULL::uuid, 0 FROM network_endpoint e
    WHERE e.ont_id = ANY(%(onts)s::uuid[]) AND e.port = 1
    UNION ALL
    SELECT u.ont, e.dst_id, e.kind, e.ref_id, u.depth + 1
    FROM up u JOIN network_edge e ON e.src_id = u.endpoint_id
    WHERE u.depth < %(cap)s AND e.direction IN ('both', 'up')"""
    + _WALK_FILTER.format(prev="u")
    + """
) CYCLE endpoint_id SET is_cycle USING visited,
element AS (
    SELECT ont, via_kind AS kind, via_ref AS ref, min(depth) AS depth FROM up
    WHERE via_kind IS NOT NULL AND NOT is_cycle GROUP BY ont, via_kind, via_ref
),
candidate AS (
    SELECT kind, ref, avg(depth) AS depth FROM element GROUP BY kind, ref
    HAVING count(DISTINCT ont) FILTER (WHERE ont = ANY(%(down)s::uuid[])) = %(n_down)s
       AND count(*) FILTER (WHERE ont = ANY(%(up_onts)s::uuid[])) = 0
)
SELECT c.kind, c.ref, c.depth,
       CASE c.kind
           WHEN 'strand' THEN cb.number || ' F' || st.number
           WHEN 'connection' THEN k.kind || ' in ' || ke.number
           WHEN 'splitter' THEN COALESCE(NULLIF(sp.name, ''), 'Splitter') || ' 1:' || sp.output_count
       END, cb.id
FROM candidate c
LEFT JOIN network_strand st ON c.kind = 'strand' AND st.id = c.ref
LEFT JOIN network_cable cb ON cb.id = st.cable_id
LEFT JOIN network_connection k ON c.kind = 'connection' AND k.id = c.ref
LEFT JOIN network_enclosure ke ON ke.id = k.enclosure_id
LEFT JOIN network_splitter sp ON c.kind = 'splitter' AND sp.id = c.ref
ORDER BY c.depth, c.kind, c.ref
"""
)
ROOT_CAUSE_SQL = lateral_edges(ROOT_CAUSE_SQL)


@dataclass
class Impact:
    service_points: list[dict] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)
    cables: list[dict] = field(default_factory=list)  # a point cut: the cables hit, with their distance
    nearest: dict | None = None  # a point cut that hit nothing: the nearest cable

    @classmethod
    def from_rows(cls, rows) -> Impact:
        """From rows of (service point id, number, name, ont, account id, number, name): the query's and the
        path cache's answers, accounts once each, by number."""
        impact, accounts = cls(), {}
        for sp_id, sp_number, sp_name, ont_id, account_id, account_number, account_name in rows:
            impact.service_points.append(
                {"id": sp_id, "number": sp_number, "name": sp_name, "ont": ont_id, "account": account_id}
            )
            if account_id is not None:
                accounts[account_id] = {"id": account_id, "number": account_number, "name": account_name}
        impact.accounts = sorted(accounts.values(), key=lambda a: a["number"])
        return impact

    @property
    def count(self) -> int:
        return len(self.service_points)

    @property
    def service_point_ids(self) -> set:
        return {s["id"] for s in self.service_points}


def _ids(values: Iterable, name: str) -> list[str]:
    out = []
    for value in values or ():
        try:
            out.append(str(value if isinstance(value, UUID) else UUID(str(value))))
        except (TypeError, ValueError):
            raise ValidationError({name: [_("Not an id: %(value)s.") % {"value": str(value)[:40]}]}) from None
    return out


def impact_run(*, include_planned: bool = False, within_cables: Iterable | None = None, **elements) -> Impact:
    """The service points and accounts served through any of the elements (lists of ids by ELEMENT_KEYS), in one
    query. `within_cables` limits tubes and strands to those cables (a partial cut at a point)."""
    unknown = set(elements) - set(ELEMENT_KEYS)
    if unknown:
        raise ValidationError({name: [_("Not an element kind.")] for name in sorted(unknown)})
    params = {key: _ids(elements.get(key, ()), key) for key in ELEMENT_KEYS}
    params |= {
        "within": None if within_cables is None else _ids(within_cables, "cables"),
        "planned": include_planned,
        "cap": DEPTH_CAP,
    }
    if not any(params[key] for key in ELEMENT_KEYS):
        return Impact()
    return Impact.from_rows(fetch_rows(IMPACT_SQL, params))


def cables_near(*, point: GEOSGeometry, radius_m: float, include_planned: bool = False) -> list[dict]:
    """The cables within radius_m of the point (directly or through a pathway they run in), nearest first."""
    params = {"point": _ewkt(point), "radius": float(radius_m), "planned": include_planned}
    with connection.cursor() as cursor:
        cursor.execute(POINT_SQL, params)
        return [
            {"id": pk, "number": number, "name": name, "distance_m": round(distance, 1), "pathways": pathways or []}
            for pk, number, name, distance, pathways in cursor.fetchall()
        ]


def cable_nearest(*, point: GEOSGeometry) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(NEAREST_SQL, {"point": _ewkt(point)})
        row = cursor.fetchone()
    return None if row is None else {"id": row[0], "number": row[1], "name": row[2], "distance_m": round(row[3], 1)}


def _ewkt(point: GEOSGeometry) -> str:
    return point.ewkt if point.srid else f"SRID=4326;{point.wkt}"


def impact_at_point(
    *,
    point: GEOSGeometry,
    radius_m: float = DEFAULT_RADIUS_M,
    cables: Iterable = (),
    tubes: Iterable = (),
    strands: Iterable = (),
    include_planned: bool = False,
) -> Impact:
    """A cut at a map point: the cables within the radius (whole), or only the given cables, tubes or strands of
    them (a partial cut). Nothing within the radius: an empty impact and the nearest cable with its distance."""
    if not 0 < float(radius_m) <= MAX_RADIUS_M:
        raise ValidationError({"radius_m": [_("Between 0 and %(max)d metres.") % {"max": MAX_RADIUS_M}]})
    hit = cables_near(point=point, radius_m=radius_m, include_planned=include_planned)
    if not hit:
        return Impact(nearest=cable_nearest(point=point))
    hit_ids = [c["id"] for c in hit]
    chosen, tubes, strands = set(_ids(cables, "cables")), _ids(tubes, "tubes"), _ids(strands, "strands")
    if tubes or strands:
        impact = impact_run(tubes=tubes, strands=strands, within_cables=hit_ids, include_planned=include_planned)
    else:
        whole = [pk for pk in hit_ids if not chosen or str(pk) in chosen]
        impact = impact_run(cables=whole, include_planned=include_planned)
    impact.cables = [c for c in hit if not chosen or str(c["id"]) in chosen]
    return impact


def root_cause(*, down: Iterable, up: Iterable = (), include_planned: bool = False) -> dict:
    """The elements every down ONT's path to its PON port crosses and no up ONT's does, nearest the customers
    first (DOMAIN.md A.4 4), in one query. {"element": the first or None, "candidates": [...]}"""
    down_ids, up_ids = _ids(down, "down"), _ids(up, "up")
    if not down_ids:
        raise ValidationError({"down": [_("Name at least one ONT that is down.")]})
    if set(down_ids) & set(up_ids):
        raise ValidationError({"up": [_("An ONT cannot be both down and up.")]})
    params = {
        "onts": down_ids + up_ids,
        "down": down_ids,
        "n_down": len(set(down_ids)),
        "up_onts": up_ids,
        "cap": DEPTH_CAP,
        "planned": include_planned,
    }
    rows = fetch_rows(ROOT_CAUSE_SQL, params)
    candidates = [
        {"kind": kind, "id": ref, "depth": float(depth), "name": name or "", "cable": cable}
        for kind, ref, depth, name, cable in rows
    ]
    return {"element": candidates[0] if candidates else None, "candidates": candidates}
