"""The network map in Debian's chromium: a dispatcher opens /network/map/ on the demo plant, arms the Cut tool,
clicks the feeder, and the customers behind it are listed beside the map (POST /api/v1/network/impact/)."""

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from network.models import Cable, ServicePoint
from portals.staff.management.commands._seed_network import seed_network
from tests.browser import on, sign_in, until
from tests.crm.factories import AccountFactory
from tests.omni.factories import PASSWORD, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cut_on_the_feeder_lists_the_customers_behind_it(live_server, page):
    accounts = [
        AccountFactory(name=f"Customer {n}", location=Point(3.4219 + n / 2000, 6.4281 + n / 3000, srid=4326))
        for n in range(4)
    ]
    seed_network()
    feeder = Cable.objects.get(role="feeder")
    middle = feeder.geom.interpolate_normalized(0.5)
    dispatcher = StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])

    sign_in(page, live_server, "localhost", dispatcher.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.get_by_role("link", name="Network").click()
    page.wait_for_url(on(live_server, "localhost", "/network/map/"))
    page.wait_for_function("() => window.omniNetworkMap !== undefined")
    page.get_by_label("Radius (m)").fill("25")
    page.get_by_role("button", name="Cut").click()
    expect(page.get_by_role("button", name="Cut")).to_have_attribute("aria-pressed", "true")
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.omniNetworkMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [middle.y, middle.x],
    )
    page.locator("#network-map").click(position={"x": x, "y": y})

    listed = page.locator("#cut-affected")
    expect(listed.locator("li")).to_have_count(len(accounts))
    for point in ServicePoint.objects.select_related("account"):
        expect(listed).to_contain_text(point.number)
    expect(page.locator("#cut-result")).to_contain_text("4 service points affected")
    for account in accounts:
        expect(page.locator("#cut-accounts")).to_contain_text(account.number)


def test_the_map_draws_the_plant_tiles_and_a_click_shows_the_cable(live_server, page):
    for n in range(4):
        AccountFactory(name=f"Customer {n}", location=Point(3.4219 + n / 2000, 6.4281 + n / 3000, srid=4326))
    seed_network()
    feeder = Cable.objects.get(role="feeder")
    middle = feeder.geom.interpolate_normalized(0.5)
    dispatcher = StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])
    tiles = []
    page.on("response", lambda r: tiles.append(r.status) if "/tiles/cables/" in r.url else None)

    sign_in(page, live_server, "localhost", dispatcher.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", "/network/map/"))
    page.wait_for_function("() => window.omniNetworkMap !== undefined")
    until(page, lambda: 200 in tiles, "the feeder's tile as protobuf")  # the others are empty: 204
    expect(page.locator("#network-map path.leaflet-interactive").first).to_be_attached()
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.omniNetworkMap.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [middle.y, middle.x],
    )
    page.locator("#network-map").click(position={"x": x, "y": y})
    expect(page.locator("#network-details")).to_contain_text(feeder.number)
    expect(page.locator("#network-details")).to_contain_text("geo_length_m")  # a field only the API answers
    expect(page.locator(".leaflet-popup-content")).to_contain_text("lit")  # capacity, from the tile
    expect(page.locator(".leaflet-popup-content")).to_contain_text(feeder.number)  # then the API's answer
