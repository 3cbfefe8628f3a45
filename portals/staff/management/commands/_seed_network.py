"""The fibre plant part of the demo (seed_demo calls seed_network): a small GPON plant around the demo customers
nearest Victoria Island, so the map, a trace and a cut impact can be tried at once.

    central office (ODF, OLT "Demo OLT VI" with 8 GPON B+ PON ports)
      -- 24F feeder in a conduit -->  street cabinet (FDH with a 1:32 splitter)
      -- 12F distribution on aerial spans, one per terminal -->  poles with an MST each (up to 8 drops)
      -- 2F drop -->  the customer's building entry (ONT box, ONT) and service point (the account)

PON port 1 is patched to feeder strand 1, which is spliced to the splitter's input in the FDH; output k goes to
strand j of the distribution cable to terminal t; in the MST, strand j is spliced to the drop of customer j, whose
strand 1 mates the ONT. Everything goes through the network services (rules and events hold) and is in service.

Idempotent: nothing is done when the demo OLT exists."""

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import LineString, MultiPoint, Point
from django.db import transaction

from crm.models import Account
from network import services
from network.choices import (
    CableRole,
    ConnectionKind,
    EnclosureKind,
    PathwayKind,
    PlantStatus,
    Serviceability,
    StructureKind,
)
from network.models import CableType, Endpoint, Olt, Pathway, Structure

OLT_NAME = "Demo OLT VI"
CENTRE = (3.4219, 6.4281)  # Victoria Island, the first area of seed_demo
OFFICE = (3.4150, 6.4310)  # the central office, west of the customers
CUSTOMERS = 24  # three terminals of eight: 24 of the splitter's 32 outputs used
PER_TERMINAL = 8
LIVE = PlantStatus.IN_SERVICE


def _structure(kind: str, lon: float, lat: float, name: str, **fields) -> Structure:
    return services.record_create(
        Structure, kind=kind, name=name, status=LIVE, geom=Point(lon, lat, srid=4326), **fields
    )


def _cable_type(name: str, tubes: int, per_tube: int) -> CableType:
    existing = CableType.objects.filter(name__iexact=name).first()
    return existing or services.record_create(
        CableType, name=name, fiber_count=tubes * per_tube, tube_count=tubes, fibers_per_tube=per_tube
    )


def _end(cable, number: int, side: str) -> Endpoint:
    return Endpoint.objects.get(strand__cable=cable, strand__number=number, side=side)


def _pathway(kind: str, a: Structure, b: Structure) -> Pathway:
    return services.record_create(
        Pathway, kind=kind, status=LIVE, a_structure=a, b_structure=b,
        geom=LineString(a.geom.coords, b.geom.coords, srid=4326),
    )  # fmt: skip


def _cable(cable_type, role, a_enclosure, b_enclosure, name: str, pathway: Pathway | None = None):
    a, b = a_enclosure.structure, b_enclosure.structure
    cable = services.cable_create(
        cable_type=cable_type, role=role, status=LIVE, name=name, a_structure=a, b_structure=b,
        a_enclosure=a_enclosure, b_enclosure=b_enclosure, geom=LineString(a.geom.coords, b.geom.coords, srid=4326),
    )  # fmt: skip
    if pathway is not None:
        services.cable_route_set(cable_id=cable.pk, pathway_ids=[pathway.pk])
    return cable


def _customers(count: int) -> list[Account]:
    """The demo accounts with a location nearest the centre (most are active; the plant serves them all)."""
    centre = Point(*CENTRE, srid=4326)
    return list(
        Account.objects.filter(location__isnull=False)
        .annotate(distance=Distance("location", centre))
        .order_by("distance", "pk")[:count]
    )


