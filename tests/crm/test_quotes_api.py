"""/api/v1/crm/quotes/: the shared API contracts (read by role, reseller scope, pages, writes by role) and what is
particular to quotes: money as strings, the actions, customers answering, filters."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from crm import services
from crm.choices import QuoteStatus
from crm.models import Quote, QuoteLine
from notifications.models import Delivery, OutboxEvent
from tests.crm.factories import AccountFactory, ResellerFactory
from tests.crm.quote_support import LINES, contact_on, lead_make, quote_make, quote_sent
from tests.omni.api_contract import (
    LimitOffsetListContract,
    PortalScopeContract,
    ReadContract,
    RoleReadContract,
    RoleWriteContract,
    assert_error,
)

URL = "/api/v1/crm/quotes/"


class TestQuoteApi(ReadContract, RoleReadContract, PortalScopeContract, LimitOffsetListContract, RoleWriteContract):
    """The portal reader here is a reseller user: they see their accounts' drafts too (customers see sent quotes
    only; tested below), so one draft serves the read and the write contracts."""

    url = URL
    model = Quote
    # token + user, last_used_at stamp, COUNT, the page (account, lead, contact joined), the lines
    list_queries = 5
    ordering_fields = ["number", "status", "valid_until", "created_at", "updated_at"]
    writes = ("create", "update")

    def make_rows(self, n):
        account = AccountFactory()
        valid = timezone.localdate() + dt.timedelta(days=30)
        quotes = Quote.objects.bulk_create(
            [Quote(account=account, valid_until=valid, status=["draft", "sent"][i % 2]) for i in range(n)]
        )
        QuoteLine.objects.bulk_create(
            [QuoteLine(quote=quote, description="Line", unit_price="10.00", position=1) for quote in quotes]
        )

    @pytest.fixture
    def resold(self, reseller_org):
        return AccountFactory(reseller=reseller_org)

    @pytest.fixture
    def obj(self, resold):
        return quote_make(account=resold)

    @pytest.fixture
    def outside_obj(self, account):
        return quote_make(account=account)

    @pytest.fixture
    def portal_user(self, reseller):
        return reseller

    @pytest.fixture
    def create_payload(self, account):
        return {
            "account": str(account.pk),
            "title": "Fibre for the office",
            "currency": "NGN",
            "valid_until": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "notes": "Installation within 5 days.",
            "lines": [
                {"description": "Installation", "unit_price": "25000.00", "tax_rate": "7.5"},
                {"description": "Fibre 100", "unit_price": "30000", "tax_rate": "5", "recurring": True},
            ],
        }

    @pytest.fixture
    def update_payload(self):
        return {"title": "Renamed", "notes": "New terms", "lines": [{"description": "Only", "unit_price": "0.10"}]}

    @pytest.fixture
    def bad_payloads(self, account):
        acc = str(account.pk)
        return [
            ("lines", {"account": acc, "lines": [{"description": "x", "unit_price": 0.1}]}),
            ("lines", {"account": acc, "lines": [{"description": "x", "unit_price": "abc"}]}),
            ("lines", {"account": acc, "lines": [{"description": "", "unit_price": "1"}]}),
            ("lines", {"account": acc, "lines": [{"description": "x", "unit_price": "1", "discount_percent": "150"}]}),
            ("lines", {"account": acc, "lines": [{"description": "x", "unit_price": "1", "quantity": "0"}]}),
            ("lines", {"account": acc, "lines": "x"}),
            ("currency", {"account": acc, "currency": "naira"}),
            ("currency", {"account": acc, "currency": "N1"}),
            ("valid_until", {"account": acc, "valid_until": "soon"}),
            ("valid_until", {"account": acc, "valid_until": "2001-01-01"}),
            ("title", {"account": acc, "title": "x" * 201}),
            ("contact", {"account": acc, "contact": "nope"}),
        ]

    def _assert_stored(self, stored, payload):
        super()._assert_stored(stored, {k: v for k, v in payload.items() if k not in ("account", "lead", "contact")})


# ---- money and totals ------------------------------------------------------------------------------------


def test_money_is_strings_with_the_currencys_minor_digits(api_as, sales, account):
    client = api_as(sales)
    for currency, one_off, monthly in (
        ("NGN", "63639.98", "31500.00"),
        ("JPY", "63640", "31500"),
        ("KWD", "63639.981", "31500.000"),
    ):
        response = client.post(URL, {"account": str(account.pk), "currency": currency, "lines": LINES})
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["total_one_off"], body["total_monthly"]) == (one_off, monthly), currency
        assert all(isinstance(body[name], str) for name in ("subtotal_one_off", "tax_one_off", "tax_monthly"))
        assert body["lines"][1]["unit_price"] == ("18999.99" if currency != "KWD" else "18999.990")
        assert body["lines"][1]["discount_percent"] == "10" and body["lines"][1]["quantity"] == "2"


def test_point_one_plus_point_two_through_the_api(api_as, sales, account):
    lines = [{"description": "a", "unit_price": "0.10"}, {"description": "b", "unit_price": "0.20"}]
    body = api_as(sales).post(URL, {"account": str(account.pk), "currency": "USD", "lines": lines}).json()
    assert body["total_one_off"] == body["subtotal_one_off"] == "0.30"


def test_a_json_number_with_a_fraction_is_refused_an_integer_is_taken(api_as, sales, account):
    client = api_as(sales)
    body = assert_error(
        client.post(URL, {"account": str(account.pk), "lines": [{"description": "x", "unit_price": 0.3}]}),
        400,
        field="lines",
    )
    assert "string" in str(body["fields"]["lines"])
    ok = client.post(URL, {"account": str(account.pk), "lines": [{"description": "x", "unit_price": 3}]})
    assert ok.status_code == 201 and ok.json()["total_one_off"] == "3.00"


# ---- drafts, send, revise, pdf -----------------------------------------------------------------------------


def test_a_sent_quote_cannot_be_patched_and_nothing_changes(api_as, sales, account):
    quote = quote_sent(account=account)
    client = api_as(sales)
    before = client.get(f"{URL}{quote.pk}/").json()
    assert_error(client.patch(f"{URL}{quote.pk}/", {"title": "x"}), 409, code="conflict")
    assert client.get(f"{URL}{quote.pk}/").json() == before


def test_status_is_read_only(api_as, sales, account):
    quote = quote_make(account=account)
    response = api_as(sales).patch(f"{URL}{quote.pk}/", {"status": "accepted"})
    assert response.status_code == 200 and response.json()["status"] == "draft"


def test_send_emails_the_pdf_and_answers_the_sent_quote(api_as, sales, account):
    contact_on(account)
    quote = quote_make(account=account)
    response = api_as(sales).post(f"{URL}{quote.pk}/send/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "sent" and response.json()["sent_at"].endswith("Z")
    assert Delivery.objects.filter(event="crm.quote.offered").count() == 1
    assert api_as(sales).post(f"{URL}{quote.pk}/send/").status_code == 200  # again: nothing more
    assert Delivery.objects.filter(event="crm.quote.offered").count() == 1


def test_sending_a_quote_with_nobody_to_send_to_is_400_naming_contact(api_as, sales):
    account = AccountFactory(email="")
    quote = quote_make(account=account)
    assert_error(api_as(sales).post(f"{URL}{quote.pk}/send/"), 400, field="contact")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT


def test_revise_answers_the_new_draft(api_as, sales, account):
    quote = quote_sent(account=account)
    response = api_as(sales).post(f"{URL}{quote.pk}/revise/")
    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["version"], body["revision_of"], body["status"]) == (
        quote.number,
        2,
        str(quote.pk),
        "draft",
    )
    assert_error(api_as(sales).post(f"{URL}{quote.pk}/revise/"), 409, code="conflict")


def test_the_pdf_endpoint_answers_a_real_pdf(api_as, agent, customer, account):
    quote = quote_sent(account=account)
    for user in (agent, customer):
        response = api_as(user).get(f"{URL}{quote.pk}/pdf/", HTTP_ACCEPT="application/pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
        assert quote.number in text and "NGN 63,639.98" in text
    missing = api_as(customer).get(f"{URL}00000000-0000-0000-0000-000000000000/pdf/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/json")


# ---- answers ---------------------------------------------------------------------------------------------


def test_a_customer_accepts_once_with_name_time_and_ip(api_as, customer, account):
    quote = quote_sent(account=account)
    client = api_as(customer)
    response = client.post(f"{URL}{quote.pk}/accept/", {"name": "Ada Obi"}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["decided_name"], body["decided_ip"]) == ("accepted", "Ada Obi", None)  # ip: staff
    quote.refresh_from_db()
    assert (quote.decided_ip, quote.decided_by) == ("203.0.113.7", customer)
    before = Quote.objects.filter(pk=quote.pk).values().get()
    again = client.post(f"{URL}{quote.pk}/accept/", {"name": "Bo"})
    assert_error(again, 409, code="quote_decided")
    assert_error(client.post(f"{URL}{quote.pk}/reject/", {"name": "Bo"}), 409, code="quote_decided")
    assert Quote.objects.filter(pk=quote.pk).values().get() == before


def test_accepting_an_expired_quote_is_409_and_changes_nothing(api_as, customer, account):
    quote = quote_sent(account=account)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    before = Quote.objects.filter(pk=quote.pk).values().get()
    body = assert_error(api_as(customer).post(f"{URL}{quote.pk}/accept/", {"name": "Ada"}), 409, code="quote_expired")
    assert "expired" in body["detail"]
    assert Quote.objects.filter(pk=quote.pk).values().get() == before


def test_a_name_is_needed(api_as, customer, account):
    quote = quote_sent(account=account)
    assert_error(api_as(customer).post(f"{URL}{quote.pk}/accept/", {}), 400, field="name")
    assert_error(api_as(customer).post(f"{URL}{quote.pk}/reject/", {"name": ""}), 400, field="name")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.SENT


def test_staff_record_a_rejection_on_the_customers_behalf(api_as, sales, agent, account):
    quote = quote_sent(account=account)
    assert_error(api_as(agent).post(f"{URL}{quote.pk}/reject/", {"name": "Ada"}), 403, code="permission_denied")
    response = api_as(sales).post(f"{URL}{quote.pk}/reject/", {"name": "Ada (by phone)", "reason": "Budget"})
    assert response.status_code == 200
    quote.refresh_from_db()
    assert (quote.status, quote.decided_by, quote.rejection_reason) == ("rejected", sales, "Budget")
    assert response.json()["decided_ip"] == "127.0.0.1"


def test_customers_see_only_their_accounts_sent_quotes(api_as, customer, account, other_account):
    sent, draft = quote_sent(account=account), quote_make(account=account)
    other = quote_sent(account=other_account)
    client = api_as(customer)
    assert [row["id"] for row in client.get(URL).json()["results"]] == [str(sent.pk)]
    for hidden in (draft, other):
        assert_error(client.get(f"{URL}{hidden.pk}/"), 404, code="not_found")
        assert_error(client.post(f"{URL}{hidden.pk}/accept/", {"name": "x"}), 404, code="not_found")
    assert Quote.objects.get(pk=other.pk).status == QuoteStatus.SENT


def test_reseller_users_read_their_accounts_and_leads_quotes_only(api_as, reseller, reseller_org, account):
    mine_account = quote_make(account=AccountFactory(reseller=reseller_org))
    mine_lead = quote_make(lead=lead_make(reseller=reseller_org))
    quote_make(account=account)
    quote_make(lead=lead_make(reseller=ResellerFactory(), email="x@example.com"))
    client = api_as(reseller)
    assert {row["id"] for row in client.get(URL).json()["results"]} == {str(mine_account.pk), str(mine_lead.pk)}
    sent = quote_sent(account=AccountFactory(reseller=reseller_org))
    assert_error(client.post(f"{URL}{sent.pk}/accept/", {"name": "x"}), 403, code="permission_denied")


def test_vendors_and_dispatchers_are_refused(api_as, vendor, account):
    from tests.omni.factories import StaffFactory

    quote = quote_sent(account=account)
    for user in (vendor, StaffFactory(roles=["Dispatcher"]), StaffFactory(roles=["Technician"])):
        assert_error(api_as(user).get(URL), 403, code="permission_denied")
        assert_error(api_as(user).get(f"{URL}{quote.pk}/"), 403, code="permission_denied")


def test_the_event_payload_is_the_staff_detail(api_as, admin_user, account):
    contact_on(account)
    quote = quote_make(account=account)
    services.quote_send(quote_id=quote.pk)
    event = OutboxEvent.objects.get(event="crm.quote.sent")
    assert event.data == api_as(admin_user).get(f"{URL}{quote.pk}/").json()


# ---- filters ---------------------------------------------------------------------------------------------


def test_filters(api_as, admin_user, account, other_account):
    draft = quote_make(account=account, currency="NGN")
    sent = quote_sent(account=other_account, currency="USD", valid_until=timezone.localdate() + dt.timedelta(days=3))
    lead_quote = quote_make(lead=lead_make())
    client = api_as(admin_user)

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(status="draft") == {str(draft.pk), str(lead_quote.pk)}
    assert ids(account=str(other_account.pk)) == {str(sent.pk)}
    assert ids(lead=str(lead_quote.lead_id)) == {str(lead_quote.pk)}
    assert ids(currency="usd") == {str(sent.pk)}
    soon = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    assert ids(valid_until_before=soon) == {str(sent.pk)}
    assert ids(valid_until_after=soon) == {str(draft.pk), str(lead_quote.pk)}
    assert ids(search=sent.number) == {str(sent.pk)}
    assert ids(search=sent.number.lower()) == {str(sent.pk)}
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert ids(updated_since=future) == set()
    assert_error(client.get(URL, {"status": "lost"}), 400, field="status")
    assert_error(client.get(URL, {"valid_until_after": "soon"}), 400, field="valid_until")
