"""SQL expressions network needs on geometry(…, 4326) columns: distances and lengths in metres on geography.

GeoDjango's `dwithin` refuses metres on geographic geometry columns and `distance_lte` does not use an index
(DOMAIN.md section 0), so metre queries cast to geography and every spatial table carries an expression GiST
index on exactly `(geom)::geography` (see the models' Meta): `WithinMetres` emits the same expression, so the
planner matches it.
"""

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry
from django.db import models
from django.db.models import Func


class AsGeography(Func):
    """`(geom)::geography`: the expression the geography GiST indexes are built on."""

    template = "(%(expressions)s)::geography"
    output_field = GeometryField(geography=True, srid=4326)


class GeographyLength(Func):
    """Length of a line in metres on the WGS 84 spheroid: `ST_Length((geom)::geography)` (immutable, so it can
    back a stored generated column)."""

    template = "ST_Length((%(expressions)s)::geography)"
    output_field = models.FloatField()


class WithinMetres(Func):
    """`ST_DWithin((geom)::geography, <point>::geography, metres)`, a boolean usable in `.filter()`; served by the
    `<table>_geog` GiST index."""

    output_field = models.BooleanField()

    def __init__(self, field: str, geometry: GEOSGeometry, metres: float):
        self.geometry, self.metres = geometry, float(metres)
        super().__init__(models.F(field))

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        sql = f"ST_DWithin(({column})::geography, ST_GeogFromText(%s), %s)"
        return sql, (
            *params,
            self.geometry.ewkt if self.geometry.srid else f"SRID=4326;{self.geometry.wkt}",
            self.metres,
        )
