"""Optical trace: one recursive SQL query over the `network_edge` view (DOMAIN.md A.4 1 and 5).

Downstream from a PON port the walk takes edges of direction both/down, so a splitter input fans out to every
output; upstream from an ONT it takes both/up, so a splitter output leads only to its input and never to the
sibling outputs: a chain. The walk never goes back along the edge it arrived by (strand and connection edges run
both ways); a real loop (a splice loop) is marked and not followed, and a depth cap bounds any walk. Cumulative
length and loss are summed in the recursion: loss of a hop = length_km x attenuation(wavelength) + loss_db.
Planned plant is skipped unless asked for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from ..choices import OPTICAL_CLASS_MAX_LOSS_DB, Wavelength

DEPTH_CAP = 200  # hops; the deepest real PON path is a few dozen
START_KINDS = ("pon_port", "ont", "strand_end")
DIRECTIONS = ("downstream", "upstream")

# The seed endpoint of each start kind, with the columns its next step reads (see TRACE_SQL).
_ENDPOINT_COLUMNS = "id, kind::text, strand_id, side::text, splitter_id, pon_port_id, ont_id"
_SEED = {
    "pon_port": f"SELECT {_ENDPOINT_COLUMNS} FROM network_endpoint WHERE pon_port_id = %(start)s",
    "ont": f"SELECT {_ENDPOINT_COLUMNS} FROM network_endpoint WHERE ont_id = %(start)s AND port = 1",
    "strand_end": f"SELECT {_ENDPOINT_COLUMNS} FROM network_endpoint WHERE id = %(start)s AND kind = 'strand'",
}

# The edges out of one endpoint, exactly as the view network_edge (network/sql.py) defines them, as a LATERAL
# subquery: joined to the walk's worktable, the view's UNION ALL is planned as hash joins over every edge on each
# step (seconds on a city), while each branch here is a few unique-index lookups for the current endpoint.
# tests/network/test_trace.py checks it against the view.
EDGES_SQL = """
    SELECT e2.id AS dst_id, 'strand'::text AS kind, e1.strand_id AS ref_id, 'both'::text AS direction,
           COALESCE(c.measured_length_m::float8, c.geo_length_m, 0) AS length_m, 0::float8 AS loss_db,
           t.attenuation_1310_db_km::float8 AS attenuation_1310_db_km,
           t.attenuation_1490_db_km::float8 AS attenuation_1490_db_km,
           t.attenuation_1550_db_km::float8 AS attenuation_1550_db_km, c.status = 'planned' AS planned
    FROM network_endpoint e1
    JOIN network_endpoint e2 ON e2.strand_id = e1.strand_id AND e2.side <> e1.side
    JOIN network_strand s ON s.id = e1.strand_id
    JOIN network_cable c ON c.id = s.cable_id
    JOIN network_cabletype t ON t.id = c.cable_type_id
    WHERE e1.id = @src AND e1.strand_id IS NOT NULL
    UNION ALL
    SELECT ce2.endpoint_id, 'connection', ce1.connection_id, 'both', 0,
           COALESCE(k.loss_db, k.calculated_loss_db)::float8, 0, 0, 0, k.status = 'planned'
    FROM network_connectionend ce1
    JOIN network_connectionend ce2 ON ce2.connection_id = ce1.connection_id AND ce2.side <> ce1.side
    JOIN network_connection k ON k.id = ce1.connection_id
    WHERE ce1.endpoint_id = @src
    UNION ALL
    SELECT o.id, 'splitter', i.splitter_id, 'down', 0, sp.insertion_loss_db::float8, 0, 0, 0, sp.status = 'planned'
    FROM network_endpoint i
    JOIN network_endpoint o ON o.splitter_id = i.splitter_id AND o.kind = 'splitter_out'
    JOIN network_splitter sp ON sp.id = i.splitter_id
    WHERE i.id = @src AND i.kind = 'splitter_in'
    UNION ALL
    SELECT i.id, 'splitter', o.splitter_id, 'up', 0, sp.insertion_loss_db::float8, 0, 0, 0, sp.status = 'planned'
    FROM network_endpoint o
    JOIN network_endpoint i ON i.splitter_id = o.splitter_id AND i.kind = 'splitter_in'
    JOIN network_splitter sp ON sp.id = o.splitter_id
    WHERE o.id = @src AND o.kind = 'splitter_out'
