"""The network API resources run the shared API contracts (tests/omni/api_contract.py): staff only (Dispatcher,
Technician and Admin read; Admin writes), hard delete, limit/offset lists whose query count does not grow, bad input
a 400 naming the field. What is particular to a resource (strands, routes, connections, plans) is in
test_api_plant.py."""

from decimal import Decimal

import pytest
from django.contrib.gis.geos import LineString, Point

from network import services
from network.models import (
    Cable,
    CableType,
    Connection,
    Enclosure,
    Endpoint,
    Olt,
    Ont,
    Pathway,
    PonPort,
    ServicePoint,
    SplicePlan,
    Splitter,
    Structure,
)
from tests.omni.api_contract import (
    MISSING_ID,
    HardDeleteContract,
    LimitOffsetListContract,
    ReadContract,
    RoleReadContract,
    RoleWriteContract,
    StaffOnlyContract,
)

from . import factories

API = "/api/v1/network/"
POINT = {"type": "Point", "coordinates": [3.41, 6.45]}
LINE = {"type": "LineString", "coordinates": [[3.41, 6.45], [3.42, 6.46]]}


class PlantContract(
    ReadContract, RoleReadContract, StaffOnlyContract, LimitOffsetListContract, RoleWriteContract, HardDeleteContract
):
    def _assert_stored(self, stored, payload: dict) -> None:
        fields = {field.name: field for field in self.model._meta.concrete_fields}
        for name, value in payload.items():
            if isinstance(value, str | int | bool) and name in fields:
                got = getattr(stored, fields[name].attname)
                if isinstance(got, Decimal):
                    assert got == Decimal(str(value)), name
                else:
                    assert str(got) == str(value), name


