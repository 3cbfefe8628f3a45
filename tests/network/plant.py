"""A small PON plant for the trace, impact and cache tests, built through the services (strands and endpoints come
with their cables). Structures sit along a line east of Lagos, 100 m apart; lengths are set as measured so the
loss arithmetic is exact."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.gis.geos import LineString, Point

from network import services
from network.choices import ConnectionKind, EnclosureKind, PlantStatus, StructureKind
from network.models import Connection, Endpoint
from tests.crm.factories import AccountFactory

from . import factories

_x = itertools.count()
_serial = itertools.count(1)
LAT = 6.5


class Plant:
    """Builders for one test's plant; remembers what it made by name."""

    def __init__(self):
        self.at: dict[str, object] = {}
        self.types = {}

    # ---- civil and boxes
    def enclosure(self, name: str, kind=EnclosureKind.SPLICE_CLOSURE, *, lon: float | None = None):
        lon = 3.40 + 0.001 * next(_x) if lon is None else lon
        structure = factories.structure(
            kind=StructureKind.CABINET, lon=lon, lat=LAT, name=name, status=PlantStatus.IN_SERVICE
        )
        box = services.enclosure_create(kind=kind, structure=structure, name=name, status=PlantStatus.IN_SERVICE)
        self.at[name] = box
        return box

    def olt(self, odf, ports: int = 1, optical_class: str = "B+"):
        olt = services.olt_create(
            name=f"OLT {next(_serial)}", enclosure=odf, structure=odf.structure, pon_ports=ports,
            optical_class=optical_class, status=PlantStatus.IN_SERVICE,
        )  # fmt: skip
        return list(olt.pon_ports.order_by("port"))

    def cable_type(self, tubes: int, per_tube: int):
        key = (tubes, per_tube)
        if key not in self.types:
            self.types[key] = factories.cable_type(tubes=tubes, per_tube=per_tube)
        return self.types[key]

    def cable(self, a, b, *, fibres=(1, 12), length_m=1000, role="feeder", status=PlantStatus.IN_SERVICE, geom=None):
        return services.cable_create(
            cable_type=self.cable_type(*fibres), role=role, status=status, a_enclosure=a, b_enclosure=b,
            measured_length_m=Decimal(length_m),
            geom=geom or LineString(a.structure.geom.coords, b.structure.geom.coords, srid=4326),
        )  # fmt: skip

    # ---- endpoints and joins
    @staticmethod
    def end(cable, number: int, side: str) -> Endpoint:
        return Endpoint.objects.get(strand__cable=cable, strand__number=number, side=side)

    @staticmethod
    def pon(port) -> Endpoint:
        return Endpoint.objects.get(pon_port=port)

    @staticmethod
    def split_in(splitter) -> Endpoint:
        return Endpoint.objects.get(splitter=splitter, kind="splitter_in", port=1)

    @staticmethod
    def split_out(splitter, n: int) -> Endpoint:
        return Endpoint.objects.get(splitter=splitter, kind="splitter_out", port=n)

    @staticmethod
    def join(enclosure, a: Endpoint, b: Endpoint, kind=ConnectionKind.SPLICE, **fields):
        if kind == ConnectionKind.SPLICE and (a.kind != "strand" or b.kind != "strand"):
            # A pigtailed splitter's leg fused to a fibre: the service only splices bare strands.
            return Connection.objects.create(
                enclosure=enclosure, a=a, b=b, kind=kind, calculated_loss_db=Decimal("0.1"), **fields
            )
        return services.connection_create(enclosure_id=enclosure.pk, a_id=a.pk, b_id=b.pk, kind=kind, **fields)

    def splitter(self, enclosure, outputs: int, name: str, status=PlantStatus.IN_SERVICE):
        splitter = services.splitter_create(enclosure=enclosure, output_count=outputs, name=name, status=status)
        self.at[name] = splitter
        return splitter

    def customer(self, enclosure, end: Endpoint, name: str, kind=ConnectionKind.CONNECTOR_MATE):
        """An ONT in `enclosure` on fibre end `end`, its service point and account."""
        ont = services.ont_create(serial=f"ZTEG{next(_serial):08d}", enclosure=enclosure, status=PlantStatus.IN_SERVICE)
        self.join(enclosure, end, Endpoint.objects.get(ont=ont), kind)
        account = AccountFactory(name=name)
        point = services.service_point_create(
            name=name, geom=Point(enclosure.structure.geom.x, LAT + 0.0005, srid=4326), account=account, ont=ont
        )
        self.at[name] = point
        return point

    def feeder_chain(self, port, odf, closures: list, last, *, lengths, join=ConnectionKind.CONNECTOR_MATE, strand=1):
        """PON port -(connector)- cable - splice in each closure - cable ... - the end in `last` (returned)."""
        boxes = [odf, *closures, last]
        cables = [
            self.cable(a, b, length_m=length) for (a, b), length in zip(itertools.pairwise(boxes), lengths, strict=True)
        ]
        self.join(odf, self.pon(port), self.end(cables[0], strand, "a"), join)
        for closure, (left, right) in zip(closures, itertools.pairwise(cables), strict=True):
            self.join(closure, self.end(left, strand, "b"), self.end(right, strand, "a"))
        return cables


def pon_with_splitter(plant: Plant, *, closures: int = 3, customers: int = 32, lengths=None, join="connector"):
    """A.6 3 and 11: PON port -> feeder through `closures` splice closures -> FDH with a 1:32 splitter ->
    a distribution cable to an MST -> `customers` ONTs. join="connector": the splitter's legs are connector
    mates; "splice": pigtails fused to the fibres."""
    odf = plant.enclosure("ODF", EnclosureKind.ODF)
    (port,) = plant.olt(odf)
    boxes = [plant.enclosure(f"Closure {n}") for n in range(1, closures + 1)]
    fdh, mst = plant.enclosure("FDH", EnclosureKind.FDH), plant.enclosure("MST", EnclosureKind.MST)
    lengths = lengths or [1000] * (closures + 2)
    feeders = plant.feeder_chain(port, odf, boxes, fdh, lengths=lengths[:-1])
    splitter = plant.splitter(fdh, 32, "S1")
    kind = ConnectionKind.CONNECTOR_MATE if join == "connector" else ConnectionKind.SPLICE
    plant.join(fdh, plant.end(feeders[-1], 1, "b"), plant.split_in(splitter), kind)
    dist = plant.cable(fdh, mst, fibres=(3, 12), length_m=lengths[-1], role="distribution")
    points = []
    for n in range(1, customers + 1):
        plant.join(fdh, plant.split_out(splitter, n), plant.end(dist, n, "a"), kind)
        points.append(plant.customer(mst, plant.end(dist, n, "b"), f"Customer {n}"))
    return {"port": port, "feeders": feeders, "closures": boxes, "splitter": splitter, "dist": dist, "points": points}
