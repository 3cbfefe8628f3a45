"""The trace, impact and root-cause endpoints as an outside client: staff with the network view permission only,
bad input a 400 naming the field, an unknown start a 404."""

import pytest
from django.contrib.gis.geos import LineString

from network.choices import ConnectionKind, EnclosureKind
from tests.omni.api_contract import assert_error
from tests.omni.factories import StaffFactory

from .plant import LAT, Plant, pon_with_splitter

pytestmark = pytest.mark.django_db

TRACE, IMPACT, ROOT = "/api/v1/network/trace/", "/api/v1/network/impact/", "/api/v1/network/root-cause/"


@pytest.fixture
def built():
    plant = Plant()
    return plant, pon_with_splitter(plant, closures=2, customers=4, lengths=[2000, 2000, 1000, 200], join="splice")


@pytest.fixture
def dispatcher(api_as):
    return api_as(StaffFactory(roles=["Dispatcher"]))


def test_a_downstream_trace_answers_hops_onts_totals_and_budget(built, dispatcher):
    _plant, plant = built
    response = dispatcher.get(TRACE, {"from": f"pon_port:{plant['port'].pk}", "direction": "downstream"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hops"][0]["kind"] == "pon_port" and body["hops"][0]["id"] == str(plant["port"].pk)
    assert {"kind", "id", "name", "length_m", "loss_db", "cumulative_loss_db"} <= set(body["hops"][1])
    assert sorted(o["service_point"] for o in body["onts"]) == sorted(str(p.pk) for p in plant["points"])
    assert (body["total_length_m"], body["total_loss_db"]) == (5200.0, 19.3)
    assert body["budget"] == {"class": "B+", "max_loss_db": 28.0, "margin_db": 8.7, "over": False}
    assert body["anomalies"] == []


def test_an_upstream_trace_from_an_ont_ends_at_its_port(built, dispatcher):
    _plant, plant = built
    ont = plant["points"][1].ont_id
    body = dispatcher.get(TRACE, {"from": f"ont:{ont}", "direction": "upstream", "wavelength": 1310}).json()
    assert body["hops"][-1]["endpoint_kind"] == "pon_port" and body["onts"] == []
    assert body["total_loss_db"] == 19.82  # 5.2 km at 0.35 dB/km


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "from"),
        ({"from": "cable:0b6e8d4c-9f0e-4a51-9a53-1ee2ab2a3c11"}, "from"),
        ({"from": "pon_port:not-a-uuid"}, "from"),
        ({"from": "pon_port"}, "from"),
        ({"from": "ont:0b6e8d4c-9f0e-4a51-9a53-1ee2ab2a3c11", "direction": "sideways"}, "direction"),
        ({"from": "ont:0b6e8d4c-9f0e-4a51-9a53-1ee2ab2a3c11", "wavelength": "1625"}, "wavelength"),
    ],
)
def test_a_bad_trace_query_is_a_400_naming_the_field(dispatcher, query, field):
    assert_error(dispatcher.get(TRACE, query), 400, field=field)


def test_an_unknown_start_is_a_404(dispatcher):
    assert_error(dispatcher.get(TRACE, {"from": "pon_port:0b6e8d4c-9f0e-4a51-9a53-1ee2ab2a3c11"}), 404)


