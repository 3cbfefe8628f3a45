"""Benchmark: trace and cut impact on a synthetic city plant, each beside its raw-SQL floor in the same run.

Builds, in a database of its own (DATABASE_URL's name + `_network`), with set-based INSERT ... SELECT
generate_series (ids are md5 of a name, so statements refer to each other's rows without lookups):
- a central office with 20 OLTs of 16 PON ports (313 used), 40 FDHs each fed by a 144F feeder (8 lit strands)
  running through an aerial span, 313 splitters 1:32 (8 per FDH), per splitter 4 distribution cables 12F to
  4 MSTs (8 lit strands each), 10,000 drops 2F to 10,000 ONT boxes, ONTs, service points and accounts, and 32
  dark 288F backbone cables: 50,000 strands, ~100,000 strand ends, ~30,600 connections.
Then times (medians of --runs):
1. services.trace_run downstream from one PON port (its 32 ONTs, with names, budget and per-hop sums) against
   the floor: one raw recursive CTE over network_edge from the same endpoint, rows fetched (target <= 2x); the two
   are timed interleaved;
2. services.impact_at_point 5 m from a feeder's span (the cables near the point, lit strands, the downstream walk
   to service points and accounts) against the floor: one raw recursive CTE seeded with the feeder's B ends to
   the service points (target <= 2x);
3. the cache's answer for the same cut (GIN), for reference;
4. the z14 tile of the densest part of the city (the tile holding the most cables), the cables layer (with its
   capacity: lit strands read from the path cache, rebuilt for every PON port first) and the structures layer,
   network.tiles.tile against the floor: the raw ST_AsMVT(ST_AsMVTGeom(...)) of the same rows with only their id
   (target <= 1.5x), in alternating runs (at least 31 of each).

Run with `make bench` (or .venv/bin/python bench/network.py [--runs N] [--rebuild] [--trace-only]).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import migrate, use_database

BENCH_URL = use_database("network")

FDHS, SPLITTERS, CUSTOMERS, BACKBONES = 40, 313, 10_000, 32
TIA = "ARRAY['blue','orange','green','brown','slate','white','red','black','yellow','violet','rose','aqua']"


def u(expr: str) -> str:
    """A deterministic uuid from a text expression."""
    return f"md5({expr})::uuid"


CO_LON, CO_LAT = 3.30, 6.50
FDH_LON = "3.30 + 0.01 * (f % 8 + 1)"
FDH_LAT = "6.50 + 0.01 * (f / 8 + 1)"

PLANT_SQL = [
    # structures and enclosures: the CO, FDHs, MSTs (4 per splitter), buildings (one per customer)
    f"""INSERT INTO network_structure (id, created_at, updated_at, name, kind, status, ownership, owner, geom,
        address, notes)
    SELECT {u("'str:co'")}, now(), now(), 'CO', 'central_office', 'in_service', 'own', '',
           ST_SetSRID(ST_MakePoint({CO_LON}, {CO_LAT}), 4326), '', ''
    UNION ALL
    SELECT {u("'str:fdh:' || f")}, now(), now(), 'FDH ' || f, 'cabinet', 'in_service', 'own', '',
           ST_SetSRID(ST_MakePoint({FDH_LON}, {FDH_LAT}), 4326), '', ''
    FROM generate_series(0, {FDHS - 1}) f
    UNION ALL
    SELECT {u("'str:mst:' || j || ':' || c")}, now(), now(), 'MST ' || j || '/' || c, 'pedestal', 'in_service',
           'own', '', ST_SetSRID(ST_MakePoint(3.30 + 0.01 * ((j % 40) % 8 + 1) + 0.001 * c,
                                             6.50 + 0.01 * ((j % 40) / 8 + 1) + 0.0005 * (j / 40 + 1)), 4326), '', ''
    FROM generate_series(0, {SPLITTERS - 1}) j, generate_series(0, 3) c
    UNION ALL
    SELECT {u("'str:bld:' || k")}, now(), now(), 'Building ' || k, 'building_entry', 'in_service', 'own', '',
           ST_SetSRID(ST_MakePoint(3.30 + 0.01 * (((k / 32) % 40) % 8 + 1) + 0.001 * ((k % 32) / 8)
                                   + 0.00002 * (k % 8),
                                   6.50 + 0.01 * (((k / 32) % 40) / 8 + 1) + 0.0005 * ((k / 32) / 40 + 1)
                                   + 0.0001), 4326), '', ''
    FROM generate_series(0, {CUSTOMERS - 1}) k""",
    """INSERT INTO network_enclosure (id, created_at, updated_at, name, kind, status, structure_id, model,
        port_capacity, notes)
    SELECT md5('enc' || s.id::text)::uuid, now(), now(), s.name,
           CASE s.kind WHEN 'central_office' THEN 'odf' WHEN 'cabinet' THEN 'fdh' WHEN 'pedestal' THEN 'mst'
                ELSE 'ont_box' END, 'in_service', s.id, '', 0, ''
    FROM network_structure s""",
    # cable types
    """INSERT INTO network_cabletype (id, created_at, updated_at, name, manufacturer, construction, fiber_count,
        tube_count, fibers_per_tube, fiber_spec, attenuation_1310_db_km, attenuation_1490_db_km,
        attenuation_1550_db_km, colour_scheme, is_connectorised, notes)
    SELECT md5('type:' || n)::uuid, now(), now(), 'bench ' || n || 'F', '', 'loose_tube', n, t, n / t, 'G.652.D',
           0.35, 0.25, 0.25, 'tia598', false, ''
    FROM (VALUES (144, 12), (12, 1), (2, 1), (288, 24)) v(n, t)""",
    # OLTs and PON ports
    f"""INSERT INTO network_olt (id, created_at, updated_at, name, status, structure_id, enclosure_id, vendor,
        model, serial, notes)
    SELECT {u("'olt:' || o")}, now(), now(), 'Bench OLT ' || o, 'in_service', {u("'str:co'")},
           md5('enc' || {u("'str:co'")}::text)::uuid, '', '', '', ''
    FROM generate_series(0, {(SPLITTERS - 1) // 16}) o""",
    f"""INSERT INTO network_ponport (id, created_at, updated_at, olt_id, slot, port, technology, optical_class,
        max_split, status)
    SELECT {u("'pp:' || j")}, now(), now(), {u("'olt:' || (j / 16)")}, 0, j % 16 + 1, 'gpon', 'B+', 64,
           'in_service'
    FROM generate_series(0, {SPLITTERS - 1}) j""",
    f"""INSERT INTO network_endpoint (id, created_at, updated_at, kind, pon_port_id, port, enclosure_id)
    SELECT {u("'ep:pp:' || j")}, now(), now(), 'pon_port', {u("'pp:' || j")}, 1,
           md5('enc' || {u("'str:co'")}::text)::uuid
    FROM generate_series(0, {SPLITTERS - 1}) j""",
    # splitters and their endpoints
    f"""INSERT INTO network_splitter (id, created_at, updated_at, name, enclosure_id, kind, level, input_count,
        output_count, insertion_loss_db, status)
    SELECT {u("'sp:' || j")}, now(), now(), 'S' || j, md5('enc' || {u("'str:fdh:' || (j % 40)")}::text)::uuid,
           'plc', 'primary', 1, 32, 17.0, 'in_service'
    FROM generate_series(0, {SPLITTERS - 1}) j""",
    f"""INSERT INTO network_endpoint (id, created_at, updated_at, kind, splitter_id, port, enclosure_id)
    SELECT {u("'ep:sp:' || j || ':in'")}, now(), now(), 'splitter_in', {u("'sp:' || j")}, 1,
           md5('enc' || {u("'str:fdh:' || (j % 40)")}::text)::uuid
    FROM generate_series(0, {SPLITTERS - 1}) j
    UNION ALL
    SELECT {u("'ep:sp:' || j || ':out:' || o")}, now(), now(), 'splitter_out', {u("'sp:' || j")}, o,
           md5('enc' || {u("'str:fdh:' || (j % 40)")}::text)::uuid
    FROM generate_series(0, {SPLITTERS - 1}) j, generate_series(1, 32) o""",
    # ONTs, accounts, service points
    f"""INSERT INTO network_ont (id, created_at, updated_at, serial, vendor, model, status, enclosure_id)
    SELECT {u("'ont:' || k")}, now(), now(), 'BNCH' || lpad(k::text, 8, '0'), '', '', 'in_service',
           md5('enc' || {u("'str:bld:' || k")}::text)::uuid
    FROM generate_series(0, {CUSTOMERS - 1}) k""",
    f"""INSERT INTO network_endpoint (id, created_at, updated_at, kind, ont_id, port, enclosure_id)
    SELECT {u("'ep:ont:' || k")}, now(), now(), 'ont_port', {u("'ont:' || k")}, 1,
           md5('enc' || {u("'str:bld:' || k")}::text)::uuid
    FROM generate_series(0, {CUSTOMERS - 1}) k""",
    f"""INSERT INTO crm_account (id, created_at, updated_at, name, kind, status, email, phone, service_address,
        billing_address, tags, notes)
    SELECT {u("'acc:' || k")}, now(), now(), 'Bench customer ' || k, 'residential', 'active',
           'bench' || k || '@example.com', '', '', '', ARRAY['fiber'], ''
    FROM generate_series(0, {CUSTOMERS - 1}) k""",
    f"""INSERT INTO network_servicepoint (id, created_at, updated_at, name, address, geom, status, account_id,
        ont_id, structure_id, notes)
    SELECT {u("'svc:' || k")}, now(), now(), 'Home ' || k, '', s.geom, 'connected', {u("'acc:' || k")},
           {u("'ont:' || k")}, s.id, ''
    FROM generate_series(0, {CUSTOMERS - 1}) k JOIN network_structure s ON s.id = {u("'str:bld:' || k")}""",
]

# Cable families: (key expression over the series, series FROM clause, fibres, tubes, role, A and B structure
# keys). Every strand of every cable gets its two endpoints in the enclosures at its ends.
FAMILIES = [
    ("'fd:' || f", f"generate_series(0, {FDHS - 1}) f", 144, 12, "feeder", "'str:co'", "'str:fdh:' || f", 2000),
    (
        "'di:' || j || ':' || c",
        f"generate_series(0, {SPLITTERS - 1}) j, generate_series(0, 3) c",
        12,
        1,
        "distribution",
        "'str:fdh:' || (j % 40)",
        "'str:mst:' || j || ':' || c",
        400,
    ),
    (
        "'dr:' || k",
        f"generate_series(0, {CUSTOMERS - 1}) k",
        2,
        1,
        "drop",
        "'str:mst:' || (k / 32) || ':' || ((k % 32) / 8)",
        "'str:bld:' || k",
        60,
    ),  # fmt: skip
    (
        "'bb:' || b",
        f"generate_series(0, {BACKBONES - 1}) b",
        288,
        24,
        "backbone",
        "'str:co'",
        "'str:fdh:' || (b % 40)",
        3000,
    ),  # fmt: skip
]


def family_sql(key, series, fibres, tubes, role, a, b, length) -> list[str]:
    per = fibres // tubes
    cable = f"md5('cab:' || {key})::uuid"
    return [
        f"""INSERT INTO network_cable (id, created_at, updated_at, name, cable_type_id, role, status, a_structure_id,
            b_structure_id, a_enclosure_id, b_enclosure_id, geom, measured_length_m, notes)
        SELECT {cable}, now(), now(), {key}, md5('type:{fibres}')::uuid, '{role}', 'in_service', sa.id, sb.id,
               md5('enc' || sa.id::text)::uuid, md5('enc' || sb.id::text)::uuid, ST_MakeLine(sa.geom, sb.geom),
               {length}, ''
        FROM (SELECT * FROM {series}) g JOIN network_structure sa ON sa.id = md5({a})::uuid
        JOIN network_structure sb ON sb.id = md5({b})::uuid""",
        f"""INSERT INTO network_buffertube (id, created_at, updated_at, cable_id, position, colour, stripe,
            stripe_count)
        SELECT md5('tub:' || {key} || ':' || t)::uuid, now(), now(), {cable}, t, ({TIA})[(t - 1) % 12 + 1], '', 0
        FROM {series}, generate_series(1, {tubes}) t""",
        f"""INSERT INTO network_strand (id, created_at, updated_at, cable_id, tube_id, number, position, colour,
            stripe, stripe_count, reserved, damaged)
        SELECT md5('stn:' || {key} || ':' || n)::uuid, now(), now(), {cable},
               md5('tub:' || {key} || ':' || ((n - 1) / {per} + 1))::uuid, n, (n - 1) % {per} + 1,
               ({TIA})[(n - 1) % 12 + 1], '', 0, false, false
        FROM {series}, generate_series(1, {fibres}) n""",
        f"""INSERT INTO network_endpoint (id, created_at, updated_at, kind, strand_id, side, port, enclosure_id)
        SELECT md5('ep:' || {key} || ':' || n || ':' || sd)::uuid, now(), now(), 'strand',
               md5('stn:' || {key} || ':' || n)::uuid, sd, 1,
               md5('enc' || md5(CASE sd WHEN 'a' THEN {a} ELSE {b} END)::uuid::text)::uuid
        FROM {series}, generate_series(1, {fibres}) n, (VALUES ('a'), ('b')) v(sd)""",
    ]


def ep(key: str, n: str, side: str) -> str:
    return f"md5('ep:' || {key} || ':' || {n} || ':{side}')::uuid"


CONNECTIONS_SQL = [
    # PON port j -> feeder (j % 40) strand (j / 40 + 1), in the ODF
    f"""INSERT INTO network_connection (id, created_at, updated_at, kind, status, enclosure_id, a_id, b_id,
        calculated_loss_db, notes)
    SELECT md5('k:pp:' || j)::uuid, now(), now(), 'connector_mate', 'as_built',
           md5('enc' || {u("'str:co'")}::text)::uuid,
           {u("'ep:pp:' || j")}, {ep("'fd:' || (j % 40)", "(j / 40 + 1)", "a")}, 0.3, ''
    FROM generate_series(0, {SPLITTERS - 1}) j""",
    # feeder B end -> splitter input, in the FDH
    f"""INSERT INTO network_connection (id, created_at, updated_at, kind, status, enclosure_id, a_id, b_id,
        calculated_loss_db, notes)
    SELECT md5('k:sin:' || j)::uuid, now(), now(), 'connector_mate', 'as_built',
           md5('enc' || {u("'str:fdh:' || (j % 40)")}::text)::uuid,
           {ep("'fd:' || (j % 40)", "(j / 40 + 1)", "b")}, {u("'ep:sp:' || j || ':in'")}, 0.3, ''
    FROM generate_series(0, {SPLITTERS - 1}) j""",
    # splitter output o -> distribution cable (j, (o-1)/8) strand (o-1)%8+1; its B end spliced to the drop; the drop's
    # B end -> the ONT (customer k = 32 j + o - 1)
    f"""INSERT INTO network_connection (id, created_at, updated_at, kind, status, enclosure_id, a_id, b_id,
        calculated_loss_db, notes)
    SELECT md5('k:out:' || k)::uuid, now(), now(), 'connector_mate', 'as_built',
           md5('enc' || {u("'str:fdh:' || ((k / 32) % 40)")}::text)::uuid,
           {u("'ep:sp:' || (k / 32) || ':out:' || (k % 32 + 1)")},
           {ep("'di:' || (k / 32) || ':' || ((k % 32) / 8)", "((k % 32) % 8 + 1)", "a")}, 0.3, ''
    FROM generate_series(0, {CUSTOMERS - 1}) k
    UNION ALL
    SELECT md5('k:drop:' || k)::uuid, now(), now(), 'splice', 'as_built',
           md5('enc' || {u("'str:mst:' || (k / 32) || ':' || ((k % 32) / 8)")}::text)::uuid,
           {ep("'di:' || (k / 32) || ':' || ((k % 32) / 8)", "((k % 32) % 8 + 1)", "b")},
           {ep("'dr:' || k", "1", "a")}, 0.1, ''
    FROM generate_series(0, {CUSTOMERS - 1}) k
    UNION ALL
    SELECT md5('k:ont:' || k)::uuid, now(), now(), 'connector_mate', 'as_built',
           md5('enc' || {u("'str:bld:' || k")}::text)::uuid, {ep("'dr:' || k", "1", "b")}, {u("'ep:ont:' || k")},
           0.3, ''
    FROM generate_series(0, {CUSTOMERS - 1}) k""",
    # an aerial span under each feeder (its first half), and the feeder's route through it
    f"""INSERT INTO network_structure (id, created_at, updated_at, name, kind, status, ownership, owner, geom,
        address, notes)
    SELECT md5('str:pole:' || f || ':' || e)::uuid, now(), now(), 'Pole ' || f || '/' || e, 'pole', 'in_service',
           'own', '', ST_LineInterpolatePoint(c.geom, 0.25 * (e + 1)), '', ''
    FROM (SELECT * FROM generate_series(0, {FDHS - 1}) f, generate_series(0, 1) e) g
    JOIN network_cable c ON c.id = md5('cab:fd:' || f)::uuid""",
    f"""INSERT INTO network_pathway (id, created_at, updated_at, name, kind, status, a_structure_id, b_structure_id,
        geom, material, notes)
    SELECT md5('pth:' || f)::uuid, now(), now(), 'Span ' || f, 'aerial_span', 'in_service', a.id, b.id,
           ST_MakeLine(a.geom, b.geom), '', ''
    FROM generate_series(0, {FDHS - 1}) f
    JOIN network_structure a ON a.id = md5('str:pole:' || f || ':0')::uuid
    JOIN network_structure b ON b.id = md5('str:pole:' || f || ':1')::uuid""",
    f"""INSERT INTO network_cablesegment (id, created_at, updated_at, cable_id, pathway_id, seq, slack_m)
    SELECT gen_random_uuid(), now(), now(), md5('cab:fd:' || f)::uuid, md5('pth:' || f)::uuid, 1, 0
    FROM generate_series(0, {FDHS - 1}) f""",
]

FLOOR_TRACE_SQL = """
WITH RECURSIVE walk(endpoint_id, via_kind, via_ref, depth) AS (
    SELECT %(seed)s::uuid, NULL::text, NULL::uuid, 0
    UNION ALL
    SELECT e.dst_id, e.kind, e.ref_id, w.depth + 1 FROM walk w JOIN network_edge e ON e.src_id = w.endpoint_id
    WHERE w.depth < 200 AND e.direction IN ('both', 'down')
      AND (e.kind, e.ref_id) IS DISTINCT FROM (w.via_kind, w.via_ref)
) CYCLE endpoint_id SET is_cycle USING visited
SELECT endpoint_id, via_kind, via_ref FROM walk
"""
FLOOR_IMPACT_SQL = """
WITH RECURSIVE down(endpoint_id, via_kind, via_ref, depth) AS (
    SELECT e.id, 'strand'::text, e.strand_id, 0 FROM network_endpoint e JOIN network_strand s ON s.id = e.strand_id
    WHERE s.cable_id = %(cable)s AND e.side = 'b'
    UNION ALL
    SELECT e.dst_id, e.kind, e.ref_id, d.depth + 1 FROM down d JOIN network_edge e ON e.src_id = d.endpoint_id
    WHERE d.depth < 200 AND e.direction IN ('both', 'down')
      AND (e.kind, e.ref_id) IS DISTINCT FROM (d.via_kind, d.via_ref)
) CYCLE endpoint_id SET is_cycle USING visited
SELECT DISTINCT sp.id, sp.number, sp.account_id FROM down d JOIN network_endpoint ep ON ep.id = d.endpoint_id
JOIN network_servicepoint sp ON sp.ont_id = ep.ont_id
"""


def lateral(sql: str) -> str:
    from network.services.trace import lateral_edges

    return lateral_edges(sql)


def build(rebuild: bool) -> None:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM network_strand")
        have = cursor.fetchone()[0]
    if have >= 50_000 and not rebuild:
        print(f"- plant already loaded ({have:,} strands)")
        return
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if have:
            for table in ("network_servicepath", "network_servicepathqueue", "network_cablesegment",
                          "network_pathway", "network_connectionend", "network_connection", "network_servicepoint",
                          "network_endpoint", "network_ont", "network_splitter", "network_strand",
                          "network_buffertube", "network_cable", "network_ponport", "network_olt",
                          "network_cabletype", "network_enclosure", "network_structure"):  # fmt: skip
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("DELETE FROM crm_account WHERE email LIKE 'bench%%@example.com'")
        statements = PLANT_SQL[:3]
        for family in FAMILIES:
            statements += family_sql(*family)
        statements += PLANT_SQL[3:] + CONNECTIONS_SQL
        for n, sql in enumerate(statements, start=1):
            cursor.execute(sql)
            print(f"\r- loading the plant: statement {n}/{len(statements)}", end="", flush=True)
        print()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM network_strand), (SELECT count(*) FROM network_endpoint), "
            "(SELECT count(*) FROM network_connection), (SELECT count(*) FROM network_servicepoint)"
        )
        strands, endpoints, connections, points = cursor.fetchone()
    print(
        f"- loaded {strands:,} strands, {endpoints:,} endpoints, {connections:,} connections, {points:,} service "
        f"points in {time.perf_counter() - started:.1f} s"
    )