class TestStructureApi(PlantContract):
    url = f"{API}structures/"
    model = Structure
    list_queries = 5  # token + user, last_used_at stamp, COUNT, the page
    ordering_fields = ["number", "name", "kind", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        Structure.objects.bulk_create(
            [Structure(kind="pole", name=f"Pole {i:04d}", geom=Point(3.3 + i / 1e4, 6.5, srid=4326)) for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db):
        return factories.structure(name="Pole 1", kind="pole")

    @pytest.fixture
    def create_payload(self):
        return {"kind": "pole", "name": "Pole 9", "geom": POINT, "ownership": "joint_use", "owner": "PHCN"}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Pole 10", "status": "as_built"}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("kind", {"kind": "tree", "geom": POINT}),
            ("geom", {"kind": "pole", "geom": {"type": "Point", "coordinates": [300, 6]}}),
            ("status", {"kind": "pole", "geom": POINT, "status": "lost"}),
        ]


class TestPathwayApi(PlantContract):
    url = f"{API}pathways/"
    model = Pathway
    list_queries = 5
    ordering_fields = ["number", "name", "kind", "status", "geo_length_m", "created_at", "updated_at"]

    @pytest.fixture
    def ends(self, db):
        return factories.structure(lon=3.41, lat=6.45), factories.structure(lon=3.42, lat=6.46)

    def make_rows(self, n):
        a, b = factories.structure(lon=3.0), factories.structure(lon=3.1)
        Pathway.objects.bulk_create(
            [
                Pathway(kind="conduit", a_structure=a, b_structure=b, geom=LineString((3.0, 6.5), (3.1, 6.5 + i / 1e4)))
                for i in range(n)
            ]
        )

    @pytest.fixture
    def obj(self, ends):
        a, b = ends
        return services.record_create(
            Pathway, kind="aerial_span", a_structure=a, b_structure=b, geom=LineString(a.geom.coords, b.geom.coords)
        )

    @pytest.fixture
    def create_payload(self, ends):
        return {"kind": "conduit", "a_structure": str(ends[0].pk), "b_structure": str(ends[1].pk), "geom": LINE}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Duct A", "material": "HDPE"}

    @pytest.fixture
    def bad_payloads(self, ends):
        body = {"kind": "conduit", "a_structure": str(ends[0].pk), "b_structure": str(ends[1].pk)}
        return [
            ("geom", {**body, "geom": {"type": "LineString", "coordinates": [[3.4, 6.4]]}}),
            ("kind", {**body, "kind": "tunnel", "geom": LINE}),
            ("a_structure", {**body, "a_structure": MISSING_ID, "geom": LINE}),
        ]


class TestCableTypeApi(PlantContract):
    url = f"{API}cable-types/"
    model = CableType
    list_queries = 5
    ordering_fields = ["name", "fiber_count", "created_at", "updated_at"]

    def make_rows(self, n):
        CableType.objects.bulk_create(
            [CableType(name=f"Bulk {i:04d}", fiber_count=12, tube_count=1, fibers_per_tube=12) for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db):
        return factories.cable_type(name="144F loose tube", tubes=12, per_tube=12)

    @pytest.fixture
    def create_payload(self):
        return {"name": "48F ADSS", "fiber_count": 48, "tube_count": 4, "fibers_per_tube": 12}

    @pytest.fixture
    def update_payload(self):
        return {"name": "144F loose tube v2", "manufacturer": "Corning"}

    @pytest.fixture
    def bad_payloads(self):
        twelve = {"fiber_count": 12, "tube_count": 1, "fibers_per_tube": 12}
        return [
            ("fiber_count", {"name": "Odd", "fiber_count": 50, "tube_count": 4, "fibers_per_tube": 12}),
            ("name", {**twelve, "name": ""}),
            ("construction", {**twelve, "name": "X", "construction": "?"}),
        ]


class TestCableApi(PlantContract):
    url = f"{API}cables/"
    model = Cable
    list_queries = 6  # ... and the pathways of the page's cables
    ordering_fields = ["number", "name", "role", "status", "geo_length_m", "created_at", "updated_at"]

    def make_rows(self, n):
        cable_type = factories.cable_type(tubes=1, per_tube=12)
        Cable.objects.bulk_create([Cable(cable_type=cable_type, role="drop", name=f"Drop {i:04d}") for i in range(n)])

    @pytest.fixture
    def obj(self, db):
        return factories.cable(name="Feeder 1")

    @pytest.fixture
    def create_payload(self, obj):
        return {"cable_type": str(obj.cable_type_id), "role": "drop", "name": "Drop 1", "geom": LINE}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Feeder 2", "status": "as_built"}

    @pytest.fixture
    def bad_payloads(self, obj):
        return [
            ("role", {"cable_type": str(obj.cable_type_id), "role": "spare"}),
            ("geom", {"cable_type": str(obj.cable_type_id), "role": "drop", "geom": POINT}),
            ("cable_type", {"cable_type": MISSING_ID, "role": "drop"}),
        ]


class TestEnclosureApi(PlantContract):
    url = f"{API}enclosures/"
    model = Enclosure
    list_queries = 6  # ... and the trays
    ordering_fields = ["number", "name", "kind", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        structure = factories.structure()
        Enclosure.objects.bulk_create([Enclosure(kind="mst", structure=structure) for _ in range(n)])

    @pytest.fixture
    def obj(self, db):
        return factories.enclosure(name="Closure 1", trays=2)

    @pytest.fixture
    def create_payload(self, obj):
        return {"kind": "mst", "structure": str(obj.structure_id), "trays": 1, "name": "MST 4"}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Closure 9", "model": "FOSC-450"}

    @pytest.fixture
    def bad_payloads(self, obj):
        return [
            ("kind", {"kind": "box", "structure": str(obj.structure_id)}),
            ("structure", {"kind": "mst", "structure": MISSING_ID}),
            ("trays", {"kind": "mst", "structure": str(obj.structure_id), "trays": -1}),
        ]


class TestOltApi(PlantContract):
    url = f"{API}olts/"
    model = Olt
    list_queries = 6  # ... and the PON ports
    ordering_fields = ["name", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        Olt.objects.bulk_create([Olt(name=f"OLT {i:04d}") for i in range(n)])

    @pytest.fixture
    def obj(self, db):
        return services.olt_create(name="OLT Ikeja", pon_ports=2)

    @pytest.fixture
    def create_payload(self):
        return {"name": "OLT Lekki", "vendor": "Huawei", "management_ip": "10.0.0.2"}

    @pytest.fixture
    def update_payload(self):
        return {"vendor": "ZTE", "status": "in_service"}

    @pytest.fixture
    def bad_payloads(self):
        return [("name", {"name": ""}), ("management_ip", {"name": "OLT X", "management_ip": "999.1.1.1"})]


class TestPonPortApi(PlantContract):
    url = f"{API}pon-ports/"
    model = PonPort
    list_queries = 5
    ordering_fields = ["slot", "port", "technology", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        olt = services.olt_create(name="Bulk OLT")
        PonPort.objects.bulk_create([PonPort(olt=olt, slot=1, port=i) for i in range(1, n + 1)])

    @pytest.fixture
    def obj(self, db):
        return services.pon_port_create(olt=services.olt_create(name="OLT 1"), port=1)

    @pytest.fixture
    def create_payload(self, obj):
        return {"olt": str(obj.olt_id), "port": 2, "technology": "xgs_pon", "optical_class": "N1"}

    @pytest.fixture
    def update_payload(self):
        return {"max_split": 32, "status": "in_service"}

    @pytest.fixture
    def bad_payloads(self, obj):
        return [
            ("optical_class", {"olt": str(obj.olt_id), "port": 3, "optical_class": "Z"}),
            ("olt", {"olt": MISSING_ID, "port": 3}),
        ]


class TestSplitterApi(PlantContract):
    url = f"{API}splitters/"
    model = Splitter
    list_queries = 6  # ... and the endpoints
    ordering_fields = ["name", "output_count", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        enclosure = factories.enclosure(kind="fdh")
        Splitter.objects.bulk_create(
            [Splitter(enclosure=enclosure, output_count=8, insertion_loss_db=10.5, name=f"S{i}") for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db):
        return services.splitter_create(enclosure=factories.enclosure(kind="fdh"), output_count=8, name="S1")

    @pytest.fixture
    def create_payload(self, obj):
        return {"enclosure": str(obj.enclosure_id), "output_count": 32, "name": "S2"}

    @pytest.fixture
    def update_payload(self):
        return {"name": "S1 primary", "status": "in_service"}

    @pytest.fixture
    def bad_payloads(self, obj):
        return [
            ("output_count", {"enclosure": str(obj.enclosure_id), "output_count": 3}),
            ("input_count", {"enclosure": str(obj.enclosure_id), "output_count": 8, "input_count": 5}),
        ]


class TestOntApi(PlantContract):
    url = f"{API}onts/"
    model = Ont
    list_queries = 5
    ordering_fields = ["serial", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        Ont.objects.bulk_create([Ont(serial=f"BULK{i:06d}") for i in range(n)])

    @pytest.fixture
    def obj(self, db):
        return services.ont_create(serial="HWTC00000001")

    @pytest.fixture
    def create_payload(self):
        return {"serial": "ZTEG00000002", "vendor": "ZTE"}

    @pytest.fixture
    def update_payload(self):
        return {"model": "HG8245H", "status": "in_service"}

    @pytest.fixture
    def bad_payloads(self):
        return [("serial", {"serial": ""}), ("enclosure", {"serial": "X1", "enclosure": MISSING_ID})]


def _splice_world():
    closure = factories.enclosure()
    feeder, drop = factories.cable(b=closure), factories.cable(a=closure)
    feeder_ends = list(Endpoint.objects.filter(strand__cable=feeder, side="b").order_by("strand__number"))
    drop_ends = list(Endpoint.objects.filter(strand__cable=drop, side="a").order_by("strand__number"))
    return closure, feeder_ends, drop_ends


class TestConnectionApi(PlantContract):
    url = f"{API}connections/"
    model = Connection
    list_queries = 5
    ordering_fields = ["kind", "status", "position", "created_at", "updated_at"]

    def make_rows(self, n):
        closure = factories.enclosure()
        cable = factories.cable(type_=factories.cable_type(tubes=1, per_tube=n), a=closure, b=closure)
        ends = Endpoint.objects.filter(strand__cable=cable).order_by("strand__number", "side")
        pairs = list(zip(ends[::2], ends[1::2], strict=True))
        Connection.objects.bulk_create([Connection(enclosure=closure, a=a, b=b) for a, b in pairs])

    @pytest.fixture
    def world(self, db):
        return _splice_world()

    @pytest.fixture
    def obj(self, world):
        closure, feeder, drop = world
        return services.connection_create(enclosure_id=closure.pk, a_id=feeder[0].pk, b_id=drop[0].pk)

    @pytest.fixture
    def create_payload(self, world):
        closure, feeder, drop = world
        return {"enclosure": str(closure.pk), "a": str(feeder[1].pk), "b": str(drop[1].pk), "kind": "splice"}

    @pytest.fixture
    def update_payload(self):
        return {"loss_db": "0.05", "notes": "OTDR 2026-12-01"}

    @pytest.fixture
    def bad_payloads(self, world):
        closure, feeder, drop = world
        body = {"enclosure": str(closure.pk), "a": str(feeder[2].pk), "b": str(drop[2].pk)}
        return [("a", {**body, "a": MISSING_ID}), ("kind", {**body, "kind": "weld"})]


class TestSplicePlanApi(PlantContract):
    url = f"{API}splice-plans/"
    model = SplicePlan
    list_queries = 6  # ... and the entries
    ordering_fields = ["number", "name", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        closure = factories.enclosure()
        SplicePlan.objects.bulk_create([SplicePlan(enclosure=closure, name=f"Plan {i:04d}") for i in range(n)])

    @pytest.fixture
    def world(self, db):
        return _splice_world()

    @pytest.fixture
    def obj(self, world):
        closure, feeder, drop = world
        return services.splice_plan_create(
            enclosure=closure, name="Plan A", entries=[{"a": feeder[0], "b": drop[0]}, {"a": feeder[1], "b": drop[1]}]
        )

    @pytest.fixture
    def create_payload(self, world):
        closure, feeder, drop = world
        return {
            "name": "Plan B",
            "enclosure": str(closure.pk),
            "entries": [{"a": str(feeder[5].pk), "b": str(drop[5].pk), "kind": "splice"}],
        }

    @pytest.fixture
    def update_payload(self):
        return {"name": "Plan A2", "notes": "moved to tray 2"}

    @pytest.fixture
    def bad_payloads(self, world):
        closure, feeder, _drop = world
        body = {"name": "Bad", "enclosure": str(closure.pk)}
        return [
            ("entries", {**body, "entries": [{"a": str(feeder[3].pk), "b": str(feeder[3].pk)}]}),
            ("name", {**body, "name": ""}),
        ]


class TestServicePointApi(PlantContract):
    url = f"{API}service-points/"
    model = ServicePoint
    list_queries = 5
    ordering_fields = ["number", "name", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        ServicePoint.objects.bulk_create(
            [ServicePoint(name=f"House {i:04d}", geom=Point(3.4, 6.4 + i / 1e4, srid=4326)) for i in range(n)]
        )

    @pytest.fixture
    def obj(self, account):
        return services.service_point_create(name="House 1", geom=Point(3.41, 6.45, srid=4326), account=account)

    @pytest.fixture
    def create_payload(self, account):
        return {"name": "House 4", "location": POINT, "account": str(account.pk)}

    @pytest.fixture
    def update_payload(self):
        return {"name": "House 5", "status": "connected"}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("location", {"location": {"type": "Point", "coordinates": [1]}}),
            ("status", {"location": POINT, "status": "gone"}),
        ]
