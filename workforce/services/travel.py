"""Travel times without a routing service (DOMAIN.md C.4.5): geography distance x circuity / speed, per
territory. `TravelModel` is the one interface the slot search and the optimiser use; a road graph (pgRouting's
pgr_dijkstraCostMatrix on imported roads) would be another implementation of `matrix`."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.contrib.gis.db.models.functions import Area
from django.contrib.gis.geos import Point
from django.db import connection

from ..models import ServiceTerritory

DEFAULT_SPEED_KMH = 45.0
DEFAULT_CIRCUITY = 1.3

# One query for n points: n x n geography distances on the sphere (within 0.5% of the spheroid's, ten times
# faster: 220 points in about 10 ms), one array per origin row.
_MATRIX_SQL = """
WITH p AS (
    SELECT u.ord, ST_SetSRID(ST_MakePoint(u.x, u.y), 4326)::geography AS g
    FROM unnest(%(xs)s::float8[], %(ys)s::float8[]) WITH ORDINALITY AS u(x, y, ord)
)
SELECT a.ord, array_agg(round(ST_Distance(a.g, b.g, false) * %(factor)s)::int ORDER BY b.ord)
FROM p a CROSS JOIN p b
GROUP BY a.ord
ORDER BY a.ord
"""


def _xy(point) -> tuple[float, float]:
    if isinstance(point, Point):
        return point.x, point.y
    return float(point[0]), float(point[1])


class TravelModel:
    """Straight-line (geography) distance x circuity / speed. Times are whole seconds; `minutes` rounds."""

    def __init__(self, *, speed_kmh: float = DEFAULT_SPEED_KMH, circuity: float = DEFAULT_CIRCUITY):
        if speed_kmh <= 0 or circuity < 1:
            raise ValueError("speed > 0 and circuity >= 1")
        self.speed_kmh = speed_kmh
        self.circuity = circuity

    def seconds_for(self, metres: float) -> int:
        return int(round(metres * self.circuity / (self.speed_kmh / 3.6)))

    def _rows(self, points: Sequence, factor: float) -> list[list[int]]:
        if not points:
            return []
        xs, ys = zip(*(_xy(p) for p in points), strict=True)
        with connection.cursor() as cursor:
            # PostGIS's function costs put n^2 distances past jit_above_cost: PostgreSQL would spend ~300 ms
            # compiling a 10 ms query. JIT is off for the statement's transaction (sent in the same string).
            cursor.execute("SET LOCAL jit = off;\n" + _MATRIX_SQL, {"xs": list(xs), "ys": list(ys), "factor": factor})
            cursor.nextset()
            return [list(row) for _ord, row in cursor.fetchall()]

    def distances(self, points: Sequence) -> list[list[int]]:
        """The n x n distance matrix in whole metres, in ONE SQL query."""
        return self._rows(points, 1.0)

    def matrix(self, points: Sequence) -> list[list[int]]:
        """The n x n travel-time matrix in whole seconds, in ONE SQL query (computed there: integers are all
        that crosses the wire)."""
        return self._rows(points, self.circuity / (self.speed_kmh / 3.6))

    def minutes(self, a, b) -> int:
        return int(round(self.matrix([a, b])[0][1] / 60))

    def __repr__(self):
        return f"TravelModel(speed_kmh={self.speed_kmh}, circuity={self.circuity})"


def travel_model_for(territory: ServiceTerritory | None) -> TravelModel:
    if territory is None:
        return TravelModel()
    return TravelModel(speed_kmh=territory.travel_speed_kmh, circuity=territory.circuity)


def territory_at(point: Point) -> ServiceTerritory | None:
    """The smallest territory covering a point (its travel parameters and default policy apply)."""
    return (
        ServiceTerritory.objects.filter(geom__covers=point).annotate(size=Area("geom")).order_by("size", "code").first()
        if point is not None
        else None
    )


def minutes(seconds: float) -> int:
    return int(math.ceil(seconds / 60 - 1e-9)) if seconds > 0 else 0
