"""Staff console quote pages: the list (filters, search, pages, fixed queries), the quote page and its actions
(send, revise, PDF, the customer's answer recorded on their behalf), and create/edit of drafts with a line formset
whose totals the server computes. Sales write, Agents read, Dispatchers and Technicians are refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from crm.choices import QuoteStatus
from crm.models import Quote
from notifications.models import Delivery
from tests.crm.quote_support import contact_on, lead_make, quote_make, quote_sent
from tests.omni.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client_as, sales):
    return client_as(sales)


def _formset(lines, prefix="lines"):
    data = {f"{prefix}-TOTAL_FORMS": str(len(lines)), f"{prefix}-INITIAL_FORMS": "0"}
    data |= {f"{prefix}-MIN_NUM_FORMS": "1", f"{prefix}-MAX_NUM_FORMS": "200"}
    for i, line in enumerate(lines):
        for name, value in line.items():
            if value is True:
                value = "on"
            data[f"{prefix}-{i}-{name}"] = value
    return data


LINES = [
    {"description": "Installation", "quantity": "1", "unit_price": "25000.00", "discount_percent": "0",
     "tax_rate": "7.5"},
    {"description": "Router", "quantity": "2", "unit_price": "18999.99", "discount_percent": "10", "tax_rate": "7.5"},
    {"description": "Fibre 100", "quantity": "1", "unit_price": "30000", "discount_percent": "0", "tax_rate": "5",
     "recurring": True},
]  # fmt: skip


def _form(account=None, lead=None, **fields):
    data = {
        "account": account.number if account else "",
        "lead": lead.number if lead else "",
        "currency": "NGN",
        "valid_until": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "title": "Office fibre",
        "notes": "",
        **fields,
    }
    return data


# ---- who may open what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "list_status", "new_status"),
    [(["Sales"], 200, 200), (["Agent"], 200, 403), (["Admin"], 200, 200), (["Dispatcher"], 403, 403),
     (["Technician"], 403, 403), (["Inventory manager"], 403, 403), ([], 403, 403)],
)  # fmt: skip
def test_each_role_gets_the_exact_answer(client_as, account, roles, list_status, new_status):
    quote = quote_sent(account=account)
    client = client_as(StaffFactory(roles=roles))
    assert client.get("/quotes/").status_code == list_status
    assert client.get(f"/quotes/{quote.pk}/").status_code == list_status
    assert client.get(f"/quotes/{quote.pk}/pdf/").status_code == list_status
    assert client.get("/quotes/new/").status_code == new_status
    assert client.post(f"/quotes/{quote.pk}/revise/").status_code in ((302,) if new_status == 200 else (403,))


def test_portal_users_and_anonymous_are_kept_out(client_as, account, customer, reseller, vendor):
    quote = quote_sent(account=account)
    for user in (customer, reseller, vendor):
        assert client_as(user).get(f"/quotes/{quote.pk}/").status_code == 403
    response = Client(HTTP_HOST="localhost").get("/quotes/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_nav_shows_quotes_to_those_who_read_them(client_as, sales):
    assert 'href="/quotes/"' in client_as(sales).get("/").content.decode()
    assert 'href="/quotes/"' not in client_as(StaffFactory(roles=["Dispatcher"])).get("/").content.decode()


# ---- the list -----------------------------------------------------------------------------------------------


def test_the_list_filters_and_searches(console, account, other_account):
    draft = quote_make(account=account, title="Draft one")
    sent = quote_sent(account=other_account, title="Sent one", currency="USD")
    lead = quote_make(lead=lead_make(company="Lekki Bakery"))
    html = console.get("/quotes/").content.decode()
    assert all(q.number in html for q in (draft, sent, lead)) and "USD 63,639.98" in html
    only_sent = console.get("/quotes/", {"status": "sent"}).content.decode()
    assert sent.number in only_sent and draft.number not in only_sent
    found = console.get("/quotes/", {"search": sent.number}).content.decode()
    assert sent.number in found and draft.number not in found
    assert draft.number not in console.get("/quotes/", {"currency": "usd"}).content.decode()
    partial = console.get("/quotes/", {"status": "draft"}, HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<section id="quote-table"')
    assert console.get("/quotes/", {"status": "lost"}).status_code == 400
    assert console.get("/quotes/", {"sort": "nope"}).status_code == 400


@pytest.mark.parametrize("rows", [10, 500])
def test_the_list_costs_a_fixed_number_of_queries(console, account, rows, django_assert_max_num_queries):
    valid = timezone.localdate() + dt.timedelta(days=9)
    Quote.objects.bulk_create([Quote(account=account, valid_until=valid) for _ in range(rows)])
    with django_assert_max_num_queries(12):
        response = console.get("/quotes/")
    assert response.status_code == 200 and len(response.context["page"].object_list) == min(rows, 25)


# ---- the quote page and its actions -------------------------------------------------------------------------


def test_the_quote_page_shows_lines_totals_versions_and_history(console, account):
    quote = quote_sent(account=account)
    services_revision = console.post(f"/quotes/{quote.pk}/revise/")
    draft = Quote.objects.get(number=quote.number, version=2)
    assert services_revision.status_code == 302 and services_revision["Location"] == f"/quotes/{draft.pk}/edit/"
    html = console.get(f"/quotes/{quote.pk}/").content.decode()
    assert "Router" in html and "NGN 63,639.98" in html and "NGN 31,500.00" in html
    assert f'href="/quotes/{draft.pk}/"' in html and "History" in html
    assert "Record the customer" in html and 'action="/quotes/' in html


def test_agents_see_no_write_buttons(client_as, agent, account):
    draft = quote_make(account=account)
    html = client_as(agent).get(f"/quotes/{draft.pk}/").content.decode()
    assert f"/quotes/{draft.pk}/send/" not in html and f"/quotes/{draft.pk}/edit/" not in html
    assert client_as(agent).post(f"/quotes/{draft.pk}/send/").status_code == 403
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.DRAFT


def test_sending_from_the_console_emails_the_pdf(console, account):
    contact_on(account)
    draft = quote_make(account=account)
    response = console.post(f"/quotes/{draft.pk}/send/", follow=True)
    assert response.status_code == 200 and "sent" in response.content.decode()
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.SENT
    assert Delivery.objects.filter(event="crm.quote.offered").count() == 1


def test_a_quote_that_cannot_be_sent_says_why(console):
    from tests.crm.factories import AccountFactory

    draft = quote_make(account=AccountFactory(email=""))
    response = console.post(f"/quotes/{draft.pk}/send/", follow=True)
    assert "Nobody to send it to" in response.content.decode()
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.DRAFT


def test_staff_record_the_customers_answer(console, sales, account):
    quote = quote_sent(account=account)
    response = console.post(f"/quotes/{quote.pk}/answer/", {"verb": "accept", "name": "Ada (by phone)"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.decided_name, quote.decided_by) == (QuoteStatus.ACCEPTED, "Ada (by phone)", sales)
    before = Quote.objects.filter(pk=quote.pk).values().get()
    again = console.post(f"/quotes/{quote.pk}/answer/", {"verb": "reject", "name": "Bo"}, follow=True)
    assert "already accepted" in again.content.decode()
    assert Quote.objects.filter(pk=quote.pk).values().get() == before
    assert console.post(f"/quotes/{quote.pk}/answer/", {"verb": "maybe", "name": ""}).status_code == 422


def test_the_pdf_download(console, account):
    quote = quote_make(account=account)
    response = console.get(f"/quotes/{quote.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


# ---- create and edit ---------------------------------------------------------------------------------------


def test_the_account_page_links_to_a_prefilled_new_quote(console, account):
    html = console.get(f"/accounts/{account.pk}/").content.decode()
    assert f'href="/quotes/new/?account={account.pk}"' in html
    form = console.get("/quotes/new/", {"account": str(account.pk)})
    assert form.status_code == 200 and form.context["form"].initial["account"] == account.number
    valid = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    assert f'type="date" name="valid_until" value="{valid}"' in form.content.decode()  # ISO, or the date input is blank
    lead = lead_make(currency="USD")
    prefilled = console.get("/quotes/new/", {"lead": str(lead.pk)}).context["form"].initial
    assert (prefilled["lead"], prefilled["currency"]) == (lead.number, "USD")
    assert console.get("/quotes/new/", {"account": "not-a-uuid"}).status_code == 200


def test_creating_a_draft_with_lines(console, sales, account):
    response = console.post("/quotes/new/", {**_form(account), **_formset(LINES)})
    assert response.status_code == 302, response.content.decode()[:3000]
    quote = Quote.objects.get()
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert (quote.total_one_off, quote.total_monthly, quote.created_by) == (
        Decimal("63639.98"),
        Decimal("31500.00"),
        sales,
    )
    assert list(quote.lines.values_list("description", flat=True)) == ["Installation", "Router", "Fibre 100"]


def test_a_removed_line_is_left_out(console, account):
    lines = [*LINES[:2], {**LINES[2], "DELETE": "on"}]
    assert console.post("/quotes/new/", {**_form(account), **_formset(lines)}).status_code == 302
    assert Quote.objects.get().total_monthly == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"account": ""}, "account"),
        ({"account": "ACC-999999"}, "account"),
        ({"currency": "naira"}, "currency"),
        ({"valid_until": "2001-01-01"}, "valid_until"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_stores_nothing(console, account, change, field):
    response = console.post("/quotes/new/", {**_form(account), **_formset(LINES), **change})
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors or any(field in str(e) for e in form.non_field_errors()), form.errors
    assert not Quote.objects.exists()


def test_a_bad_line_is_422(console, account):
    lines = [{**LINES[0], "unit_price": "abc"}]
    response = console.post("/quotes/new/", {**_form(account), **_formset(lines)})
    assert response.status_code == 422 and response.context["formset"].errors[0]["unit_price"]
    assert not Quote.objects.exists()


def test_editing_a_draft_replaces_its_lines(console, account):
    draft = quote_make(account=account)
    page = console.get(f"/quotes/{draft.pk}/edit/")
    assert page.status_code == 200 and page.context["formset"].initial[1]["unit_price"] == "18999.99"
    lines = [{"description": "Only", "quantity": "3", "unit_price": "0.10", "discount_percent": "0", "tax_rate": "0"}]
    response = console.post(f"/quotes/{draft.pk}/edit/", {**_form(account, title="Renamed"), **_formset(lines)})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.total_one_off, draft.lines.count()) == ("Renamed", Decimal("0.30"), 1)


def test_a_sent_quote_cannot_be_edited(console, account):
    quote = quote_sent(account=account)
    before = Quote.objects.filter(pk=quote.pk).values().get()
    response = console.post(f"/quotes/{quote.pk}/edit/", {**_form(account, title="x"), **_formset(LINES)})
    assert response.status_code == 302 and response["Location"] == f"/quotes/{quote.pk}/"
    assert Quote.objects.filter(pk=quote.pk).values().get() == before


def test_the_preview_computes_the_totals_on_the_server(console):
    data = {"currency": "JPY", **_formset(LINES)}
    response = console.post("/quotes/preview/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="quote-preview"')
    assert "JPY 63,640" in html and "JPY 31,500" in html
    tenths = _formset(
        [
            {"description": "a", "quantity": "1", "unit_price": "0.10"},
            {"description": "b", "quantity": "1", "unit_price": "0.20"},
        ]
    )
    assert "USD 0.30" in console.post("/quotes/preview/", {"currency": "USD", **tenths}).content.decode()
    assert (
        "Totals appear here" in console.post("/quotes/preview/", {"currency": "??", **_formset(LINES)}).content.decode()
    )
