"""Serializer fields shared by every app's API."""

import math

from django.contrib.gis.geos import Point
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def point_geojson(point: Point | None) -> dict | None:
    return None if point is None else {"type": "Point", "coordinates": [point.x, point.y]}


def lonlat_geojson(lon: float | None, lat: float | None) -> dict | None:
    return None if lon is None else {"type": "Point", "coordinates": [lon, lat]}


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "GeoJSON Point, WGS 84: coordinates are [longitude, latitude].",
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        },
        "required": ["type", "coordinates"],
        "example": {"type": "Point", "coordinates": [3.3792, 6.5244]},
    }
)
class GeoJSONPointField(serializers.Field):
    default_error_messages = {
        # Braces doubled: DRF formats these messages with str.format().
        "invalid": 'Expected a GeoJSON Point: {{"type": "Point", "coordinates": [longitude, latitude]}}.',
        "range": "Longitude must be within -180..180 and latitude within -90..90.",
    }

    def to_representation(self, value):
        return point_geojson(value)

    def to_internal_value(self, data):
        if not isinstance(data, dict) or data.get("type") != "Point":
            self.fail("invalid")
        coordinates = data.get("coordinates")
        if (
            not isinstance(coordinates, list | tuple)
            or len(coordinates) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
            or not all(math.isfinite(c) for c in coordinates)
        ):
            self.fail("invalid")
        lon, lat = coordinates
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            self.fail("range")
        return Point(float(lon), float(lat), srid=4326)