"""
_EDGE_JOIN = re.compile(r"JOIN network_edge e ON e\.src_id = (\w+)\.endpoint_id")


def lateral_edges(sql: str) -> str:
    """`JOIN network_edge e ON e.src_id = w.endpoint_id` in a walk -> the same edges as a LATERAL subquery."""
    return _EDGE_JOIN.sub(
        lambda m: "CROSS JOIN LATERAL (" + EDGES_SQL.replace("@src", f"{m[1]}.endpoint_id") + ") e", sql
    )


# One step of a trace from the walk's row `w`: the edges of network_edge (EDGES_SQL, the same four branches) out of
# w's endpoint, minus the edge w arrived by, in the trace's direction, planned plant only if asked. Unlike
# EDGES_SQL it reads nothing twice: w carries its endpoint's row (kind, strand, side, splitter, PON port, ONT),
# read when the step before reached it, so no branch looks the endpoint up again, and each branch skips the edge
# w arrived by before its lookups (the strand and splitter branches without any read at all). Each branch also
# reads what the hop shows: the element's name (a strand's tube, a connection's enclosure), a strand's cable and
# tube, and the destination endpoint's row (a connection's is one more lookup). {att}: the attenuation column of
# the wavelength. tests/network/test_trace.py checks it against the view.
TRACE_STEP_SQL = """
    SELECT e2.id AS dst_id, 'strand'::text AS kind, s.id AS ref_id,
           COALESCE(c.measured_length_m::float8, c.geo_length_m, 0) AS length_m, 0::float8 AS loss_db,
           t.{att}::float8 AS att, e2.kind::text AS dst_kind, e2.strand_id AS dst_strand_id,
           e2.side::text AS dst_side, e2.splitter_id AS dst_splitter_id, e2.pon_port_id AS dst_pon_port_id,
           e2.ont_id AS dst_ont_id,
           c.number || ' F' || s.number || ' (T' || bt.position || ' ' || s.colour || ')' AS name,
           c.id AS cable_id, s.tube_id AS tube_id
    FROM network_strand s
    JOIN network_endpoint e2 ON e2.strand_id = s.id AND e2.side <> w.side
    JOIN network_cable c ON c.id = s.cable_id
    JOIN network_cabletype t ON t.id = c.cable_type_id
    JOIN network_buffertube bt ON bt.id = s.tube_id
    WHERE s.id = w.strand_id AND (w.via_kind IS DISTINCT FROM 'strand' OR w.via_ref IS DISTINCT FROM w.strand_id)
      AND (%(planned)s OR NOT c.status = 'planned')
    UNION ALL
    SELECT ce2.endpoint_id, 'connection', ce1.connection_id, 0, COALESCE(k.loss_db, k.calculated_loss_db)::float8,
           0, d.kind, d.strand_id, d.side, d.splitter_id, d.pon_port_id, d.ont_id,
           k.kind || ' in ' || ke.number || COALESCE(NULLIF(' ' || ke.name, ' '), ''), NULL, NULL
    FROM network_connectionend ce1
    JOIN network_connectionend ce2 ON ce2.connection_id = ce1.connection_id AND ce2.side <> ce1.side
    JOIN network_connection k ON k.id = ce1.connection_id
    JOIN network_endpoint d ON d.id = ce2.endpoint_id
    JOIN network_enclosure ke ON ke.id = k.enclosure_id
    WHERE ce1.endpoint_id = w.endpoint_id
      AND (w.via_kind IS DISTINCT FROM 'connection' OR w.via_ref IS DISTINCT FROM ce1.connection_id)
      AND (%(planned)s OR NOT k.status = 'planned') AND (w.depth > 0 OR %(kind)s <> 'strand_end')
    UNION ALL
    SELECT o.id, 'splitter', sp.id, 0, sp.insertion_loss_db::float8, 0, o.kind, o.strand_id, o.side, o.splitter_id,
           o.pon_port_id, o.ont_id, COALESCE(NULLIF(sp.name, ''), 'Splitter') || ' 1:' || sp.output_count, NULL, NULL
    FROM network_splitter sp
    JOIN network_endpoint o ON o.splitter_id = sp.id AND o.kind = 'splitter_out'
    WHERE %(dir)s = 'down' AND w.ep_kind = 'splitter_in' AND sp.id = w.splitter_id
      AND (w.via_kind IS DISTINCT FROM 'splitter' OR w.via_ref IS DISTINCT FROM w.splitter_id)
      AND (%(planned)s OR NOT sp.status = 'planned') AND (w.depth > 0 OR %(kind)s <> 'strand_end')
    UNION ALL
    SELECT i.id, 'splitter', sp.id, 0, sp.insertion_loss_db::float8, 0, i.kind, i.strand_id, i.side, i.splitter_id,
           i.pon_port_id, i.ont_id, COALESCE(NULLIF(sp.name, ''), 'Splitter') || ' 1:' || sp.output_count, NULL, NULL
    FROM network_splitter sp
    JOIN network_endpoint i ON i.splitter_id = sp.id AND i.kind = 'splitter_in'
    WHERE %(dir)s = 'up' AND w.ep_kind = 'splitter_out' AND sp.id = w.splitter_id
      AND (w.via_kind IS DISTINCT FROM 'splitter' OR w.via_ref IS DISTINCT FROM w.splitter_id)
      AND (%(planned)s OR NOT sp.status = 'planned') AND (w.depth > 0 OR %(kind)s <> 'strand_end')
