"""GeoJSON areas for territories (points use omni.api.fields.GeoJSONPointField)."""

import math

from django.contrib.gis.geos import LinearRing, MultiPolygon, Polygon
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_VERTICES = 50_000
_RING = {"type": "array", "minItems": 4, "items": {"type": "array", "items": {"type": "number"}, "minItems": 2}}


@extend_schema_field(
    {
        "type": "object",
        "description": "GeoJSON MultiPolygon (a Polygon is accepted too), WGS 84: [longitude, latitude] pairs, each "
        "ring closed.",
        "properties": {
            "type": {"type": "string", "enum": ["MultiPolygon", "Polygon"]},
            "coordinates": {"type": "array", "items": {"type": "array", "items": _RING}},
        },
        "required": ["type", "coordinates"],
        "example": {
            "type": "MultiPolygon",
            "coordinates": [[[[3.3, 6.4], [3.5, 6.4], [3.5, 6.6], [3.3, 6.6], [3.3, 6.4]]]],
        },
    }
)
class GeoJSONMultiPolygonField(serializers.Field):
    default_error_messages = {
        "invalid": 'Expected a GeoJSON MultiPolygon: {{"type": "MultiPolygon", "coordinates": '
        "[[[[lon, lat], [lon, lat], [lon, lat], [lon, lat]]]]}}.",
        "range": "Longitude must be within -180..180 and latitude within -90..90.",
        "ring": "A ring needs at least four points, the last the same as the first.",
        "long": "An area may have at most {max} points.",
        "geometry": "Not a valid area: {reason}.",
    }

    def to_representation(self, value):
        return None if value is None else {"type": "MultiPolygon", "coordinates": _coords(value)}

    def _ring(self, ring) -> LinearRing:
        if not isinstance(ring, list) or len(ring) < 4:
            self.fail("ring")
        for pair in ring:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in pair)
                or not all(math.isfinite(c) for c in pair)
            ):
                self.fail("invalid")
            if not (-180 <= pair[0] <= 180 and -90 <= pair[1] <= 90):
                self.fail("range")
        if list(ring[0]) != list(ring[-1]):
            self.fail("ring")
        return LinearRing([(float(x), float(y)) for x, y in ring])

    def _polygon(self, rings) -> Polygon:
        if not isinstance(rings, list) or not rings:
            self.fail("invalid")
        return Polygon(*[self._ring(ring) for ring in rings])

    def to_internal_value(self, data):
        if not isinstance(data, dict) or data.get("type") not in ("MultiPolygon", "Polygon"):
            self.fail("invalid")
        coordinates = data.get("coordinates")
        if not isinstance(coordinates, list) or not coordinates:
            self.fail("invalid")
        polygons = [coordinates] if data["type"] == "Polygon" else coordinates
        if sum(
            len(ring) for rings in polygons if isinstance(rings, list) for ring in rings if isinstance(ring, list)
        ) > (MAX_VERTICES):
            self.fail("long", max=MAX_VERTICES)
        area = MultiPolygon(*[self._polygon(rings) for rings in polygons], srid=4326)
        if not area.valid:
            self.fail("geometry", reason=area.valid_reason)
        return area


def _coords(area) -> list:
    return [[[list(point) for point in ring] for ring in polygon] for polygon in area.coords]


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "08:00:00"}
)
class WallTimeField(serializers.TimeField):
    """A wall-clock time of day, HH:MM[:SS], in the pattern's time zone (OpenAPI's `format: time` wants an RFC 3339
    offset, which working hours do not have)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M:%S", input_formats=["%H:%M:%S", "%H:%M"], **kwargs)
