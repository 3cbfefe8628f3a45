"""Customer portal (portal.localhost): a customer sees exactly their own account, never another."""

import json
import re

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.html import escape

from crm.choices import AccountStatus, ContactRole
from tests.crm.factories import AccountFactory, ContactFactory, link

HOST = "portal.localhost"


def test_dashboard_greets_and_summarises_own_account(client_as, customer, account, other_account):
    customer.full_name = "Ada Obi"
    customer.save(update_fields=["full_name"])
    response = client_as(customer, host=HOST).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hello, Ada" in html
    assert account.number in html and escape(account.name) in html and escape(account.service_address) in html
    assert str(AccountStatus(account.status).label) in html
    assert 'href="/account/"' in html  # "My account"
    assert other_account.number not in html


def test_my_account_shows_own_account_and_its_contacts_only(client_as, customer, account, other_account):
    own = ContactFactory(first_name="Chidi", last_name="Okafor")
    link(own, account, role=ContactRole.BILLING)
    theirs = ContactFactory(first_name="Zainab", last_name="Bello")
    link(theirs, other_account)
    gone = ContactFactory(first_name="Deleted", last_name="Person", deleted_at=timezone.now())
    link(gone, account)

    response = client_as(customer, host=HOST).get("/account/")
    html = response.content.decode()

    assert response.status_code == 200
    assert account.number in html and escape(account.name) in html
    assert "Chidi Okafor" in html and "Billing" in html
    assert other_account.number not in html and escape(other_account.name) not in html
    assert "Zainab" not in html and "Deleted Person" not in html


def test_my_account_has_no_account_id_in_the_url_and_ignores_one(client_as, customer, account, other_account):
    """There is no way to name an account: a query string naming another one changes nothing."""
    response = client_as(customer, host=HOST).get("/account/", {"id": other_account.pk, "account": other_account.pk})
    html = response.content.decode()
    assert account.number in html
    assert other_account.number not in html
    assert client_as(customer, host=HOST).get(f"/account/{other_account.pk}/").status_code == 404


def test_my_account_puts_the_service_location_on_a_map(client_as, customer, account):
    account.location = Point(7.4951, 9.0579, srid=4326)  # Abuja: lon, lat
    account.save(update_fields=["location"])
    html = client_as(customer, host=HOST).get("/account/").content.decode()
    script = re.search(r'<script id="account-location" type="application/json">(.*?)</script>', html)
    location = json.loads(script.group(1))  # what the page's Leaflet code reads
    assert location == {"lat": pytest.approx(9.0579), "lon": pytest.approx(7.4951), "label": account.service_address}
    assert 'id="account-map"' in html and "vendor/leaflet/leaflet.js" in html
    assert "vendor/leaflet/images/marker-icon.png" in html  # the marker-icon fix (hashed static names)


def test_my_account_without_location_shows_no_map(client_as, customer, account):
    account.location = None
    account.save(update_fields=["location"])
    html = client_as(customer, host=HOST).get("/account/").content.decode()
    assert 'id="account-map"' not in html and "leaflet.js" not in html
    assert "has not been recorded yet" in html


def test_customer_whose_account_was_deleted_sees_an_explanation_not_an_error(client_as, customer, account):
    account.deleted_at = timezone.now()
    account.save(update_fields=["deleted_at"])
    for path in ("/", "/account/"):
        response = client_as(customer, host=HOST).get(path)
        assert response.status_code == 200
        assert account.number not in response.content.decode()
        assert "No account is linked to your sign-in" in response.content.decode()


def test_my_account_queries_do_not_grow_with_contacts(client_as, customer, account, django_assert_max_num_queries):
    for contact in ContactFactory.create_batch(30):
        link(contact, account)
    client = client_as(customer, host=HOST)
    with django_assert_max_num_queries(6):  # session user, account (+reseller), contacts
        response = client.get("/account/")
    assert response.content.decode().count("<tr>") == 31  # header + 30 contacts


@pytest.mark.parametrize("path", ["/", "/account/"])
@pytest.mark.parametrize("who", ["agent", "reseller", "vendor"])
def test_pages_refuse_users_of_other_audiences(client_as, request, who, path):
    user = request.getfixturevalue(who)
    response = client_as(user, host=HOST).get(path)
    assert response.status_code == 403
    assert b"Your account" not in response.content


@pytest.mark.parametrize("path", ["/", "/account/"])
def test_pages_send_anonymous_users_to_sign_in(client, path):
    response = client.get(path, HTTP_HOST=HOST)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_other_customer_sees_their_own_account(client_as, customer, other_customer, account, other_account):
    html = client_as(other_customer, host=HOST).get("/account/").content.decode()
    assert other_account.number in html
    assert account.number not in html


def test_unlinked_account_rows_never_show(client_as, customer, account):
    AccountFactory.create_batch(3, name="Someone Else Ltd")
    html = client_as(customer, host=HOST).get("/").content.decode()
    assert "Someone Else Ltd" not in html