"""

# {seed}: the seed endpoint. A strand-end start enters the fibre at that end: its first hop is along its strand.
# Depth-first order and loops: each row carries its path of endpoints (`path`, uuid[]); a row whose endpoint is
# already on its path is the loop's (is_cycle) and is not followed, as `CYCLE endpoint_id SET is_cycle` would
# mark it; ORDER BY path is the order of `SEARCH DEPTH FIRST BY endpoint_id` (both compare the endpoint ids along
# the path), each without its array of records per row. After the walk only an ONT's serial and service point and
# a PON port's class and name are read, for the rows that have one (a NULL key reads no index page); OFFSET 0 keeps
# each a lookup per row (pulled up into the join, the planner hashed every ONT and service point of the city).
TRACE_SQL = """
WITH RECURSIVE walk(endpoint_id, ep_kind, strand_id, side, splitter_id, pon_port_id, ont_id, from_id, via_kind,
                    via_ref, hop_length_m, hop_loss_db, length_m, loss_db, depth, name, cable_id, tube_id, path,
                    is_cycle) AS (
    SELECT s.*, NULL::uuid, NULL::text, NULL::uuid, 0::float8, 0::float8, 0::float8, 0::float8, 0, NULL::text,
           NULL::uuid, NULL::uuid, ARRAY[s.id], false
    FROM ({seed}) s
    UNION ALL
    SELECT e.dst_id, e.dst_kind, e.dst_strand_id, e.dst_side, e.dst_splitter_id, e.dst_pon_port_id, e.dst_ont_id,
           w.endpoint_id, e.kind, e.ref_id, e.length_m, e.length_m / 1000.0 * e.att + e.loss_db,
           w.length_m + e.length_m, w.loss_db + e.length_m / 1000.0 * e.att + e.loss_db, w.depth + 1, e.name,
           e.cable_id, e.tube_id, w.path || e.dst_id, e.dst_id = ANY(w.path)
    FROM walk w
    CROSS JOIN LATERAL ({step}) e
    WHERE NOT w.is_cycle AND w.depth < %(cap)s
)
SELECT w.depth, w.endpoint_id, w.from_id, w.via_kind, w.via_ref, w.hop_length_m, w.hop_loss_db, w.length_m,
       w.loss_db, w.is_cycle, w.ep_kind, w.pon_port_id, w.ont_id, w.name, pp.optical_class, pp.port_name,
       ont.serial, ont.svc_id, ont.svc_number, ont.account_id, w.cable_id, w.tube_id