def seed_network(*, customers: int = CUSTOMERS) -> Olt | None:
    """Build the demo plant (see the module); returns the OLT, or None when it exists already or there is no
    located account."""
    if Olt.objects.filter(name__iexact=OLT_NAME).exists():
        return None
    accounts = _customers(customers)
    if not accounts:
        return None
    with transaction.atomic():
        office = _structure(StructureKind.CENTRAL_OFFICE, *OFFICE, "Victoria Island exchange", address="VI, Lagos")
        odf = services.enclosure_create(
            kind=EnclosureKind.ODF, structure=office, status=LIVE, name="ODF-1", port_capacity=48, trays=2
        )
        olt = services.olt_create(
            name=OLT_NAME, status=LIVE, structure=office, enclosure=odf, vendor="Huawei", model="MA5800-X7",
            pon_ports=8, slot=1, technology="gpon", optical_class="B+", max_split=64,
        )  # fmt: skip
        port = olt.pon_ports.get(port=1)

        centroid = MultiPoint([a.location for a in accounts], srid=4326).centroid
        cabinet = _structure(StructureKind.CABINET, centroid.x - 0.002, centroid.y, "FDH cabinet VI-1")
        fdh = services.enclosure_create(
            kind=EnclosureKind.FDH, structure=cabinet, status=LIVE, name="FDH VI-1", port_capacity=32, trays=4
        )
        splitter = services.splitter_create(
            enclosure=fdh, name="SPL VI-1", output_count=32, status=LIVE, level="primary"
        )
        feeder = _cable(
            _cable_type("24F loose tube (demo)", 2, 12), CableRole.FEEDER, odf, fdh, "Feeder VI exchange - FDH VI-1",
            _pathway(PathwayKind.CONDUIT, office, cabinet),
        )  # fmt: skip
        pon_end = Endpoint.objects.get(pon_port=port)
        services.connection_create(
            enclosure_id=odf.pk, a_id=pon_end.pk, b_id=_end(feeder, 1, "a").pk, kind=ConnectionKind.PATCH
        )
        splitter_in = Endpoint.objects.get(splitter=splitter, kind="splitter_in", port=1)
        services.connection_create(
            enclosure_id=fdh.pk, a_id=_end(feeder, 1, "b").pk, b_id=splitter_in.pk, kind=ConnectionKind.CONNECTOR_MATE
        )
        outputs = {e.port: e for e in Endpoint.objects.filter(splitter=splitter, kind="splitter_out")}

        distribution_type = _cable_type("12F loose tube (demo)", 1, 12)
        drop_type = _cable_type("2F drop (demo)", 1, 2)
        output = 0
        for t in range(0, len(accounts), PER_TERMINAL):
            group = accounts[t : t + PER_TERMINAL]
            n = t // PER_TERMINAL + 1
            spot = MultiPoint([a.location for a in group], srid=4326).centroid
            pole = _structure(StructureKind.POLE, spot.x, spot.y, f"Pole VI-{n}", ownership="joint_use")
            mst = services.enclosure_create(
                kind=EnclosureKind.MST, structure=pole, status=LIVE, name=f"MST VI-{n}", port_capacity=8, trays=1
            )
            distribution = _cable(
                distribution_type, CableRole.DISTRIBUTION, fdh, mst, f"Distribution FDH VI-1 - MST VI-{n}",
                _pathway(PathwayKind.AERIAL_SPAN, cabinet, pole),
            )  # fmt: skip
            for j, account in enumerate(group, start=1):
                output += 1
                services.connection_create(
                    enclosure_id=fdh.pk, a_id=outputs[output].pk, b_id=_end(distribution, j, "a").pk,
                    kind=ConnectionKind.CONNECTOR_MATE,
                )  # fmt: skip
                entry = _structure(
                    StructureKind.BUILDING_ENTRY, account.location.x, account.location.y, account.name,
                    address=account.service_address,
                )  # fmt: skip
                box = services.enclosure_create(
                    kind=EnclosureKind.ONT_BOX, structure=entry, status=LIVE, name=f"ONT box {account.number}"
                )
                drop = _cable(drop_type, CableRole.DROP, mst, box, f"Drop {account.number}")
                services.connection_create(
                    enclosure_id=mst.pk, a_id=_end(distribution, j, "b").pk, b_id=_end(drop, 1, "a").pk
                )
                ont = services.ont_create(
                    serial=f"HWTC{account.number.replace('-', '')[-8:]:0>8}", vendor="Huawei", model="EG8145V5",
                    status=LIVE, enclosure=box,
                )  # fmt: skip
                services.connection_create(
                    enclosure_id=box.pk, a_id=_end(drop, 1, "b").pk, b_id=Endpoint.objects.get(ont=ont).pk,
                    kind=ConnectionKind.CONNECTOR_MATE,
                )  # fmt: skip
                services.service_point_create(
                    name=account.name, address=account.service_address, geom=account.location,
                    status=Serviceability.CONNECTED, account=account, ont=ont, structure=entry,
                )  # fmt: skip
    return olt
