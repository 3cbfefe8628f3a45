"""Vector tiles of the plant (DOMAIN.md A.4 item 9): `/tiles/<layer>/<z>/<x>/<y>.mvt`, one SQL statement per tile.

Each layer selects its rows with `geom && ST_Transform(ST_TileEnvelope(z, x, y), 4326)` (served by the GiST index
GeoDjango puts on every geometry column), then encodes them with
`ST_AsMVT(ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64))`. Zoom rules: backbone and
feeder cables from z10, distribution cables from z13, structures, pathways and closures/cabinets from z14, drops,
terminals (MST, ONT box) and service points from z16. Below a layer's zoom, or where nothing is, the tile is empty.

A tile carries what the map draws and nothing more: each feature's `id` and what its style reads (a structure's,
pathway's or enclosure's `kind`, a cable's `role` and capacity, a service point's `status`). Numbers, names and the
rest come from the API when a feature is clicked: every extra property is encoded per feature on every tile request
(issue 13's target is 1.5x a raw `ST_AsMVT` of id and geometry alone).

Cables carry their capacity: strands `lit`, `reserved`, `dark` (and `damaged`), read from the counts stored on
each cable (Cable.lit_strands, reserved_strands, damaged_strands; dark is the fibre count minus these), which
network.services.capacity writes from the one definition in network.selectors.plant (LIT_STRANDS_SQL: a cached
service path from a PON port crosses the strand) whenever the path cache or a strand's flags change. The tile reads
one row per cable: no strand and no path is read per request.

The ETag is a per-layer version computed, in one cheap query, from `count(*)` and `max(updated_at)` of the tables a
layer reads (a create or delete changes the count, an edit the latest update), so no write path has to remember to
bump anything; `layer_version` is that query.
"""

import hashlib
from dataclasses import dataclass

from django.db import connection

from .choices import CableRole

EXTENT, BUFFER = 4096, 64
MAX_ZOOM = 22
ENVELOPE = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
IN_TILE = f"ST_Transform({ENVELOPE}, 4326)"
MVT_GEOM = f"ST_AsMVTGeom(ST_Transform({{geom}}, 3857), {ENVELOPE}, {EXTENT}, {BUFFER})"
# Dark strands of cable `c` of type `t`: the rest of the fibre count (Cable.dark_strands).
DARK_SQL = "t.fiber_count - c.lit_strands - c.reserved_strands - c.damaged_strands"

# The smallest zoom at which each cable role is drawn.
CABLE_ROLE_ZOOM = {CableRole.BACKBONE: 10, CableRole.FEEDER: 10, CableRole.DISTRIBUTION: 13, CableRole.DROP: 16}
TERMINAL_KINDS = ("mst", "ont_box")  # drawn from z16 like the drops that end in them
STRUCTURE_ZOOM = PATHWAY_ZOOM = ENCLOSURE_ZOOM = 14
TERMINAL_ZOOM = SERVICE_POINT_ZOOM = 16


@dataclass(frozen=True)
class Layer:
    name: str
    min_zoom: int
    tables: tuple[str, ...]  # what its version is computed from

    def rows_sql(self, z: int) -> str:
        """The rows of the layer in the tile: a SELECT with a `geom` column (in 3857, clipped) and the
        properties."""
        return _ROWS[self.name](z)


def _structures(z: int) -> str:
    return f"""
        SELECT s.id::text AS id, s.kind, {MVT_GEOM.format(geom="s.geom")} AS geom
        FROM network_structure s
        WHERE s.geom && {IN_TILE}"""


def _pathways(z: int) -> str:
    return f"""
        SELECT p.id::text AS id, p.kind, {MVT_GEOM.format(geom="p.geom")} AS geom
        FROM network_pathway p
        WHERE p.geom && {IN_TILE}"""


def _cables(z: int) -> str:
    roles = ", ".join(f"'{role}'" for role, zoom in CABLE_ROLE_ZOOM.items() if z >= zoom)
    # Capacity is stored per cable (network.services.capacity keeps it): one number per cable, no strand read.
    return f"""
        SELECT c.id::text AS id, c.role, c.lit_strands AS lit, c.reserved_strands AS reserved, {DARK_SQL} AS dark,
               c.damaged_strands AS damaged, {MVT_GEOM.format(geom="c.geom")} AS geom
        FROM network_cable c
        JOIN network_cabletype t ON t.id = c.cable_type_id
        WHERE c.geom && {IN_TILE} AND c.role IN ({roles})"""


