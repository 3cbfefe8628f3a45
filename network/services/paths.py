"""The path cache: ServicePath rows (PON port -> ONT per service point, the flattened elements GIN-indexed), rebuilt
per PON port from a debounced queue (ServicePathQueue), never the source of truth (impact.py is).

- `paths_mark_dirty(**elements)`: queue the PON ports whose paths cross the elements (from the cache) or that the
  elements' ends reach upstream (new plant), due PATHS_DEBOUNCE later; marking again pushes the time later.
  `paths_mark_dirty_for(record)` does it after the caller's commit; the plant services call it beside each event.
- `paths_rebuild_due()`: claim due ports (SKIP LOCKED), rebuild each under an advisory lock (task, beat sweep).
- `paths_rebuild(pon_port_id)`: replace one port's rows by one downstream walk (INSERT ... SELECT), and recount
  the stored capacity of the cables they cross (network.services.capacity).
- `impact_from_cache(**elements)`: the service points whose cached paths cross the elements (one indexed query).
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from ..models import PonPort, ServicePathQueue
from .capacity import cable_capacity_refresh, cable_capacity_refresh_all
from .impact import ELEMENT_KEYS, IMPACT_HEAD, Impact, _ids
from .trace import DEPTH_CAP, lateral_edges

DEBOUNCE = timedelta(seconds=30)  # a burst of edits (a splice plan applied, an import) rebuilds once
_LOCK_NAMESPACE = 7113  # pg_advisory_xact_lock(namespace, hashtext(port)): one rebuild of a port at a time

# Every element of a path: the walk's edge refs (strands, connections, splitters), then each strand's tube and
# cable, each connection's and splitter's enclosure, the PON port, its OLT and the ONT.
REBUILD_SQL = """
WITH RECURSIVE walk(endpoint_id, via_kind, via_ref, length_m, loss_db, depth, refs) AS (
    SELECT e.id, NULL::text, NULL::uuid, 0::float8, 0::float8, 0, ARRAY[p.id, p.olt_id]
    FROM network_endpoint e JOIN network_ponport p ON p.id = e.pon_port_id WHERE e.pon_port_id = %(port)s
    UNION ALL
    SELECT e.dst_id, e.kind, e.ref_id, w.length_m + e.length_m,
           w.loss_db + e.length_m / 1000.0 * e.attenuation_1490_db_km + e.loss_db, w.depth + 1, w.refs || e.ref_id
    FROM walk w JOIN network_edge e ON e.src_id = w.endpoint_id
    WHERE w.depth < %(cap)s AND e.direction IN ('both', 'down') AND NOT e.planned
      AND (e.kind, e.ref_id) IS DISTINCT FROM (w.via_kind, w.via_ref)
) CYCLE endpoint_id SET is_cycle USING visited
INSERT INTO network_servicepath (id, created_at, updated_at, service_point_id, pon_port_id, ont_id, elements,
                                 length_m, loss_db)
SELECT gen_random_uuid(), now(), now(), sp.id, %(port)s, ep.ont_id,
       w.refs || ep.ont_id || ARRAY(
           SELECT unnest(ARRAY[s.cable_id, s.tube_id]) FROM unnest(w.refs) r JOIN network_strand s ON s.id = r
           UNION SELECT k.enclosure_id FROM unnest(w.refs) r JOIN network_connection k ON k.id = r
           UNION SELECT x.enclosure_id FROM unnest(w.refs) r JOIN network_splitter x ON x.id = r
       ),
       w.length_m, w.loss_db