# The tile floors: the same rows in the tile as network.tiles selects (same zoom rule), encoded with only their id.
_ENV = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
FLOOR_CABLES_TILE_SQL = f"""
SELECT ST_AsMVT(t, 'cables', 4096, 'geom') FROM (
    SELECT c.id::text AS id, ST_AsMVTGeom(ST_Transform(c.geom, 3857), {_ENV}, 4096, 64) AS geom
    FROM network_cable c
    WHERE c.geom && ST_Transform({_ENV}, 4326) AND c.role IN ('backbone', 'feeder', 'distribution')
) t"""
FLOOR_STRUCTURES_TILE_SQL = f"""
SELECT ST_AsMVT(t, 'structures', 4096, 'geom') FROM (
    SELECT s.id::text AS id, ST_AsMVTGeom(ST_Transform(s.geom, 3857), {_ENV}, 4096, 64) AS geom
    FROM network_structure s WHERE s.geom && ST_Transform({_ENV}, 4326)
) t"""


def densest_tile(z: int) -> tuple[int, int, int]:
    """The tile at zoom z over the city holding the most cables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH box AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 4326), 3857) AS b FROM network_cable),
            span AS (
                SELECT floor((ST_XMin(b) + 20037508.342789244) / (40075016.685578488 / 2 ^ %(z)s))::int AS x0,
                       floor((ST_XMax(b) + 20037508.342789244) / (40075016.685578488 / 2 ^ %(z)s))::int AS x1,
                       floor((20037508.342789244 - ST_YMax(b)) / (40075016.685578488 / 2 ^ %(z)s))::int AS y0,
                       floor((20037508.342789244 - ST_YMin(b)) / (40075016.685578488 / 2 ^ %(z)s))::int AS y1
                FROM box
            )
            SELECT x, y FROM span, generate_series(x0, x1) x, generate_series(y0, y1) y
            ORDER BY (SELECT count(*) FROM network_cable c
                      WHERE c.geom && ST_Transform(ST_TileEnvelope(%(z)s, x, y), 4326)) DESC, x, y
            LIMIT 1""",
            {"z": z},
        )
        x, y = cursor.fetchone()
    return z, x, y


