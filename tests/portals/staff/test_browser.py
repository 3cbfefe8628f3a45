"""The staff journey in Debian's chromium, offline (map tiles blocked): dashboard map, live filtering and sorting,
creating an account by clicking the map, the contact duplicate warning. axe-core checks each page."""

import json
import re

import factory
import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from crm.choices import AccountStatus
from crm.models import Account
from tests.browser import axe_violations, on, sign_in
from tests.crm.factories import AccountFactory, ContactFactory
from tests.omni.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _offline_tiles(page) -> None:
    # No tile server is reachable here (nor, perhaps, in the field): the pages must work without tiles.
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())


def _wait_for_marker(page, map_id: str) -> None:
    page.locator(f"#{map_id} img.leaflet-marker-icon").first.wait_for()
    page.wait_for_function(f"() => document.querySelector('#{map_id} img.leaflet-marker-icon').naturalWidth > 0")


def _on_the_map(page, map_id: str = "accounts-map") -> dict:
    """What the map draws: single markers, clusters, and how many accounts those clusters hold."""
    return page.evaluate(
        """(id) => {
          const map = document.getElementById(id);
          const clusters = [...map.querySelectorAll(".marker-cluster")];
          const markers = map.querySelectorAll("img.leaflet-marker-icon").length;
          return {
            markers,
            clusters: clusters.length,
            clustered: clusters.reduce((n, c) => n + Number(c.querySelector("span[aria-hidden]").textContent), 0),
            signature: JSON.stringify([markers, clusters.map((c) => c.textContent)]),
          };
        }""",
        map_id,
    )