FROM walk w
LEFT JOIN LATERAL (
    SELECT p.optical_class, o.name || ' ' || p.slot || '/' || p.port AS port_name
    FROM network_ponport p JOIN network_olt o ON o.id = p.olt_id WHERE p.id = w.pon_port_id OFFSET 0
) pp ON true
LEFT JOIN LATERAL (
    SELECT t.serial, sp.id AS svc_id, sp.number AS svc_number, sp.account_id
    FROM network_ont t LEFT JOIN network_servicepoint sp ON sp.ont_id = t.id WHERE t.id = w.ont_id OFFSET 0
) ont ON true
ORDER BY w.path
"""


def fetch_rows(sql: str, params: dict) -> list[tuple]:
    """Run one walk and return its rows, as one statement. The planner's estimates for a recursive walk over the
    edge view are far too high, and past jit_above_cost PostgreSQL spends seconds compiling a query that runs in
    milliseconds: JIT is switched off for the statement's transaction (SET LOCAL, sent in the same string)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off;\n" + sql, params)
        cursor.nextset()
        return cursor.fetchall()


def attenuation_column(wavelength: int) -> str:
    if wavelength not in Wavelength.values:
        raise ValidationError({"wavelength": [_("Choose one of 1310, 1490, 1550.")]})
    return f"attenuation_{int(wavelength)}_db_km"


_PLACES = {places: Decimal(places) for places in ("0.1", "0.01", "0.001")}


def _round(value: float, places: str = "0.01") -> Decimal:
    return Decimal(str(value)).quantize(_PLACES.get(places) or Decimal(places), ROUND_HALF_UP)


class _Rounded(dict):
    """value -> _round(value, places), remembered for one trace: the lengths and losses of a tree's hops repeat
    (the same cables, splices and splitter legs on every branch). 0.0 and -0.0 are one key but round apart: zeros
    are answered by sign, never remembered."""

    def __init__(self, places: str):
        super().__init__()
        self.places = places
        self.zeros = (_round(0.0, places), _round(-0.0, places))

    def __missing__(self, value: float) -> Decimal:
        if value == 0:
            return self.zeros[math.copysign(1.0, value) < 0]
        rounded = self[value] = _round(value, self.places)
        return rounded


@dataclass
class Budget:
    optical_class: str | None
    max_loss_db: Decimal | None
    margin_db: Decimal | None
    over: bool

    def as_dict(self) -> dict:
        return {
            "class": self.optical_class,
            "max_loss_db": self.max_loss_db,
            "margin_db": self.margin_db,
            "over": self.over,
        }


def loss_budget(*, loss_db: float | Decimal, optical_class: str | None) -> Budget:
    """The margin of a path's loss against its PON port's optical class (DOMAIN.md A.4 5); no class, no margin."""
    maximum = OPTICAL_CLASS_MAX_LOSS_DB.get(optical_class) if optical_class else None
    if maximum is None:
        return Budget(optical_class, None, None, False)
    loss = _round(float(loss_db))
    return Budget(optical_class, maximum, maximum - loss, loss > maximum)


@dataclass
class Trace:
    start_kind: str
    start_id: UUID
    direction: str
    wavelength: int
    hops: list[dict] = field(default_factory=list)
    onts: list[dict] = field(default_factory=list)
    pon_ports: list[dict] = field(default_factory=list)
    anomalies: list[dict] = field(default_factory=list)
    total_length_m: Decimal = Decimal("0")
    total_loss_db: Decimal = Decimal("0")
    budget: Budget | None = None

    @property
    def ont_ids(self) -> set:
        return {o["id"] for o in self.onts}


def trace_run(
    *,
    start_kind: str,
    start_id: UUID,
    direction: str = "downstream",
    wavelength: int = Wavelength.NM_1490,
    include_planned: bool = False,
    depth_cap: int = DEPTH_CAP,
) -> Trace:
    """Trace from a PON port, an ONT or a strand end (its endpoint id), in one SQL query. ValidationError naming
    `from`, `direction` or `wavelength`; an unknown start is a trace with no hops (the view answers 404)."""
    if start_kind not in START_KINDS:
        raise ValidationError({"from": [_("The start kind is one of pon_port, ont, strand_end.")]})
    if direction not in DIRECTIONS:
        raise ValidationError({"direction": [_("Choose downstream or upstream.")]})
    step = TRACE_STEP_SQL.replace("{att}", attenuation_column(wavelength))
    sql = TRACE_SQL.replace("{step}", step).replace("{seed}", _SEED[start_kind])
    params = {
        "start": str(start_id),
        "cap": depth_cap,
        "dir": "down" if direction == "downstream" else "up",
        "planned": include_planned,
        "kind": start_kind,
    }
    return _trace_from_rows(fetch_rows(sql, params), start_kind, start_id, direction, wavelength, depth_cap)


