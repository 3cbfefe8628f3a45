"""GeoJSON for the plant's lines (points use omni.api.fields.GeoJSONPointField)."""

import math

from django.contrib.gis.geos import LineString
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_VERTICES = 10_000


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "GeoJSON LineString, WGS 84: coordinates are [[longitude, latitude], ...], at least two.",
        "properties": {
            "type": {"type": "string", "enum": ["LineString"]},
            "coordinates": {
                "type": "array",
                "minItems": 2,
                "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            },
        },
        "required": ["type", "coordinates"],
        "example": {"type": "LineString", "coordinates": [[3.3792, 6.5244], [3.3801, 6.5251]]},
    }
)
class GeoJSONLineField(serializers.Field):
    default_error_messages = {
        "invalid": (
            'Expected a GeoJSON LineString: {{"type": "LineString", "coordinates": [[lon, lat], [lon, lat], ...]}}.'
        ),
        "range": "Longitude must be within -180..180 and latitude within -90..90.",
        "short": "A line needs at least two distinct points.",
        "long": "A line may have at most {max} points.",
    }

    def to_representation(self, value):
        return None if value is None else {"type": "LineString", "coordinates": [list(c) for c in value.coords]}

    def to_internal_value(self, data):
        if not isinstance(data, dict) or data.get("type") != "LineString":
            self.fail("invalid")
        coordinates = data.get("coordinates")
        if not isinstance(coordinates, list):
            self.fail("invalid")
        if len(coordinates) > MAX_VERTICES:
            self.fail("long", max=MAX_VERTICES)
        for pair in coordinates:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in pair)
                or not all(math.isfinite(c) for c in pair)
            ):
                self.fail("invalid")
            if not (-180 <= pair[0] <= 180 and -90 <= pair[1] <= 90):
                self.fail("range")
        if len({tuple(pair) for pair in coordinates}) < 2:
            self.fail("short")
        return LineString([(float(x), float(y)) for x, y in coordinates], srid=4326)
