"""Plant for tests: rows through the services (cables get their strands and endpoints), placed around Lagos."""

import itertools

from django.contrib.gis.geos import LineString, Point

from network import services
from network.choices import CableRole, EnclosureKind, PlantStatus, StructureKind
from network.models import CableType, Structure

_n = itertools.count(1)


def structure(*, kind=StructureKind.HANDHOLE, lon=3.3792, lat=6.5244, **fields) -> Structure:
    return services.record_create(Structure, kind=kind, geom=Point(lon, lat, srid=4326), **fields)


def cable_type(*, tubes=12, per_tube=12, **fields) -> CableType:
    name = fields.pop("name", f"{tubes * per_tube}F loose tube #{next(_n)}")
    return services.record_create(
        CableType, name=name, fiber_count=tubes * per_tube, tube_count=tubes, fibers_per_tube=per_tube, **fields
    )


def enclosure(*, kind=EnclosureKind.SPLICE_CLOSURE, at=None, trays=2, **fields):
    return services.enclosure_create(kind=kind, structure=at or structure(), trays=trays, **fields)


def cable(*, type_=None, a=None, b=None, role=CableRole.FEEDER, status=PlantStatus.IN_SERVICE, **fields):
    a_structure = a.structure if a else structure()
    b_structure = b.structure if b else structure(lon=3.3892)
    fields.setdefault("geom", LineString(a_structure.geom.coords, b_structure.geom.coords, srid=4326))
    return services.cable_create(
        cable_type=type_ or cable_type(tubes=1, per_tube=12), role=role, status=status, a_structure=a_structure,
        b_structure=b_structure, a_enclosure=a, b_enclosure=b, **fields,
    )  # fmt: skip
