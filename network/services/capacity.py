"""The stored capacity of each cable (Cable.lit_strands, reserved_strands, damaged_strands; dark is the rest), so
the map's tiles and the lists read one number per cable instead of unnesting the path cache per request.

The counts are written set-based from exactly the live query (network.selectors.capacity_sql: lit as
LIT_STRANDS_SQL says, the strand flags) by every write that can change them, in its own transaction:
- `paths_rebuild` (the cables its PON port's old and new paths cross),
- `strand_update` (a strand reserved or released, damaged or repaired),
- `record_delete` of a service point, ONT, PON port or OLT (their cached paths go with them: CASCADE),
- `paths_reconcile` (nightly: every cable, repairing any drift from writes that bypassed the services).

Concurrency: the cables' rows are locked (in id order, so two recounts never deadlock) before the count is taken,
and under READ COMMITTED the counting statement starts after the lock is granted: a recount that waited for
another one sees that one's committed paths, so the last to commit counts everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from omni.models import User
from omni.services import fields_set

from .. import events
from ..models import Cable, Strand
from ..selectors import capacity_sql

_LOCK_SQL = "SELECT id FROM network_cable WHERE id = ANY(%(ids)s::uuid[]) ORDER BY id FOR UPDATE"

# Only rows whose counts change are written, and stamped (the cables tile's ETag follows max(updated_at); the clock,
# not the transaction start, so the stamp is later than any row written earlier in the transaction).
_REFRESH_SQL = f"""
WITH target(id) AS (SELECT unnest(%(ids)s::uuid[])),
live AS ({capacity_sql("%(ids)s::uuid[]")})
UPDATE network_cable c
SET lit_strands = COALESCE(l.lit, 0), reserved_strands = COALESCE(l.reserved, 0),
    damaged_strands = COALESCE(l.damaged, 0), updated_at = clock_timestamp()
FROM target t LEFT JOIN live l ON l.cable_id = t.id
WHERE c.id = t.id
  AND (c.lit_strands, c.reserved_strands, c.damaged_strands)
      IS DISTINCT FROM (COALESCE(l.lit, 0)::int, COALESCE(l.reserved, 0)::int, COALESCE(l.damaged, 0)::int)
"""

# The cables crossed by the cached paths that go with a record (a service point's own paths; the paths crossing
# an ONT, PON port or OLT: all of them are in `elements`).
_CABLES_ON_PATHS_SQL = """
SELECT ARRAY(
    SELECT DISTINCT c.id FROM network_servicepath p CROSS JOIN LATERAL unnest(p.elements) e(id)
    JOIN network_cable c ON c.id = e.id
    WHERE p.service_point_id = %(pk)s OR p.elements && ARRAY[%(pk)s]::uuid[]
)"""

STRAND_FLAGS = ("reserved", "damaged")


def cable_capacity_refresh(cable_ids: Iterable) -> int:
    """Recount the stored capacity of these cables from the path cache and their strands (two statements: lock,
    one UPDATE); returns the cables whose counts changed. Idempotent."""
    ids = sorted({str(pk) for pk in cable_ids})
    if not ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, {"ids": ids})
        cursor.execute("SET LOCAL jit = off;\n" + _REFRESH_SQL, {"ids": ids})
        cursor.nextset()
        return cursor.rowcount


def cable_capacity_refresh_all() -> int:
    """Recount every cable (the nightly reconcile); returns the cables whose counts had drifted."""
    return cable_capacity_refresh(Cable.objects.values_list("pk", flat=True))


def cables_on_paths_of(pk: UUID) -> list:
    """The cables crossed by the cached paths of a service point, or by the paths crossing an ONT, PON port or OLT
    (what a delete of it takes from the cache): one GIN-indexed query."""
    with connection.cursor() as cursor:
        cursor.execute(_CABLES_ON_PATHS_SQL, {"pk": pk})
        return cursor.fetchone()[0]


def strand_update(*, strand_id: UUID, by: User | None = None, **fields) -> Strand:
    """Reserve or release, damage or repair a strand (only `reserved` and `damaged` may change: 400 naming any
    other field), then recount its cable, in one transaction; network.plant.changed for the strand. Unchanged
    values write nothing."""
    unknown = sorted(set(fields) - set(STRAND_FLAGS))
    if unknown:
        raise ValidationError({name: [_("Only reserved and damaged can change on a strand.")] for name in unknown})
    with transaction.atomic():
        cable_id = Strand.objects.values_list("cable_id", flat=True).get(pk=strand_id)
        Cable.objects.select_for_update().filter(pk=cable_id).values_list("pk", flat=True).get()
        strand = Strand.objects.select_for_update().get(pk=strand_id)
        changed = fields_set(strand, fields)
        if not changed:
            return strand
        strand.save(update_fields=[*changed, "updated_at"])
        cable_capacity_refresh([cable_id])
        events.plant_changed(strand, "updated", by_id=by.pk if by else None)
    return strand
