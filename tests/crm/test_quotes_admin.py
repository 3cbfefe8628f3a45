"""The quote admin: list with search, filters and columns in a fixed number of queries; a draft and its lines are
saved through the services (totals right); a sent quote is read-only; the send and revise actions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.choices import QuoteStatus
from crm.models import Quote
from tests.admin_support import admin_form_data
from tests.crm.quote_support import contact_on, quote_make, quote_sent

pytestmark = pytest.mark.django_db

LIST = "/admin/crm/quote/"


@pytest.mark.parametrize("rows", [10, 200])
def test_the_list_searches_filters_and_costs_fixed_queries(
    client_as, admin_user, account, rows, django_assert_max_num_queries
):
    quote = quote_make(account=account, title="Office fibre")
    Quote.objects.bulk_create(
        [Quote(account=account, valid_until=timezone.localdate() + dt.timedelta(days=9)) for _ in range(rows)]
    )
    client = client_as(admin_user)
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert response.status_code == 200 and len(response.context["cl"].result_list) == min(rows + 1, 100)
    found = client.get(LIST, {"q": quote.number})
    assert list(found.context["cl"].result_list) == [quote]
    assert client.get(LIST, {"status__exact": "sent"}).context["cl"].result_count == 0
    assert client.get(LIST, {"currency": "NGN"}).status_code == 200


def test_a_draft_with_lines_is_made_through_the_services(client_as, admin_user, account):
    client = client_as(admin_user)
    page = client.get(f"{LIST}add/")
    assert page.status_code == 200
    data = admin_form_data(
        page,
        account=str(account.pk),
        currency="NGN",
        valid_until=(timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        **{
            "lines-TOTAL_FORMS": "2",
            "lines-0-description": "a",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "0.10",
            "lines-0-discount_percent": "0",
            "lines-0-tax_rate": "0",
            "lines-1-description": "b",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "0.20",
            "lines-1-discount_percent": "0",
            "lines-1-tax_rate": "0",
        },
    )
    response = client.post(f"{LIST}add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    quote = Quote.objects.get()
    assert (quote.total_one_off, quote.lines.count(), quote.status) == (Decimal("0.30"), 2, QuoteStatus.DRAFT)
    assert quote.number.startswith("Q-")


def test_editing_a_drafts_line_recomputes_the_totals(client_as, admin_user, account):
    quote = quote_make(account=account, lines=[{"description": "a", "unit_price": "10.00"}])
    client = client_as(admin_user)
    url = f"{LIST}{quote.pk}/change/"
    data = admin_form_data(client.get(url), **{"lines-0-quantity": "3"})
    assert client.post(url, data).status_code == 302
    quote.refresh_from_db()
    assert quote.total_one_off == Decimal("30.00")


def test_a_sent_quote_is_read_only(client_as, admin_user, account):
    quote = quote_sent(account=account)
    page = client_as(admin_user).get(f"{LIST}{quote.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "title" not in form.fields and "valid_until" not in form.fields
    inline = page.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission


def test_the_send_and_revise_actions_call_the_services(client_as, admin_user, account):
    contact_on(account)
    draft = quote_make(account=account)
    client = client_as(admin_user)
    client.post(LIST, {"action": "send", "_selected_action": [str(draft.pk)]})
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.SENT
    client.post(LIST, {"action": "revise", "_selected_action": [str(draft.pk)]})
    assert Quote.objects.filter(number=draft.number, version=2, status="draft").exists()


def test_sending_a_quote_that_cannot_go_is_an_error_message(client_as, admin_user):
    from tests.crm.factories import AccountFactory

    draft = quote_make(account=AccountFactory(email=""))
    response = client_as(admin_user).post(LIST, {"action": "send", "_selected_action": [str(draft.pk)]}, follow=True)
    assert "Nobody to send it to" in response.content.decode()
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.DRAFT


def test_lines_have_a_read_only_admin(client_as, admin_user, account):
    quote_make(account=account)
    client = client_as(admin_user)
    assert client.get("/admin/crm/quoteline/").status_code == 200
    assert client.get("/admin/crm/quoteline/", {"q": "Router"}).context["cl"].result_count == 1
    assert client.get("/admin/crm/quoteline/add/").status_code == 403
