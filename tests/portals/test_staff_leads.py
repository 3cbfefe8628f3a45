"""The staff console's lead pages: who may open them, the list and the board (a fixed number of queries for 10 and
500 leads), moves from the board (htmx: the board comes back with new counts and totals), the lead page with its
duplicates and conversion, create and edit with the duplicate check."""

import re
from decimal import Decimal

import pytest

from crm.models import Account, Lead
from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link
from tests.crm.lead_factories import LeadFactory, stage
from tests.omni.factories import StaffFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _column(html: str, name: str) -> tuple[int, str]:
    """(count, total) of one board column, read from its data attributes."""
    block = re.search(rf'data-stage-name="{name}".*?</header>', html, re.S).group(0)
    count = int(re.search(r'data-stage-count="(\d+)"', block).group(1))
    total = re.search(r'data-stage-total="([\d.]+)"', block).group(1)
    return count, total


@pytest.mark.parametrize("role", ["Dispatcher", "Technician", "Inventory manager"])
def test_other_roles_get_403(client_as, role):
    lead = LeadFactory()
    client = client_as(StaffFactory(roles=[role]))
    for url in ("/leads/", "/leads/board/", f"/leads/{lead.pk}/", "/leads/new/"):
        assert client.get(url).status_code == 403, url


def test_portal_users_and_anonymous_cannot_open_the_console_pages(client, client_as, customer, reseller, vendor):
    lead = LeadFactory()
    for user in (customer, reseller, vendor):
        assert client_as(user).get(f"/leads/{lead.pk}/").status_code == 403
    response = client.get("/leads/board/", HTTP_HOST="localhost")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_agents_read_but_do_not_change(client_as, agent):
    lead = LeadFactory()
    client = client_as(agent)
    page = client.get(f"/leads/{lead.pk}/")
    assert page.status_code == 200 and lead.number in page.content.decode()
    assert "Convert" not in page.content.decode()
    assert 'draggable="true"' not in client.get("/leads/board/").content.decode()
    assert client.get("/leads/new/").status_code == 403
    assert client.post(f"/leads/{lead.pk}/move/", {"stage": stage("Contacted").pk}).status_code == 403
    assert client.post(f"/leads/{lead.pk}/convert/", {"target": "new"}).status_code == 403
    lead.refresh_from_db()
    assert lead.stage == stage("New") and not Account.objects.exists()


def test_the_nav_links_to_leads_for_those_who_read_them(client_as, agent):
    assert 'href="/leads/board/"' in client_as(agent).get("/").content.decode()
    assert 'href="/leads/board/"' not in client_as(StaffFactory(roles=["Dispatcher"])).get("/").content.decode()


@pytest.mark.parametrize("rows", [10, 500])
def test_list_query_count_does_not_grow(client_as, sales, rows, django_assert_max_num_queries):
    reseller = ResellerFactory()
    Lead.objects.bulk_create(
        [LeadFactory.build(owner=sales if i % 2 else None, reseller=reseller if i % 3 else None) for i in range(rows)]
    )
    client = client_as(sales)
    # session user, permissions, count, the page (stage, owner, reseller joined), filter options (stages, owners,
    # resellers)
    with django_assert_max_num_queries(10):
        response = client.get("/leads/", {"sort": "value"})
    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, 25)


def test_list_filters_search_and_sorts(client_as, sales):
    a = LeadFactory(company="Zenith Fibre", expected_monthly_value=Decimal("500.00"))
    b = LeadFactory(company="Apex Homes", stage=stage("Qualified"), expected_monthly_value=Decimal("900.00"))
    client = client_as(sales)
    page = client.get("/leads/", {"search": "zenith"}).content.decode()
    assert a.number in page and b.number not in page
    page = client.get("/leads/", {"stage": stage("Qualified").pk}, **HTMX).content.decode()
    assert b.number in page and a.number not in page and "<html" not in page
    page = client.get("/leads/", {"sort": "-value"}).content.decode()
    assert page.index(b.number) < page.index(a.number)
    bad = client.get("/leads/", {"follow_up_before": "soon"})
    assert bad.status_code == 400


