"""GeoJSON export and import of the plant (network/api/geojson.py): the export's shape, an import through the
services in one transaction (an export imports back, references between features of the file resolve), a bad
feature a 400 naming its index, field and reason with nothing saved, and who may use them."""

import pytest
from django.contrib.gis.geos import LineString

from network.models import Cable, CableSegment, Enclosure, Pathway, ServicePoint, Structure
from tests.omni.factories import StaffFactory

from . import factories

EXPORT = "/api/v1/network/export.geojson"
IMPORT = "/api/v1/network/import/"


@pytest.fixture
def plant(db):
    a = factories.enclosure(kind="fdh", at=factories.structure(kind="cabinet", name="Cabinet"))
    b = factories.enclosure(at=factories.structure(kind="pole", name="Pole", lon=3.3892))
    pathway = Pathway.objects.create(
        kind="aerial_span", a_structure=a.structure, b_structure=b.structure,
        geom=LineString(a.structure.geom.coords, b.structure.geom.coords, srid=4326),
    )  # fmt: skip
    cable = factories.cable(a=a, b=b, name="Feeder 1")
    CableSegment.objects.create(cable=cable, pathway=pathway, seq=1)
    factories.services.service_point_create(name="Home", geom=b.structure.geom)
    return {"a": a, "b": b, "cable": cable, "pathway": pathway}


@pytest.fixture
def admin_api(api_as, admin_user):
    return api_as(admin_user)


def test_the_export_is_a_feature_collection_of_every_layer(api_as, plant, django_assert_max_num_queries):
    client = api_as(StaffFactory(email="d@example.com", roles=["Dispatcher"]), scopes=("read",))
    with django_assert_max_num_queries(12):
        response = client.get(EXPORT)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    layers = [f["properties"]["layer"] for f in body["features"]]
    assert sorted(layers) == sorted(
        ["structures", "structures", "pathways", "enclosures", "enclosures", "cables", "service_points"]
    )
    cable = next(f for f in body["features"] if f["properties"]["layer"] == "cables")
    assert cable["geometry"]["type"] == "LineString"
    assert cable["properties"]["name"] == "Feeder 1" and cable["properties"]["pathways"] == [str(plant["pathway"].pk)]
    enclosure = next(f for f in body["features"] if f["properties"]["id"] == str(plant["a"].pk))
    assert enclosure["geometry"] == {"type": "Point", "coordinates": list(plant["a"].structure.geom.coords)}


def test_the_export_runs_a_fixed_number_of_queries(api_as, plant, django_assert_max_num_queries):
    client = api_as(StaffFactory(email="d@example.com", roles=["Dispatcher"]), scopes=("read",))
    for n in range(20):
        factories.cable(a=plant["a"], b=plant["b"], name=f"Extra {n}")
    with django_assert_max_num_queries(12):
        assert client.get(EXPORT).status_code == 200


def test_an_export_imports_back_with_its_references(admin_api, plant):
    exported = admin_api.get(EXPORT).json()
    before = (Structure.objects.count(), Pathway.objects.count(), Enclosure.objects.count(), Cable.objects.count())
    response = admin_api.post(IMPORT, exported)
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == {
        "structures": 2, "pathways": 1, "enclosures": 2, "cables": 1, "service_points": 1,
    }  # fmt: skip
    after = (Structure.objects.count(), Pathway.objects.count(), Enclosure.objects.count(), Cable.objects.count())
    assert after == tuple(n * 2 for n in before)
    copy = Cable.objects.exclude(pk=plant["cable"].pk).get()
    # The references point at the imported copies, not at the originals; the cable got its strands (the service).
    assert copy.a_enclosure_id not in (plant["a"].pk, plant["b"].pk)
    assert copy.a_enclosure.structure.name == "Cabinet" and copy.strands.count() == 12
    assert list(copy.segments.values_list("pathway__a_structure", flat=True)) == [copy.a_structure_id]


def test_a_bad_feature_is_a_400_naming_index_field_and_reason_and_nothing_is_saved(admin_api, db):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.4, 6.4]},
             "properties": {"layer": "structures", "kind": "pole", "name": "Good"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [300, 6.4]},
             "properties": {"layer": "structures", "kind": "pole", "name": "Off the globe"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.4, 6.4]},
             "properties": {"layer": "structures", "kind": "tree"}},
            {"type": "Feature", "geometry": None,
             "properties": {"layer": "enclosures", "kind": "mst", "structure": "00000000-0000-0000-0000-000000000000"}},
        ],
    }  # fmt: skip
    response = admin_api.post(IMPORT, collection)
    assert response.status_code == 400
    errors = response.json()["fields"]["features"]
    assert set(errors) == {"1", "2", "3"}
    assert "geometry" in errors["1"] and "kind" in errors["2"] and "structure" in errors["3"]
    assert not Structure.objects.exists() and not Enclosure.objects.exists()


def test_an_unknown_layer_or_not_a_collection_is_a_400(admin_api, db):
    bad = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None, "properties": {}}]}
    response = admin_api.post(IMPORT, bad)
    assert response.status_code == 400 and "layer" in response.json()["fields"]["features"]["0"]
    response = admin_api.post(IMPORT, {"type": "Feature"})
    assert response.status_code == 400 and "type" in response.json()["fields"]
    response = admin_api.post(IMPORT, {"type": "FeatureCollection", "features": {}})
    assert response.status_code == 400 and "features" in response.json()["fields"]


def test_who_may_export_and_import(api_as, anon_api, customer, reseller, vendor, agent, db):
    dispatcher = api_as(StaffFactory(email="d@example.com", roles=["Dispatcher"]))
    assert dispatcher.get(EXPORT).status_code == 200
    assert dispatcher.post(IMPORT, {"type": "FeatureCollection", "features": []}).status_code == 403
    for user in (agent, customer, reseller, vendor):
        assert api_as(user).get(EXPORT).status_code == 403
        assert api_as(user).post(IMPORT, {"type": "FeatureCollection", "features": []}).status_code == 403
    assert anon_api.get(EXPORT).status_code == 401
    assert not ServicePoint.objects.exists()
