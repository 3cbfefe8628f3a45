"""Reseller portal (reseller.localhost): the accounts of the user's reseller, and nothing of other resellers."""

import re
import uuid

import pytest
from django.utils import timezone
from django.utils.html import escape

from crm.choices import AccountKind, AccountStatus, ContactRole
from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link

HOST = "reseller.localhost"


@pytest.fixture
def other_reseller_org(db):
    return ResellerFactory(name="Rival Networks")


def test_dashboard_counts_own_accounts_by_status(client_as, reseller, reseller_org, other_reseller_org):
    AccountFactory.create_batch(3, reseller=reseller_org, status=AccountStatus.ACTIVE)
    AccountFactory.create_batch(2, reseller=reseller_org, status=AccountStatus.SUSPENDED)
    AccountFactory(reseller=reseller_org, status=AccountStatus.ACTIVE, deleted_at=timezone.now())
    AccountFactory.create_batch(5, reseller=other_reseller_org, status=AccountStatus.ACTIVE)
    AccountFactory.create_batch(4, status=AccountStatus.CLOSED)  # direct customers, no reseller

    response = client_as(reseller, host=HOST).get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert {s["value"]: s["count"] for s in response.context["statuses"]} == {
        "prospect": 0, "active": 3, "suspended": 2, "closed": 0,
    }  # fmt: skip
    assert re.search(r'<span[^>]*data-status="active"[^>]*>\s*3\s*</span>', html)
    assert "View all 5 accounts" in html
    assert escape(reseller_org.name) in html and "Rival Networks" not in html


def test_dashboard_counts_open_tickets_of_own_accounts(client_as, reseller, reseller_org, other_reseller_org):
    from tests.tickets.factories import TicketFactory
    from tickets.choices import TicketStatus

    own = AccountFactory(reseller=reseller_org)
    for status in (TicketStatus.NEW, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED):
        TicketFactory(account=own, status=status)
    TicketFactory(account=AccountFactory(reseller=other_reseller_org), status=TicketStatus.OPEN)
    html = client_as(reseller, host=HOST).get("/").content.decode()
    assert 'data-open-tickets="2"' in html and "Your accounts have 2 open tickets." in html


def test_list_shows_only_own_resellers_accounts(client_as, reseller, reseller_org, other_reseller_org):
    mine = AccountFactory.create_batch(3, reseller=reseller_org)
    theirs = AccountFactory(reseller=other_reseller_org)
    direct = AccountFactory()
    deleted = AccountFactory(reseller=reseller_org, deleted_at=timezone.now())

    response = client_as(reseller, host=HOST).get("/accounts/")
    html = response.content.decode()

    assert response.status_code == 200
    assert [a.pk for a in response.context["page"]] == [a.pk for a in sorted(mine, key=lambda a: (a.name, a.number))]
    for account in mine:
        assert account.number in html
    for account in (theirs, direct, deleted):
        assert account.number not in html
    assert "Showing 1–3 of 3" in html
    assert "Any reseller" not in html and "Rival Networks" not in html  # no reseller filter leaking names


def test_search_finds_by_name_number_and_address(client_as, reseller, reseller_org, other_reseller_org):
    fibre = AccountFactory(reseller=reseller_org, name="Lekki Fibre Homes", service_address="12 Admiralty Way")
    AccountFactory(reseller=reseller_org, name="Ikeja Offices", service_address="4 Allen Avenue")
    AccountFactory(reseller=other_reseller_org, name="Lekki Fibre Competitor")
    client = client_as(reseller, host=HOST)

    for term in ("lekki", fibre.number, "admiralty"):
        page = client.get("/accounts/", {"search": term}).context["page"]
        assert [a.pk for a in page] == [fibre.pk], term


def test_status_and_kind_filters(client_as, reseller, reseller_org):
    active = AccountFactory(reseller=reseller_org, status=AccountStatus.ACTIVE, kind=AccountKind.RESIDENTIAL)
    suspended = AccountFactory(reseller=reseller_org, status=AccountStatus.SUSPENDED, kind=AccountKind.BUSINESS)
    AccountFactory(reseller=reseller_org, status=AccountStatus.CLOSED, kind=AccountKind.BUSINESS)
    client = client_as(reseller, host=HOST)

    page = client.get("/accounts/", {"status": ["active", "suspended"]}).context["page"]
    assert {a.pk for a in page} == {active.pk, suspended.pk}
    page = client.get("/accounts/", {"status": "suspended", "kind": "business"}).context["page"]
    assert [a.pk for a in page] == [suspended.pk]