@pytest.mark.parametrize("rows", [10, 500])
def test_board_query_count_does_not_grow(client_as, sales, rows, django_assert_max_num_queries):
    names = ["New", "Contacted", "Qualified", "Quoted"]
    Lead.objects.bulk_create([LeadFactory.build(stage=stage(names[i % 4]), owner=sales) for i in range(rows)])
    client = client_as(sales)
    # session user, permissions, the stages, counts and totals (one GROUP BY), the cards (one windowed query),
    # filter options (owners, resellers)
    with django_assert_max_num_queries(10):
        response = client.get("/leads/board/")
    assert response.status_code == 200
    html = response.content.decode()
    per_column = rows // 4 + (1 if rows % 4 else 0)
    count, total = _column(html, "New")
    assert count == per_column and Decimal(total) == Decimal("15000.00") * per_column
    assert html.count("data-lead-card") == sum(min(50, len(range(i, rows, 4))) for i in range(4))


def test_moving_on_the_board_returns_the_board_with_new_totals(client_as, sales):
    lead = LeadFactory(expected_monthly_value=Decimal("1000.10"))
    LeadFactory(stage=stage("Contacted"), expected_monthly_value=Decimal("0.20"))
    client = client_as(sales)
    html = client.get("/leads/board/").content.decode()
    assert _column(html, "New") == (1, "1000.10") and _column(html, "Contacted") == (1, "0.20")
    response = client.post(f"/leads/{lead.pk}/move/", {"stage": stage("Contacted").pk}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="lead-board"')
    assert _column(html, "Contacted") == (2, "1000.30")
    assert 'data-stage-name="New"' in html and _column(html, "New")[0] == 0
    lead.refresh_from_db()
    assert lead.stage == stage("Contacted")


def test_dropping_on_lost_without_a_reason_is_422_and_changes_nothing(client_as, sales):
    lead = LeadFactory()
    client = client_as(sales)
    response = client.post(f"/leads/{lead.pk}/move/", {"stage": stage("Lost").pk}, **HTMX)
    assert response.status_code == 422 and "Say why the lead was lost." in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == stage("New")
    response = client.post(f"/leads/{lead.pk}/move/", {"stage": stage("Lost").pk, "lost_reason": "Price"}, **HTMX)
    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.stage.name, lead.lost_reason) == ("Lost", "Price")


def test_the_lead_page_shows_duplicates_history_and_converts(client_as, sales):
    contact = ContactFactory(email="ada@example.com")
    lead = LeadFactory(email="ADA@example.com", company="Ada Ventures")
    client = client_as(sales)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Possible duplicates" in page and contact.full_name in page and "History" in page
    response = client.post(f"/leads/{lead.pk}/convert/", {"target": "new", "name": ""})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.account.name == "Ada Ventures"
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f"/accounts/{lead.account_id}/" in page and "Converted on" in page
    response = client.post(f"/leads/{lead.pk}/convert/", {"target": "new"}, follow=True)
    assert "already converted" in response.content.decode()
    assert Account.objects.count() == 1


def test_convert_into_an_existing_account_by_its_number(client_as, sales):
    account = AccountFactory()
    person = ContactFactory(email="same@example.com")
    link(person, account)
    lead = LeadFactory(email="same@example.com")
    client = client_as(sales)
    response = client.post(f"/leads/{lead.pk}/convert/", {"target": "existing", "account": "ACC-999999"}, follow=True)
    assert "No account ACC-999999" in response.content.decode()
    client.post(f"/leads/{lead.pk}/convert/", {"target": "existing", "account": account.number.lower()})
    lead.refresh_from_db()
    assert (lead.account, lead.contact) == (account, person)


def test_create_warns_of_duplicates_then_saves_anyway(client_as, sales):
    LeadFactory(phone="+2348031112222")
    client = client_as(sales)
    page = client.get("/leads/new/")
    assert page.status_code == 200
    data = {
        "first_name": "Tunde",
        "phone": "0803 111 2222",
        "source": "door_to_door",
        "stage": stage("New").pk,
        "currency": "ngn",
        "expected_monthly_value": "12000.50",
        "owner": sales.pk,
    }
    response = client.post("/leads/new/", data)
    assert response.status_code == 200 and "Possible duplicates" in response.content.decode()
    assert Lead.objects.count() == 1
    response = client.post("/leads/new/", {**data, "confirm_duplicates": "1"})
    assert response.status_code == 302
    lead = Lead.objects.get(first_name="Tunde")
    assert (lead.currency, lead.expected_monthly_value, lead.owner) == ("NGN", Decimal("12000.50"), sales)
    assert str(lead.phone) == "+2348031112222"