def _trace_from_rows(rows, start_kind, start_id, direction, wavelength, depth_cap) -> Trace:
    trace = Trace(start_kind=start_kind, start_id=start_id, direction=direction, wavelength=wavelength)
    worst = None  # the row the budget is judged on: the farthest ONT by loss, else the PON port, else the end
    metres, db, db3 = _Rounded("0.1"), _Rounded("0.01"), _Rounded("0.001")
    for row in rows:
        (depth, endpoint_id, from_id, via_kind, via_ref, hop_len, hop_loss, length, loss, is_cycle, ep_kind,
         pon_port_id, ont_id, name, optical_class, port_name, serial, svc_id, svc_number, account_id, cable_id,
         tube_id) = row  # fmt: skip
        if is_cycle:
            trace.anomalies.append(
                {
                    "kind": "loop",
                    "endpoint": endpoint_id,
                    "from_endpoint": from_id,
                    "element_kind": via_kind,
                    "element_id": via_ref,
                    "detail": _("The path returns to an endpoint it already passed: a loop, not followed."),
                }
            )
            continue
        if depth == 0:
            kind, element, label = start_kind, start_id, port_name or serial or _("strand end")
        else:
            kind, element, label = via_kind, via_ref, name
        trace.hops.append(
            {
                "seq": len(trace.hops) + 1,
                "depth": depth,
                "kind": kind,
                "id": element,
                "name": label or "",
                "cable": cable_id,
                "tube": tube_id,
                "endpoint": endpoint_id,
                "endpoint_kind": ep_kind,
                "from_endpoint": from_id,
                "length_m": metres[hop_len],
                "loss_db": db3[hop_loss],
                "cumulative_length_m": metres[length],
                "cumulative_loss_db": db3[loss],
            }
        )
        if depth >= depth_cap:
            trace.anomalies.append(
                {
                    "kind": "depth_cap",
                    "endpoint": endpoint_id,
                    "element_kind": via_kind,
                    "element_id": via_ref,
                    "detail": _("The trace stopped at its depth cap."),
                }  # fmt: skip
            )
        if pon_port_id is not None:
            trace.pon_ports.append(
                {
                    "id": pon_port_id,
                    "name": port_name,
                    "optical_class": optical_class,
                    "length_m": length,
                    "loss_db": loss,
                }  # fmt: skip
            )
        if ont_id is not None and not (depth == 0 and direction == "upstream"):
            trace.onts.append(
                {
                    "id": ont_id,
                    "serial": serial,
                    "service_point": svc_id,
                    "service_point_number": svc_number,
                    "account": account_id,
                    "length_m": metres[length],
                    "loss_db": db[loss],
                    "_loss": loss,
                }
            )
    if direction == "downstream" and trace.onts:
        worst = max(trace.onts, key=lambda o: o["_loss"])
        total_length, total_loss = float(worst["length_m"]), worst["_loss"]
    elif direction == "upstream" and trace.pon_ports:
        port = trace.pon_ports[-1]
        total_length, total_loss = port["length_m"], port["loss_db"]
    else:
        last = max(trace.hops, key=lambda h: h["cumulative_loss_db"], default=None)
        total_length = float(last["cumulative_length_m"]) if last else 0.0
        total_loss = float(last["cumulative_loss_db"]) if last else 0.0
    for ont in trace.onts:
        ont.pop("_loss")
    trace.total_length_m = _round(total_length, "0.1")
    trace.total_loss_db = _round(total_loss)
    port_class = trace.pon_ports[0]["optical_class"] if trace.pon_ports else None
    trace.budget = loss_budget(loss_db=total_loss, optical_class=port_class)
    for ont in trace.onts:
        ont["budget"] = loss_budget(loss_db=ont["loss_db"], optical_class=port_class).as_dict()
    return trace
