"""The staff network map page (/network/map/): staff with the network view permission only, the map's
configuration (tile URL, layer zooms, API) and the vendored scripts, the Network link in the console's nav."""

import json

import pytest

from tests.omni.factories import StaffFactory

from . import factories

URL = "/network/map/"


@pytest.fixture
def dispatcher(db):
    return StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])


def _config(response) -> dict:
    html = response.content.decode()
    start = html.index('id="network-map-config"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def test_dispatcher_gets_the_map_with_its_configuration(client_as, dispatcher):
    factories.structure(lon=3.40, lat=6.45)
    response = client_as(dispatcher).get(URL)
    assert response.status_code == 200
    config = _config(response)
    assert config["tiles"] == "/tiles/{layer}/{z}/{x}/{y}.mvt"
    assert config["layers"] == {"structures": 14, "pathways": 14, "cables": 10, "enclosures": 14, "service_points": 16}
    assert config["api"] == "/api/v1/network/"
    assert config["center"] == [6.45, 3.40] and config["csrf"]
    html = response.content.decode()
    assert "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js" in html and "js/network_map.js" in html
    for control in ('id="cut-tool"', 'id="cut-radius"', 'id="trace-form"', 'data-layer-toggle="cables"'):
        assert control in html
    assert 'href="/network/map/"' in html  # the nav link


def test_an_empty_plant_still_has_a_map(client_as, dispatcher):
    response = client_as(dispatcher).get(URL)
    assert response.status_code == 200
    assert _config(response)["zoom"] == 2


def test_technician_and_admin_get_it(client_as, admin_user):
    assert client_as(StaffFactory(email="t@example.com", roles=["Technician"])).get(URL).status_code == 200
    assert client_as(admin_user).get(URL).status_code == 200


@pytest.mark.parametrize("persona", ["agent", "sales"])
def test_staff_without_network_permission_get_403_and_no_nav_link(request, client_as, persona):
    client = client_as(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert 'href="/network/map/"' not in client.get("/").content.decode()


def test_portal_users_never_see_it(client_as, customer, reseller, vendor):
    assert client_as(customer).get(URL).status_code == 403
    assert client_as(customer, host="portal.localhost").get(URL).status_code == 404
    assert client_as(reseller, host="reseller.localhost").get(URL).status_code == 404
    assert client_as(vendor, host="vendor.localhost").get(URL).status_code == 404


def test_anonymous_goes_to_the_login(client, db):
    response = client.get(URL, HTTP_HOST="localhost")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_post_is_405(client_as, dispatcher):
    assert client_as(dispatcher).post(URL).status_code == 405