@pytest.mark.parametrize("dark", [False, True])
def test_staff_filters_accounts_and_creates_one_on_the_map(live_server, page, agent, dark):
    AccountFactory.create_batch(3, status=AccountStatus.ACTIVE, location=Point(3.38, 6.52, srid=4326))
    target = AccountFactory(name="Zebra Crossing Apartments", status=AccountStatus.SUSPENDED)
    page.add_init_script(f"localStorage.setItem('omni-theme', {json.dumps('dark' if dark else 'light')})")
    _offline_tiles(page)

    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    _wait_for_marker(page, "accounts-map")
    drawn = _on_the_map(page)
    assert (drawn["markers"], drawn["clusters"], drawn["clustered"]) == (1, 1, 3)  # three accounts share a spot
    assert axe_violations(page) == []

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.wait_for_url(on(live_server, "localhost", "/accounts/"))
    assert axe_violations(page) == []
    page.get_by_label("Search").fill("zebra")
    page.wait_for_url("**/accounts/?*search=zebra*")
    page.locator("#account-table tbody tr").first.wait_for()
    assert page.locator("#account-table tbody tr").count() == 1
    page.get_by_label("Search").fill("")
    page.wait_for_function("() => document.querySelectorAll('#account-table tbody tr').length === 4")
    page.get_by_role("link", name="Number").click()
    page.wait_for_url("**/accounts/?*sort=number*")
    page.get_by_label("Suspended").check()  # the filter form keeps the sort picked in the table
    page.wait_for_url("**/accounts/?*status=suspended*")
    assert "sort=number" in page.url
    page.wait_for_function("() => document.querySelectorAll('#account-table tbody tr').length === 1")
    assert target.number in page.locator("#account-table").inner_text()

    page.get_by_role("link", name="New account").click()
    page.wait_for_url(on(live_server, "localhost", "/accounts/new/"))
    assert axe_violations(page) == []
    page.locator("#id_name").fill("Map Click Homes")
    page.locator("#location-map").click(position={"x": 200, "y": 120})
    _wait_for_marker(page, "location-map")
    lat = float(page.get_by_label("Latitude").input_value())
    lon = float(page.get_by_label("Longitude").input_value())
    page.get_by_role("button", name="Create account").click()

    account = Account.objects.get(name="Map Click Homes")
    page.wait_for_url(on(live_server, "localhost", f"/accounts/{account.pk}/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Map Click Homes"
    assert (round(account.location.y, 6), round(account.location.x, 6)) == (lat, lon)
    _wait_for_marker(page, "account-map")
    assert axe_violations(page) == []

    # ...and finds the new account by searching for it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    # Typed before the list page has loaded, the text would go to the page being left (or reach the list
    # before htmx listens) and no search would run: under load this happened.
    page.wait_for_url(on(live_server, "localhost", "/accounts/"))
    page.get_by_label("Search").fill("map click")
    page.wait_for_url("**/accounts/?*search=map*")
    page.wait_for_function("() => document.querySelectorAll('#account-table tbody tr').length === 1")
    assert account.number in page.locator("#account-table").inner_text()


def test_typed_coordinates_move_the_pin(live_server, page, agent):
    _offline_tiles(page)
    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", "/accounts/new/"))

    page.get_by_label("Latitude").fill("6.5")
    page.get_by_label("Longitude").fill("3.4")
    page.get_by_label("Longitude").dispatch_event("change")
    _wait_for_marker(page, "location-map")
    page.get_by_role("button", name="No location").click()
    assert page.locator("#location-map img.leaflet-marker-icon").count() == 0
    assert page.get_by_label("Latitude").input_value() == ""


def test_contact_form_warns_of_a_duplicate_as_you_type(live_server, page, agent):
    existing = ContactFactory(first_name="Adaeze", last_name="Okafor", email="ada@example.com")
    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", "/contacts/new/"))
    assert axe_violations(page) == []

    page.get_by_label("First name").fill("Ada")
    page.locator("#id_email").fill("ADA@example.com")
    page.locator("#id_email").blur()
    page.get_by_text("Possible duplicates").wait_for()
    assert page.get_by_role("link", name="Adaeze Okafor").get_attribute("href") == f"/contacts/{existing.pk}/"
    assert axe_violations(page) == []

    page.get_by_role("button", name="Save anyway").click()
    page.wait_for_url("**/contacts/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Ada"


def test_a_failed_live_search_says_so_and_an_ended_session_goes_to_the_login(live_server, page, agent):
    AccountFactory(name="Zebra Crossing Apartments")
    AccountFactory(name="Acacia Court")
    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", "/accounts/"))
    alert = page.locator("#request-error")
    expect(alert).to_be_hidden()
    search = page.get_by_label("Search")

    # The server fails (500): the table stays as it was and the page says what happened.
    page.route("**/accounts/?*search=zeb*", lambda route: route.fulfill(status=500, body="Server Error"))
    search.fill("zeb")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Something went wrong on our side.")
    expect(page.locator("#account-table tbody tr")).to_have_count(2)
    assert axe_violations(page) == []
    page.unroute("**/accounts/?*search=zeb*")

    # The network is gone.
    page.route("**/accounts/?*search=acac*", lambda route: route.abort("internetdisconnected"))
    search.fill("acac")
    expect(alert).to_contain_text("The server could not be reached")
    page.unroute("**/accounts/?*search=acac*")

    # The next request that works clears the message; so does the dismiss button.
    search.fill("zebra")
    expect(page.locator("#account-table tbody tr")).to_have_count(1)
    expect(alert).to_be_hidden()
    page.route("**/accounts/?*search=zebr*", lambda route: route.fulfill(status=403, body="Forbidden"))
    search.fill("zebr")
    expect(alert).to_contain_text("You are not allowed to do that.")
    with page.expect_response("**/accounts/?*search=zebr*"):  # leaving the box is a change: one more search
        search.blur()
    alert.get_by_role("button", name="Dismiss").click()
    expect(alert).to_be_hidden()
    page.unroute("**/accounts/?*search=zebr*")

    # The session ends while the page is open: the next search takes the whole page to the login, and back.
    page.context.clear_cookies()
    search.fill("acacia")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/accounts/"))
    assert page.get_by_label("Search").count() == 0
    page.get_by_label("Email").fill(agent.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/\?.*search=zebra"))  # the page as it was when the session ended
    expect(page.locator("#account-table tbody tr")).to_have_count(1)


def _after_zooming(page, before: dict) -> dict:
    """Waits for the map to draw something else than `before` and to finish animating; what it draws then."""
    page.wait_for_function(
        """([id, before]) => {
          const map = document.getElementById(id);
          const now = JSON.stringify([map.querySelectorAll("img.leaflet-marker-icon").length,
                                      [...map.querySelectorAll(".marker-cluster")].map((c) => c.textContent)]);
          return now !== before && !map.matches(".leaflet-zoom-anim") && !map.querySelector(".leaflet-cluster-anim");
        }""",
        arg=["accounts-map", before["signature"]],
    )
    return _on_the_map(page)


def test_the_accounts_map_clusters_400_accounts_and_zooming_in_reveals_them(live_server, page, agent):
    # A 20 x 20 grid over Lagos, about 2 km apart: at the zoom that shows them all, a blot if drawn one by one.
    spots = [Point(3.2 + 0.02 * (i % 20), 6.4 + 0.015 * (i // 20), srid=4326) for i in range(400)]
    AccountFactory.create_batch(400, location=factory.Iterator(spots))
    _offline_tiles(page)
    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.locator("#accounts-map .marker-cluster").first.wait_for()

    drawn = _on_the_map(page)
    assert drawn["markers"] + drawn["clustered"] == 400  # every account is on the map...
    assert drawn["markers"] + drawn["clusters"] < 40  # ...as a few numbered clusters, not 400 pins
    assert axe_violations(page) == []

    # Enter on a focused cluster zooms in to its accounts, and so does a click: each step splits the clusters,
    # until the accounts show as pins that open their popup.
    cluster = page.locator("#accounts-map .marker-cluster").first
    expect(cluster).to_have_attribute("role", "button")
    expect(cluster).to_have_accessible_name(re.compile(r"^\d+ accounts here: zoom in$"))
    cluster.focus()
    page.keyboard.press("Enter")
    drawn = _after_zooming(page, drawn)
    for _ in range(4):
        if drawn["markers"]:
            break
        page.locator("#accounts-map .marker-cluster").first.click()
        drawn = _after_zooming(page, drawn)
    assert drawn["markers"] > 0
    pin = page.locator("#accounts-map img.leaflet-marker-icon").first
    pin.click()
    popup = page.locator("#accounts-map .leaflet-popup-content a")
    expect(popup).to_have_attribute("href", re.compile(r"^/accounts/[0-9a-f-]{36}/$"))
    expect(popup).to_have_text(pin.get_attribute("title"))
