"""Vector tiles of the plant (network.tiles, /tiles/<layer>/<z>/<x>/<y>.mvt): protobuf with the layers, zoom rules,
204 for an empty tile, an ETag that changes when the plant changes (304 while it does not), staff only, and the
tile query on the GiST index."""

import math

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import LineString, Point
from django.db import connection

from network import services, tiles
from network.choices import CableRole, ConnectionKind, EnclosureKind, StructureKind
from network.models import Pathway, ServicePoint, Structure
from network.services import paths
from tests.omni.factories import StaffFactory

from . import factories
from .plant import Plant

LON, LAT = 3.3792, 6.5244


def tile_of(z: int, lon: float = LON, lat: float = LAT) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def url(layer: str, z: int, lon: float = LON, lat: float = LAT) -> str:
    z, x, y = tile_of(z, lon, lat)
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt"


@pytest.fixture
def dispatcher(db):
    return StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])


@pytest.fixture
def staff(client_as, dispatcher):
    return client_as(dispatcher)


@pytest.fixture
def plant(db):
    """A cabinet and a pole 600 m apart; a feeder, a distribution cable and a drop between them; a terminal, a
    closure and a service point."""
    a = factories.enclosure(kind=EnclosureKind.FDH, at=factories.structure(kind=StructureKind.CABINET))
    b = factories.enclosure(at=factories.structure(kind=StructureKind.POLE, lon=LON + 0.002))
    mst = factories.enclosure(kind=EnclosureKind.MST, at=a.structure)
    feeder = factories.cable(a=a, b=b, role=CableRole.FEEDER)
    distribution = factories.cable(a=a, b=b, role=CableRole.DISTRIBUTION)
    drop = factories.cable(
        a=b, b=mst, role=CableRole.DROP, type_=factories.cable_type(tubes=1, per_tube=2),
        geom=LineString((LON, LAT), (LON + 0.0002, LAT), srid=4326),
    )  # fmt: skip
    services.record_create(ServicePoint, name="Home", geom=Point(LON + 0.0001, LAT, srid=4326))
    return {"feeder": feeder, "distribution": distribution, "drop": drop, "a": a, "b": b, "mst": mst}


def decode(response) -> dict:
    return mapbox_vector_tile.decode(response.content)


def roles(response) -> set[str]:
    return {f["properties"]["role"] for f in decode(response).get("cables", {}).get("features", [])}


def test_a_tile_is_protobuf_with_its_layer(staff, plant):
    for layer in ("structures", "pathways", "cables", "enclosures", "service_points"):
        if layer == "pathways":
            services.record_create(
                Pathway, kind="aerial_span", a_structure=plant["a"].structure,
                b_structure=plant["b"].structure,
                geom=LineString(plant["a"].structure.geom.coords, plant["b"].structure.geom.coords, srid=4326),
            )  # fmt: skip
        response = staff.get(url(layer, 16))
        assert response.status_code == 200, layer
        assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
        assert response["ETag"].startswith(f'"{layer}-')
        assert layer in decode(response), layer


def test_cables_carry_role_and_capacity(staff, plant):
    feeder = plant["feeder"]
    strand = feeder.strands.get(number=1)
    ends = {e.side: e for e in strand.endpoints.all()}
    # Strand 1 spliced at both ends but reaching no PON port: dark. Strand 3 on a PON port's path to a customer:
    # lit (once the path cache has it). Strand 2 reserved.
    other = factories.cable(a=plant["a"], b=plant["b"], role=CableRole.FEEDER)
    far = factories.cable(a=plant["b"], b=plant["a"], role=CableRole.FEEDER)
    services.connection_create(
        enclosure_id=plant["a"].pk, a_id=ends["a"].pk, b_id=other.strands.get(number=1).endpoints.get(side="a").pk
    )
    services.connection_create(
        enclosure_id=plant["b"].pk, a_id=ends["b"].pk, b_id=far.strands.get(number=1).endpoints.get(side="a").pk
    )
    builder = Plant()
    port = builder.olt(plant["a"])[0]
    builder.join(plant["a"], builder.pon(port), builder.end(feeder, 3, "a"), ConnectionKind.PATCH)
    builder.join(plant["b"], builder.end(feeder, 3, "b"), builder.end(plant["drop"], 1, "a"))
    builder.customer(plant["mst"], builder.end(plant["drop"], 1, "b"), "Home")
    services.strand_update(strand_id=feeder.strands.get(number=2).pk, reserved=True)

    def capacity():
        features = decode(staff.get(url("cables", 14)))["cables"]["features"]
        mine = next(f["properties"] for f in features if f["properties"]["id"] == str(feeder.pk))
        assert mine["role"] == "feeder"
        assert set(mine) == {"id", "role", "lit", "reserved", "dark", "damaged"}  # what the map draws, no more
        return mine["lit"], mine["reserved"], mine["dark"], mine["damaged"]

    assert capacity() == (0, 1, 11, 0)  # the cache is not rebuilt yet
    before = staff.get(url("cables", 14))["ETag"]
    paths.paths_rebuild(port.pk)
    assert staff.get(url("cables", 14))["ETag"] != before  # the rebuilt cache changes the cables layer
    assert capacity() == (1, 1, 10, 0)
    assert tiles.cable_capacity([feeder.pk, other.pk])[feeder.pk] == {"lit": 1, "reserved": 1, "dark": 10, "damaged": 0}
    assert tiles.cable_capacity([other.pk])[other.pk]["lit"] == 0