def test_the_duplicate_check_box(client_as, agent):
    other = LeadFactory(email="x@example.com")
    client = client_as(agent)
    html = client.get("/leads/duplicates/check/", {"email": "X@example.com", "phone": ""}, **HTMX).content.decode()
    assert other.number in html and html.lstrip().startswith('<div id="lead-duplicates"')
    html = client.get("/leads/duplicates/check/", {"email": "x@example.com", "exclude": other.pk}).content.decode()
    assert other.number not in html


def test_edit_to_lost_needs_a_reason(client_as, sales):
    lead = LeadFactory()
    client = client_as(sales)
    page = client.get(f"/leads/{lead.pk}/edit/")
    assert page.status_code == 200
    data = {
        "first_name": lead.first_name,
        "stage": stage("Lost").pk,
        "source": lead.source,
        "currency": "NGN",
        "expected_monthly_value": "1.00",
        "email": lead.email,
        "phone": str(lead.phone),
    }
    response = client.post(f"/leads/{lead.pk}/edit/", data)
    assert response.status_code == 422 and "Say why the lead was lost." in response.content.decode()
    response = client.post(f"/leads/{lead.pk}/edit/", {**data, "lost_reason": "Moved away"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage.name == "Lost" and lead.lost_reason == "Moved away"


def test_delete(client_as, sales):
    lead = LeadFactory()
    client = client_as(sales)
    assert client.post(f"/leads/{lead.pk}/delete/").status_code == 302
    assert not Lead.objects.exists()


def test_the_demo_leads_load_once_across_the_pipeline(sales):
    from crm.models import Account
    from portals.staff.management.commands._seed_leads import seed_leads

    AccountFactory()
    ResellerFactory.create_batch(3)
    sales.email = "sales@demo.example"
    sales.save(update_fields=["email"])
    seed_leads(domain="demo.example")
    seed_leads(domain="demo.example")  # again: nothing more
    leads = Lead.objects.all()
    assert leads.count() == 12
    assert {lead.stage.name for lead in leads} == {"New", "Contacted", "Qualified", "Quoted", "Won", "Lost"}
    assert leads.filter(reseller__isnull=False).exists() and leads.filter(next_follow_up__isnull=False).exists()
    assert leads.filter(converted_at__isnull=False).count() == 1 and Account.objects.count() == 1
    assert all(lead.owner == sales for lead in leads)


def test_due_follow_ups_stand_out_on_the_board_and_the_list(client_as, sales):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    due = LeadFactory(company="Due Today Ltd", next_follow_up=today)
    LeadFactory(company="Later Ltd", next_follow_up=today + timedelta(days=3))
    client = client_as(sales)
    board = client.get("/leads/board/").content.decode()
    assert board.count("data-follow-up-due") == 1
    card = re.search(rf'data-lead-id="{due.pk}".*?</li>', board, re.S).group(0)
    assert "data-follow-up-due" in card
    rows = client.get("/leads/").content.decode()
    assert rows.count("data-follow-up-due") == 1
    row = re.search(rf"<tr>(?:(?!</tr>).)*{due.number}.*?</tr>", rows, re.S).group(0)
    assert "data-follow-up-due" in row


def test_the_account_page_links_back_to_the_lead_it_came_from(client_as, sales):
    from crm import services

    lead = LeadFactory(company="Link Back Ltd")
    services.lead_convert(lead_id=lead.pk, by=sales)
    lead.refresh_from_db()
    html = client_as(sales).get(f"/accounts/{lead.account_id}/").content.decode()
    assert "Converted from leads" in html and f"/leads/{lead.pk}/" in html
    dispatcher = StaffFactory(roles=["Dispatcher"])  # reads accounts, not leads
    assert "Converted from leads" not in client_as(dispatcher).get(f"/accounts/{lead.account_id}/").content.decode()