def test_invalid_filter_is_422_naming_the_field(client_as, reseller, reseller_org):
    AccountFactory(reseller=reseller_org)
    response = client_as(reseller, host=HOST).get("/accounts/", {"status": "bogus"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Status: Select a valid choice. bogus is not one of the available choices." in html
    assert len(response.context["page"]) == 0


def test_htmx_request_gets_only_the_table(client_as, reseller, reseller_org):
    account = AccountFactory(reseller=reseller_org, name="Banana Island Estate")
    response = client_as(reseller, host=HOST).get("/accounts/", {"search": "banana"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="account-table"')
    assert "<html" not in html and account.number in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_pagination_links_keep_the_filters_and_work_with_htmx(client_as, reseller, reseller_org):
    AccountFactory.create_batch(30, reseller=reseller_org, status=AccountStatus.ACTIVE)
    AccountFactory.create_batch(3, reseller=reseller_org, status=AccountStatus.CLOSED)
    client = client_as(reseller, host=HOST)

    first = client.get("/accounts/", {"status": "active"})
    html = first.content.decode()
    assert "Showing 1–25 of 30" in html
    assert 'hx-get="?status=active&amp;page=2"' in html

    second = client.get("/accounts/", {"status": "active", "page": 2}, HTTP_HX_REQUEST="true")
    assert "Showing 26–30 of 30" in second.content.decode()
    shown = {a.pk for a in first.context["page"]} | {a.pk for a in second.context["page"]}
    assert len(shown) == 30


@pytest.mark.parametrize("rows", [10, 200])
def test_list_queries_do_not_grow(client_as, reseller, reseller_org, rows, django_assert_max_num_queries):
    AccountFactory.create_batch(rows, reseller=reseller_org)
    AccountFactory.create_batch(5, reseller=ResellerFactory())
    client = client_as(reseller, host=HOST)
    with django_assert_max_num_queries(4):  # session user, count, page (+reseller joined)
        response = client.get("/accounts/", {"search": "", "status": "active"})
    assert len(response.context["page"]) == min(rows, 25)
    assert response.context["page"].paginator.count == rows


def test_detail_shows_account_and_contacts(client_as, reseller, reseller_org):
    account = AccountFactory(reseller=reseller_org, name="Victoria Garden City")
    link(ContactFactory(first_name="Tunde", last_name="Bakare"), account, role=ContactRole.TECHNICAL)
    response = client_as(reseller, host=HOST).get(f"/accounts/{account.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert account.number in html and "Victoria Garden City" in html
    assert "Tunde Bakare" in html and "Technical" in html


@pytest.mark.parametrize("whose", ["other_reseller", "direct", "deleted", "missing"])
def test_detail_outside_own_reseller_is_404(client_as, reseller, reseller_org, other_reseller_org, whose):
    pk = {
        "other_reseller": lambda: AccountFactory(reseller=other_reseller_org).pk,
        "direct": lambda: AccountFactory().pk,
        "deleted": lambda: AccountFactory(reseller=reseller_org, deleted_at=timezone.now()).pk,
        "missing": uuid.uuid4,
    }[whose]()
    response = client_as(reseller, host=HOST).get(f"/accounts/{pk}/")
    assert response.status_code == 404


def test_bad_uuid_is_404(client_as, reseller):
    assert client_as(reseller, host=HOST).get("/accounts/not-a-uuid/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/accounts/", "/accounts/{pk}/"])
@pytest.mark.parametrize("who", ["agent", "customer", "vendor"])
def test_pages_refuse_users_of_other_audiences(client_as, request, reseller_org, who, path):
    account = AccountFactory(reseller=reseller_org)
    response = client_as(request.getfixturevalue(who), host=HOST).get(path.format(pk=account.pk))
    assert response.status_code == 403
    assert account.number.encode() not in response.content


@pytest.mark.parametrize("path", ["/", "/accounts/", "/accounts/3f1c2b7e-0000-4000-8000-000000000001/"])
def test_pages_send_anonymous_users_to_sign_in(client, path):
    response = client.get(path, HTTP_HOST=HOST)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