def test_zoom_rules(staff, plant):
    assert roles(staff.get(url("cables", 12))) == {"feeder"}  # feeders from z10, not distribution
    assert staff.get(url("cables", 9)).status_code == 204
    assert roles(staff.get(url("cables", 13))) == {"feeder", "distribution"}
    assert "drop" not in roles(staff.get(url("cables", 15)))  # no drops below z16
    assert roles(staff.get(url("cables", 16))) == {"feeder", "distribution", "drop"}
    assert staff.get(url("structures", 13)).status_code == 204
    assert staff.get(url("service_points", 15)).status_code == 204
    kinds = {f["properties"]["kind"] for f in decode(staff.get(url("enclosures", 14)))["enclosures"]["features"]}
    assert kinds == {"fdh", "splice_closure"}  # terminals from z16
    kinds = {f["properties"]["kind"] for f in decode(staff.get(url("enclosures", 16)))["enclosures"]["features"]}
    assert kinds == {"fdh", "splice_closure", "mst"}


def test_an_empty_tile_is_204(staff, plant):
    response = staff.get(url("structures", 16, lon=-70.0, lat=40.0))
    assert response.status_code == 204
    assert response.content == b""
    assert response["ETag"]


def test_the_etag_changes_after_a_plant_edit_and_is_304_until_then(staff, plant):
    first = staff.get(url("structures", 16))
    etag = first["ETag"]
    again = staff.get(url("structures", 16), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    services.record_update(Structure, pk=plant["a"].structure.pk, kind=StructureKind.VAULT)
    changed = staff.get(url("structures", 16), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    kinds = {f["properties"]["kind"] for f in decode(changed)["structures"]["features"]}
    assert StructureKind.VAULT in kinds
    # A rename changes no tile content, but the version still moves (the layer reads updated_at).
    services.record_update(Structure, pk=plant["a"].structure.pk, name="Renamed cabinet")
    assert staff.get(url("structures", 16), HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 200
    # A new cable changes the cables layer's version too (a rebuilt path cache as well: lit strands).
    cables = staff.get(url("cables", 16))["ETag"]
    factories.cable(a=plant["a"], b=plant["b"], role=CableRole.FEEDER)
    assert staff.get(url("cables", 16))["ETag"] != cables


def test_bad_layer_or_tile_is_404(staff, db):
    assert staff.get("/tiles/ducts/14/1/1.mvt").status_code == 404
    assert staff.get("/tiles/cables/3/9/1.mvt").status_code == 404
    assert staff.get("/tiles/cables/30/1/1.mvt").status_code == 404


@pytest.mark.parametrize("persona", ["agent", "sales"])
def test_staff_without_network_permission_get_403(request, client_as, persona, plant):
    assert client_as(request.getfixturevalue(persona)).get(url("cables", 14)).status_code == 403


def test_technician_and_admin_see_tiles(client_as, admin_user, plant):
    technician = StaffFactory(email="tech@example.com", roles=["Technician"])
    assert client_as(technician).get(url("cables", 14)).status_code == 200
    assert client_as(admin_user).get(url("cables", 14)).status_code == 200


def test_portal_users_never_see_tiles(client_as, customer, reseller, vendor, plant):
    path = url("cables", 14)
    assert client_as(customer).get(path).status_code == 403  # another audience on the staff host
    assert client_as(customer, host="portal.localhost").get(path).status_code == 404
    assert client_as(reseller, host="reseller.localhost").get(path).status_code == 404
    assert client_as(vendor, host="vendor.localhost").get(path).status_code == 404
    assert client_as(reseller).get(path).status_code == 403


def test_anonymous_goes_to_the_login(client, plant):
    response = client.get(url("cables", 14), HTTP_HOST="localhost")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_writes_are_405(staff, plant):
    assert staff.post(url("cables", 14)).status_code == 405


@pytest.mark.parametrize("layer", sorted(tiles.LAYERS))
def test_the_tile_query_uses_the_gist_index(layer, plant):
    # Enough rows that a sequential scan is not the cheaper plan.
    Structure.objects.bulk_create(
        [Structure(kind="pole", geom=Point(LON + i / 1e3, LAT + i / 1e3, srid=4326)) for i in range(2000)]
    )
    ServicePoint.objects.bulk_create(
        [ServicePoint(geom=Point(LON - i / 1e3, LAT - i / 1e3, srid=4326)) for i in range(2000)]
    )
    z, x, y = tile_of(16)
    with connection.cursor() as cursor:
        # The layer's own tables and the ones filled above (analysing the whole database took seconds per layer).
        for table in sorted({*tiles.LAYERS[layer].tables, "network_structure", "network_servicepoint"}):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("SET LOCAL enable_seqscan = off")  # ask the planner for an index, and check it has one
        cursor.execute(f"EXPLAIN {tiles.tile_sql(layer, 16)}", {"z": z, "x": x, "y": y})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    table = {"service_points": "servicepoint", "enclosures": "structure"}.get(layer, layer.rstrip("s"))
    assert f"network_{table}_geom_id" in plan or "_geom_" in plan, plan
    assert "Index" in plan, plan