def _enclosures(z: int) -> str:
    terminals = "" if z >= TERMINAL_ZOOM else f"AND e.kind NOT IN ({', '.join(repr(k) for k in TERMINAL_KINDS)})"
    return f"""
        SELECT e.id::text AS id, e.kind, {MVT_GEOM.format(geom="s.geom")} AS geom
        FROM network_enclosure e
        JOIN network_structure s ON s.id = e.structure_id
        WHERE s.geom && {IN_TILE} {terminals}"""


def _service_points(z: int) -> str:
    return f"""
        SELECT p.id::text AS id, p.status, {MVT_GEOM.format(geom="p.geom")} AS geom
        FROM network_servicepoint p
        WHERE p.geom && {IN_TILE}"""


_ROWS = {
    "structures": _structures,
    "pathways": _pathways,
    "cables": _cables,
    "enclosures": _enclosures,
    "service_points": _service_points,
}

LAYERS = {
    layer.name: layer
    for layer in (
        Layer("structures", STRUCTURE_ZOOM, ("network_structure",)),
        Layer("pathways", PATHWAY_ZOOM, ("network_pathway",)),
        # The stored capacity is stamped with updated_at when it changes (network.services.capacity).
        Layer("cables", min(CABLE_ROLE_ZOOM.values()), ("network_cable", "network_cabletype")),
        Layer("enclosures", ENCLOSURE_ZOOM, ("network_enclosure", "network_structure")),
        Layer("service_points", SERVICE_POINT_ZOOM, ("network_servicepoint",)),
    )
}


def tile_in_range(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def tile_sql(layer: str, z: int) -> str:
    """The statement answering one tile of `layer` at zoom `z` (parameters z, x, y by name)."""
    return f"SELECT ST_AsMVT(t, '{layer}', {EXTENT}, 'geom') FROM ({LAYERS[layer].rows_sql(z)}) t"


def tile(layer: str, z: int, x: int, y: int) -> bytes:
    """The Mapbox vector tile of `layer` (b"" when the tile is empty or below the layer's zoom)."""
    if z < LAYERS[layer].min_zoom:
        return b""
    with connection.cursor() as cursor:
        cursor.execute(tile_sql(layer, z), {"z": z, "x": x, "y": y})
        (data,) = cursor.fetchone()
    return bytes(data or b"")


def layer_version(layer: str) -> str:
    """The layer's version: a digest of count(*) and max(updated_at) of each table it reads, in one query. Any
    create, edit or delete through the ORM or the services changes it."""
    parts = " UNION ALL ".join(
        f"SELECT '{table}', count(*), max(updated_at)::text FROM {table}" for table in LAYERS[layer].tables
    )
    with connection.cursor() as cursor:
        cursor.execute(parts)
        rows = cursor.fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:24]


def etag(layer: str) -> str:
    return f'"{layer}-{layer_version(layer)}"'


def cable_capacity(cable_ids) -> dict:
    """{cable id: {"lit", "reserved", "dark", "damaged"}} for the given cables, in one query: the stored counts (lit
    as LIT_STRANDS_SQL says; network.selectors.cable_capacity_live computes the same from the cache)."""
    ids = [str(pk) for pk in cable_ids]
    if not ids:
        return {}
    sql = f"""
        SELECT c.id, c.lit_strands, c.reserved_strands, {DARK_SQL}, c.damaged_strands
        FROM network_cable c JOIN network_cabletype t ON t.id = c.cable_type_id
        WHERE c.id = ANY(%(ids)s::uuid[])"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": ids})
        return {
            row[0]: {"lit": row[1], "reserved": row[2], "dark": row[3], "damaged": row[4]} for row in cursor.fetchall()
        }


def pon_port_onts(port_ids) -> dict:
    """{PON port id: ONTs reached downstream} in one recursive query over the edge view (a count for the
    utilisation column; the trace is the full answer)."""
    ids = [str(pk) for pk in port_ids]
    if not ids:
        return {}
    sql = """
        WITH RECURSIVE walk(port_id, endpoint_id) AS (
            SELECT e.pon_port_id, e.id FROM network_endpoint e WHERE e.pon_port_id = ANY(%s::uuid[])
            UNION
            SELECT w.port_id, x.dst_id FROM walk w
            JOIN network_edge x ON x.src_id = w.endpoint_id AND x.direction IN ('both', 'down') AND NOT x.planned
        )
        SELECT w.port_id, count(DISTINCT ep.ont_id) FROM walk w
        JOIN network_endpoint ep ON ep.id = w.endpoint_id AND ep.ont_id IS NOT NULL GROUP BY w.port_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        return dict(cursor.fetchall())