FROM walk w
JOIN network_endpoint ep ON ep.id = w.endpoint_id AND ep.ont_id IS NOT NULL
JOIN network_servicepoint sp ON sp.ont_id = ep.ont_id
WHERE NOT w.is_cycle
ON CONFLICT (service_point_id, pon_port_id) DO NOTHING
"""
REBUILD_SQL = lateral_edges(REBUILD_SQL)

# The PON ports an edit of these elements may change: those whose cached paths cross them, and those their ends
# reach upstream (plant that is not in any path yet). The `up` walk is the impact query's (network_edge).
MARK_SQL = (
    IMPACT_HEAD
    + """reached AS (
    SELECT p.pon_port_id FROM up u JOIN network_endpoint p ON p.id = u.endpoint_id WHERE p.kind = 'pon_port'
    UNION SELECT pon_port_id FROM network_servicepath WHERE elements && %(all)s::uuid[]
)
INSERT INTO network_servicepathqueue (pon_port_id, due_at)
SELECT DISTINCT pon_port_id, %(due)s FROM reached WHERE pon_port_id IS NOT NULL
ON CONFLICT (pon_port_id) DO UPDATE SET due_at = GREATEST(network_servicepathqueue.due_at, EXCLUDED.due_at)
"""
)

CACHE_IMPACT_SQL = """
SELECT DISTINCT sp.id, sp.number, sp.name, sp.ont_id, a.id, a.number, a.name
FROM network_servicepath p
JOIN network_servicepoint sp ON sp.id = p.service_point_id
LEFT JOIN crm_account a ON a.id = sp.account_id
WHERE p.elements && (%(all)s::uuid[] || ARRAY(
    SELECT cable_id FROM network_cablesegment WHERE pathway_id = ANY(%(pathways)s::uuid[])
    UNION SELECT e.id FROM network_enclosure e WHERE e.structure_id = ANY(%(structures)s::uuid[])
))
ORDER BY sp.number
"""


def _params(elements: dict) -> dict:
    params = {key: _ids(elements.get(key, ()), key) for key in ELEMENT_KEYS}
    params["all"] = [pk for key in ELEMENT_KEYS if key not in ("pathways", "structures") for pk in params[key]]
    return params


def paths_mark_dirty(*, now=None, debounce: timedelta = DEBOUNCE, **elements) -> int:
    """Queue the PON ports whose paths the elements may change; returns how many were queued (or pushed later)."""
    params = _params(elements) | {"within": None, "planned": True, "cap": DEPTH_CAP}
    if not any(params[key] for key in ELEMENT_KEYS):
        return 0
    params["due"] = (now or timezone.now()) + debounce
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off;\n" + MARK_SQL, params)
        cursor.nextset()
        return cursor.rowcount


# What an edited record is, as an element kind (the plant services call paths_mark_dirty_for on every change).
_ELEMENT_KEY = {
    "structure": "structures",
    "pathway": "pathways",
    "cable": "cables",
    "enclosure": "enclosures",
    "splitter": "splitters",
    "ponport": "pon_ports",
    "olt": "olts",
    "ont": "onts",
    "connection": "connections",
}


def paths_mark_dirty_for(record) -> None:
    """After commit, queue the ports an edited (created, changed, deleted) plant record may change."""
    key = _ELEMENT_KEY.get(record._meta.model_name)
    if key:
        paths_mark_dirty_on_commit(**{key: [record.pk]})
    elif record._meta.model_name == "servicepoint" and record.ont_id:
        paths_mark_dirty_on_commit(onts=[record.ont_id])


def paths_mark_dirty_on_commit(**elements) -> None:
    """After the caller's transaction commits (nothing when it rolls back): paths_mark_dirty."""
    transaction.on_commit(lambda: paths_mark_dirty(**elements))


# The cables a port's cached paths cross (their stored capacity follows the cache: network.services.capacity).
_PORT_CABLES = """SELECT DISTINCT c.id FROM {paths} p CROSS JOIN LATERAL unnest(p.elements) e(id)
    JOIN network_cable c ON c.id = e.id"""
_DELETE_SQL = f"""WITH gone AS (DELETE FROM network_servicepath WHERE pon_port_id = %s RETURNING elements)
SELECT ARRAY({_PORT_CABLES.format(paths="gone")})"""
_CABLES_SQL = f"SELECT ARRAY({_PORT_CABLES.format(paths='network_servicepath')} WHERE p.pon_port_id = %s)"


def paths_rebuild(pon_port_id: UUID) -> int:
    """Replace the cached paths of one PON port (one walk, INSERT ... SELECT) under its advisory lock, and recount
    the stored capacity of every cable its old or new paths cross (cable_capacity_refresh), in one transaction;
    returns the rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_NAMESPACE, str(pon_port_id)])
        cursor.execute(_DELETE_SQL, [pon_port_id])
        cables = set(cursor.fetchone()[0])
        cursor.execute("SET LOCAL jit = off;\n" + REBUILD_SQL, {"port": pon_port_id, "cap": DEPTH_CAP})
        cursor.nextset()
        written = cursor.rowcount
        cursor.execute(_CABLES_SQL, [pon_port_id])
        cables.update(cursor.fetchone()[0])
        cable_capacity_refresh(cables)
        return written


def paths_rebuild_due(*, now=None, batch: int = 200) -> int:
    """Rebuild the ports whose time has come: claimed with SKIP LOCKED and deleted from the queue in the same
    transaction as their rebuild, so overlapping sweeps never rebuild a port twice and a failed rebuild stays
    queued. Returns the ports rebuilt."""
    now = now or timezone.now()
    done = 0
    while done < batch:
        with transaction.atomic():
            claimed = (
                ServicePathQueue.objects.select_for_update(skip_locked=True)
                .filter(due_at__lte=now)
                .order_by("due_at")
                .first()
            )
            if claimed is None:
                break
            paths_rebuild(claimed.pon_port_id)
            claimed.delete()
        done += 1
    return done


def paths_reconcile(*, now=None) -> int:
    """Queue every PON port, due now (the nightly full rebuild), and recount every cable's stored capacity from
    the cache as it stands (repairing drift from writes that bypassed the services)."""
    cable_capacity_refresh_all()
    due = now or timezone.now()
    rows = [ServicePathQueue(pon_port_id=pk, due_at=due) for pk in PonPort.objects.values_list("pk", flat=True)]
    ServicePathQueue.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["pon_port"], update_fields=["due_at"]
    )
    return len(rows)


def impact_from_cache(**elements) -> Impact:
    """The service points whose cached paths cross any of the elements: one GIN-indexed query. For checking the
    impact query and for quick answers; stale until the queue has caught up."""
    params = _params(elements)
    with connection.cursor() as cursor:
        cursor.execute(CACHE_IMPACT_SQL, params)
        return Impact.from_rows(cursor.fetchall())