def test_impact_at_a_point_and_of_elements(dispatcher):
    plant = Plant()
    odf, fdh = plant.enclosure("ODF", EnclosureKind.ODF, lon=3.50), plant.enclosure("FDH", EnclosureKind.FDH, lon=3.51)
    (port,) = plant.olt(odf)
    (feeder,) = plant.feeder_chain(port, odf, [], fdh, lengths=[1000])
    splitter = plant.splitter(fdh, 4, "S")
    plant.join(fdh, plant.end(feeder, 1, "b"), plant.split_in(splitter), ConnectionKind.CONNECTOR_MATE)
    points = [plant.customer(fdh, plant.split_out(splitter, n), f"Home {n}") for n in (1, 2)]
    assert feeder.geom.equals(LineString(odf.structure.geom.coords, fdh.structure.geom.coords))
    cut = {"type": "Point", "coordinates": [3.505, LAT + 0.00005]}  # about 5.5 m north of the feeder
    body = dispatcher.post(IMPACT, {"point": cut, "radius_m": 15}).json()
    assert body["count"] == 2 and sorted(s["number"] for s in body["service_points"]) == sorted(
        p.number for p in points
    )
    assert sorted(a["id"] for a in body["accounts"]) == sorted(str(p.account_id) for p in points)
    assert all(a["number"] for a in body["accounts"])
    assert [c["id"] for c in body["cables"]] == [str(feeder.pk)] and 5 < body["cables"][0]["distance_m"] < 6
    far = {"type": "Point", "coordinates": [3.505, LAT + 0.01]}
    body = dispatcher.post(IMPACT, {"point": far, "radius_m": 15}).json()
    assert body["count"] == 0 and body["nearest"]["id"] == str(feeder.pk) and body["nearest"]["distance_m"] > 1000
    body = dispatcher.post(IMPACT, {"splitters": [str(splitter.pk)]}).json()
    assert body["count"] == 2 and body["cables"] == [] and body["nearest"] is None
    down = [str(p.ont_id) for p in points]
    body = dispatcher.post(ROOT, {"down": down}).json()
    assert body["element"]["kind"] == "splitter" and body["element"]["id"] == str(splitter.pk)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "point"),
        ({"point": {"type": "Point", "coordinates": [3.3, 6.5]}}, "radius_m"),
        ({"radius_m": 10}, "point"),
        ({"point": {"type": "LineString", "coordinates": [[3.3, 6.5]]}, "radius_m": 10}, "point"),
        ({"point": {"type": "Point", "coordinates": [3.3, 6.5]}, "radius_m": -1}, "radius_m"),
        ({"point": {"type": "Point", "coordinates": [3.3, 6.5]}, "radius_m": 10, "splitters": []}, None),
        ({"cables": ["nope"]}, "cables"),
        ({"tubes": "0b6e8d4c-9f0e-4a51-9a53-1ee2ab2a3c11"}, "tubes"),
    ],
)
def test_a_bad_impact_question_is_a_400_naming_the_field(dispatcher, body, field):
    response = dispatcher.post(IMPACT, body)
    if field is None:
        assert response.status_code == 200  # an empty list is no list
    else:
        assert_error(response, 400, field=field)


@pytest.mark.parametrize(("body", "field"), [({}, "down"), ({"down": []}, "down"), ({"down": ["x"]}, "down")])
def test_a_bad_root_cause_question_is_a_400_naming_the_field(dispatcher, body, field):
    assert_error(dispatcher.post(ROOT, body), 400, field=field)


def test_only_staff_with_the_network_view_permission_may_ask(
    api_as, anon_api, agent, customer, reseller, vendor, django_assert_max_num_queries
):
    query = {"from": "pon_port:0b6e8d4c-9f0e-4a51-9a53-1ee2ab2a3c11"}
    impact = {"cables": ["0b6e8d4c-9f0e-4a51-9a53-1ee2ab2a3c11"]}
    for user, status in ((agent, 403), (customer, 403), (reseller, 403), (vendor, 403)):
        client = api_as(user)
        body = assert_error(client.get(TRACE, query), status, code="permission_denied")
        assert body["detail"]
        assert_error(client.post(IMPACT, impact), status)
        assert_error(client.post(ROOT, {"down": impact["cables"]}), status)
    assert assert_error(api_as(customer).get(TRACE, query), 403, code="permission_denied")["detail"] == (
        "Customer users may not use this resource."
    )
    assert_error(anon_api.get(TRACE, query), 401)
    assert_error(anon_api.post(IMPACT, impact), 401)
    for role in ("Technician", "Admin"):
        client = api_as(StaffFactory(roles=[role]))
        assert client.post(IMPACT, impact).json()["count"] == 0
        assert_error(client.get(TRACE, query), 404)
    # Impact and root cause only read: a read-scoped token may ask them (it may not write elsewhere).
    read_only = api_as(StaffFactory(roles=["Dispatcher"]), scopes=["read"])
    assert read_only.post(IMPACT, impact).json()["count"] == 0
    assert read_only.post(ROOT, {"down": impact["cables"]}).status_code == 200
    assert_error(read_only.post("/api/v1/network/structures/", {"kind": "pole"}), 403)