def timed_pair(ours, floor, runs: int) -> tuple[float, object, float, object]:
    """Medians of `runs` of each, interleaved (ours then the floor, then the floor then ours, ...), so the load of a
    shared box weighs on both alike."""
    results, times = [ours(), floor()], ([], [])  # warm-up
    for n in range(runs):
        for i in (0, 1) if n % 2 == 0 else (1, 0):
            start = time.perf_counter()
            results[i] = (ours, floor)[i]()
            times[i].append(time.perf_counter() - start)
    return statistics.median(times[0]) * 1000, results[0], statistics.median(times[1]) * 1000, results[1]


def timed(function, runs: int) -> tuple[float, object]:
    result = function()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="drop and load the plant again")
    parser.add_argument("--trace-only", action="store_true", help="time the trace and its floor only")
    args = parser.parse_args()
    migrate("the network bench database")
    build(args.rebuild)

    from django.contrib.gis.geos import Point
    from django.db import connection

    from network import tiles
    from network.models import Cable, PonPort
    from network.services import impact, paths, trace

    port = PonPort.objects.get(olt__name="Bench OLT 0", port=1)
    seed = str(port.endpoints.get().pk)

    def floor_trace():
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute(lateral(FLOOR_TRACE_SQL), {"seed": seed})
            return cursor.fetchall()

    trace_ms, result, floor_ms, rows = timed_pair(
        lambda: trace.trace_run(start_kind="pon_port", start_id=port.pk), floor_trace, args.runs
    )

    def print_trace():
        print()
        print(f"Network plant: {CUSTOMERS:,} service points, 50,000 strands; medians of {args.runs}")
        print(
            f"  downstream trace from one PON port ({len(result.hops)} hops, {len(result.onts)} ONTs)"
            f"\n    services.trace_run       {trace_ms:8.2f} ms"
            f"\n    raw recursive CTE        {floor_ms:8.2f} ms ({len(rows)} rows)"
            f"\n    ratio: {trace_ms / floor_ms:.2f}x (target <= 2x)"
        )

    if args.trace_only:
        print_trace()
        return

    feeder = Cable.objects.get(name="fd:0")
    span = feeder.segments.get().pathway
    mid = span.geom.interpolate_normalized(0.5)
    cut = Point(mid.x, mid.y + 5 / 111_320, srid=4326)  # 5 m north of the span

    def floor_impact():
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute(lateral(FLOOR_IMPACT_SQL), {"cable": feeder.pk})
            return cursor.fetchall()

    impact_ms, hit = timed(lambda: impact.impact_at_point(point=cut, radius_m=15, cables=[feeder.pk]), args.runs)
    impact_floor_ms, floor_hit = timed(floor_impact, args.runs)
    # The cache of the PON ports behind feeder 0 (splitters j with j % 40 == 0), each rebuilt as the queue does.
    started = time.perf_counter()
    behind = [PonPort.objects.get(olt__name=f"Bench OLT {j // 16}", port=j % 16 + 1) for j in range(0, SPLITTERS, 40)]
    written = sum(paths.paths_rebuild(p.pk) for p in behind)
    rebuild_ms = (time.perf_counter() - started) * 1000 / len(behind)
    print(f"- path cache: {len(behind)} PON ports rebuilt, {written} paths, {rebuild_ms:.0f} ms per port")
    cache_ms, cached = timed(lambda: paths.impact_from_cache(cables=[c["id"] for c in hit.cables]), args.runs)

    print_trace()
    print(
        f"  cut 5 m from a feeder's span ({len(hit.cables)} cable(s) hit, {hit.count} service points,"
        f" {len(hit.accounts)} accounts)"
        f"\n    services.impact_at_point {impact_ms:8.2f} ms (point search + impact query)"
        f"\n    raw recursive CTE        {impact_floor_ms:8.2f} ms ({len(floor_hit)} service points)"
        f"\n    ratio: {impact_ms / impact_floor_ms:.2f}x (target <= 2x)"
        f"\n    path cache (GIN)         {cache_ms:8.2f} ms ({cached.count} service points, "
        f"{'equal' if cached.service_point_ids == hit.service_point_ids else 'DIFFERENT'})"
    )
    # The whole cache (every PON port), so the tiles' capacity reads real lit strands.
    for p in PonPort.objects.exclude(pk__in=[b.pk for b in behind]).filter(endpoints__isnull=False):
        paths.paths_rebuild(p.pk)
    z, x, y = densest_tile(14)
    for layer, floor_sql in (("cables", FLOOR_CABLES_TILE_SQL), ("structures", FLOOR_STRUCTURES_TILE_SQL)):

        def floor_tile(sql=floor_sql, layer=layer):
            with connection.cursor() as cursor:
                cursor.execute(sql, {"z": z, "x": x, "y": y})
                return bytes(cursor.fetchone()[0] or b"")

        # Alternating runs (ours, floor, ours, ...): a busy box slows both alike instead of one of them.
        data, floor_data = tiles.tile(layer, z, x, y), floor_tile()  # warm-up
        ours, floor = [], []
        for _ in range(max(args.runs, 31)):
            for function, times in ((lambda layer=layer: tiles.tile(layer, z, x, y), ours), (floor_tile, floor)):
                start = time.perf_counter()
                function()
                times.append(time.perf_counter() - start)
        tile_ms, tile_floor_ms = statistics.median(ours) * 1000, statistics.median(floor) * 1000
        print(
            f"  z14 tile {z}/{x}/{y}, {layer} layer ({len(data):,} bytes; the floor {len(floor_data):,})"
            f"\n    network.tiles.tile       {tile_ms:8.2f} ms"
            f"\n    raw ST_AsMVT             {tile_floor_ms:8.2f} ms"
            f"\n    ratio: {tile_ms / tile_floor_ms:.2f}x (target <= 1.5x)"
        )


if __name__ == "__main__":
    main()
