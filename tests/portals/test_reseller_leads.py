"""The reseller portal's leads (reseller.localhost): a reseller user sees their reseller's leads and accounts only
(pages and API), another reseller's lead is a 404, and a registered lead becomes their reseller's."""

import pytest

from crm.models import Lead
from tests.crm.factories import AccountFactory, ResellerFactory
from tests.crm.lead_factories import LeadFactory, stage

HOST = "reseller.localhost"
pytestmark = pytest.mark.django_db


@pytest.fixture
def rival(db):
    return ResellerFactory(name="Rival Networks")


def test_the_list_shows_only_their_resellers_leads(client_as, reseller, reseller_org, rival):
    mine = LeadFactory(reseller=reseller_org, company="Mine Ltd")
    theirs = LeadFactory(reseller=rival, company="Theirs Ltd")
    direct = LeadFactory(reseller=None, company="Direct Ltd")
    client = client_as(reseller, host=HOST)
    html = client.get("/leads/").content.decode()
    assert mine.number in html and theirs.number not in html and direct.number not in html
    assert 'href="/leads/"' in client.get("/").content.decode()  # the nav link
    assert client.get(f"/leads/{mine.pk}/").status_code == 200
    assert client.get(f"/leads/{theirs.pk}/").status_code == 404
    assert client.get(f"/leads/{direct.pk}/").status_code == 404


def test_their_accounts_only_in_pages_and_api(client_as, api_as, reseller, reseller_org, rival):
    own, other = AccountFactory(reseller=reseller_org), AccountFactory(reseller=rival)
    client = client_as(reseller, host=HOST)
    assert client.get(f"/accounts/{own.pk}/").status_code == 200
    assert client.get(f"/accounts/{other.pk}/").status_code == 404
    mine, theirs = LeadFactory(reseller=reseller_org), LeadFactory(reseller=rival)
    api = api_as(reseller)
    assert [row["id"] for row in api.get("/api/v1/crm/leads/").json()["results"]] == [str(mine.pk)]
    assert api.get(f"/api/v1/crm/leads/{theirs.pk}/").status_code == 404
    assert [row["id"] for row in api.get("/api/v1/crm/accounts/").json()["results"]] == [str(own.pk)]


def test_a_converted_lead_links_to_its_account(client_as, reseller, reseller_org, sales):
    from crm import services

    lead = LeadFactory(reseller=reseller_org, company="Converted Co")
    services.lead_convert(lead_id=lead.pk, by=sales)
    lead.refresh_from_db()
    html = client_as(reseller, host=HOST).get(f"/leads/{lead.pk}/").content.decode()
    assert f"/accounts/{lead.account_id}/" in html and "Won" in html
    assert lead.account.reseller == reseller_org  # and so the reseller sees the new account too
    assert client_as(reseller, host=HOST).get(f"/accounts/{lead.account_id}/").status_code == 200


def test_registering_a_lead(client_as, reseller, reseller_org):
    client = client_as(reseller, host=HOST)
    assert client.get("/leads/new/").status_code == 200
    response = client.post("/leads/new/", {"first_name": "Ngozi"})
    assert response.status_code == 422 and "Give an email or a phone number" in response.content.decode()
    response = client.post(
        "/leads/new/",
        {"first_name": "Ngozi", "company": "Ngozi Stores", "phone": "0803 222 3333", "expected_monthly_value": "9000"},
    )
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.reseller, lead.source, lead.stage, lead.created_by) == (reseller_org, "reseller", stage(), reseller)
    assert str(lead.phone) == "+2348032223333" and str(lead.expected_monthly_value) == "9000.00"
    assert response["Location"] == f"/leads/{lead.pk}/"


def test_other_audiences_get_403_and_anonymous_the_login(client, client_as, customer, agent, vendor, reseller_org):
    lead = LeadFactory(reseller=reseller_org)
    for user in (customer, agent, vendor):
        for url in (f"/leads/{lead.pk}/", "/leads/", "/leads/new/"):
            assert client_as(user, host=HOST).get(url).status_code == 403, (user, url)
    response = client.get("/leads/", HTTP_HOST=HOST)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("rows", [10, 500])
def test_list_query_count_does_not_grow(client_as, reseller, reseller_org, rows, django_assert_max_num_queries):
    Lead.objects.bulk_create([LeadFactory.build(reseller=reseller_org) for _ in range(rows)])
    client = client_as(reseller, host=HOST)
    with django_assert_max_num_queries(8):  # session user, count, page (stage, account joined), stage options
        response = client.get("/leads/")
    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, 25)
