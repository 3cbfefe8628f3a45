"""Customer portal quotes (portal.localhost/quotes/): the account's sent quotes only, their PDFs, accepting (name
typed, box ticked) and rejecting once before expiry; the lead's no-login page behind a signed link (/q/<token>/);
and the reseller portal's read-only quotes."""

import datetime as dt
import io

import pytest
from django.core import signing
from django.utils import timezone
from pypdf import PdfReader

from crm import services
from crm.choices import QuoteStatus
from crm.models import Quote
from tests.crm.factories import AccountFactory
from tests.crm.quote_support import lead_make, quote_make, quote_sent

HOST = "portal.localhost"
RESELLER_HOST = "reseller.localhost"


@pytest.fixture
def portal(client_as, customer):
    return client_as(customer, host=HOST)


@pytest.fixture
def sent(account):
    return quote_sent(account=account, title="Office fibre")


def _row(quote):
    return Quote.objects.filter(pk=quote.pk).values().get()


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# ---- the account's quotes ------------------------------------------------------------------------------------


def test_the_list_shows_the_accounts_sent_quotes_only(portal, account, other_account, sent):
    draft = quote_make(account=account, title="Secret draft")
    theirs = quote_sent(account=other_account, title="Their quote")
    page = portal.get("/quotes/")
    assert page.status_code == 200
    html = page.content.decode()
    assert sent.number in html and "Office fibre" in html and "NGN 63,639.98" in html
    assert draft.number not in html and theirs.number not in html and "Secret draft" not in html


@pytest.mark.parametrize("rows", [10, 500])
def test_the_list_costs_a_fixed_number_of_queries(portal, account, rows, django_assert_max_num_queries):
    valid = timezone.localdate() + dt.timedelta(days=9)
    Quote.objects.bulk_create([Quote(account=account, valid_until=valid, status="sent") for _ in range(rows)])
    with django_assert_max_num_queries(9):  # session, user, account and membership checks, count, the page
        response = portal.get("/quotes/")
    assert response.status_code == 200
    assert response.content.decode().count('href="/quotes/') >= min(rows, 25)


def test_the_detail_and_pdf_of_an_own_quote(portal, sent):
    page = portal.get(f"/quotes/{sent.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Accept this quote" in html and "NGN 31,500.00" in html and "Installation" in html
    pdf = portal.get(f"/quotes/{sent.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert sent.number in _pdf_text(pdf.content)


def test_drafts_and_other_accounts_quotes_are_404(portal, account, other_account):
    for quote in (quote_make(account=account), quote_sent(account=other_account)):
        for path in ("", "pdf/"):
            assert portal.get(f"/quotes/{quote.pk}/{path}").status_code == 404
        assert portal.post(f"/quotes/{quote.pk}/accept/", {"accept-name": "x", "accept-agree": "on"}).status_code == 404
        assert _row(quote)["status"] in ("draft", "sent") and _row(quote)["decided_at"] is None


def test_anonymous_users_go_to_the_login_and_other_audiences_are_refused(client_as, sent, agent, reseller, vendor):
    from django.test import Client

    anonymous = Client(HTTP_HOST=HOST).get(f"/quotes/{sent.pk}/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    for user in (agent, reseller, vendor):
        assert client_as(user, host=HOST).get("/quotes/").status_code == 403


def test_accepting_records_name_time_and_ip(portal, customer, sent):
    response = portal.post(
        f"/quotes/{sent.pk}/accept/", {"accept-name": "Ada Obi", "accept-agree": "on"}, REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 302 and response["Location"] == f"/quotes/{sent.pk}/"
    sent.refresh_from_db()
    assert (sent.status, sent.decided_name, sent.decided_ip, sent.decided_by) == (
        QuoteStatus.ACCEPTED,
        "Ada Obi",
        "203.0.113.5",
        customer,
    )
    assert "Accepted by Ada Obi" in portal.get(f"/quotes/{sent.pk}/").content.decode()


def test_accepting_without_the_box_or_name_is_422_and_changes_nothing(portal, sent):
    before = _row(sent)
    assert portal.post(f"/quotes/{sent.pk}/accept/", {"accept-name": "Ada"}).status_code == 422
    assert portal.post(f"/quotes/{sent.pk}/accept/", {"accept-name": " ", "accept-agree": "on"}).status_code == 422
    assert _row(sent) == before


def test_accepting_twice_is_409_and_changes_nothing(portal, sent):
    portal.post(f"/quotes/{sent.pk}/accept/", {"accept-name": "Ada", "accept-agree": "on"})
    before = _row(sent)
    again = portal.post(f"/quotes/{sent.pk}/accept/", {"accept-name": "Bo", "accept-agree": "on"})
    assert again.status_code == 409 and "already accepted" in again.content.decode()
    rejected = portal.post(f"/quotes/{sent.pk}/reject/", {"reject-name": "Bo"})
    assert rejected.status_code == 409
    assert _row(sent) == before


def test_accepting_an_expired_quote_is_409_and_changes_nothing(portal, sent):
    Quote.objects.filter(pk=sent.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    before = _row(sent)
    response = portal.post(f"/quotes/{sent.pk}/accept/", {"accept-name": "Ada", "accept-agree": "on"})
    assert response.status_code == 409 and "expired" in response.content.decode()
    assert _row(sent) == before
    assert "Accept this quote" not in portal.get(f"/quotes/{sent.pk}/").content.decode()


def test_rejecting_with_a_reason(portal, sent):
    response = portal.post(f"/quotes/{sent.pk}/reject/", {"reject-name": "Ada", "reject-reason": "Too dear"})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert (sent.status, sent.rejection_reason) == (QuoteStatus.REJECTED, "Too dear")


def test_the_nav_links_to_quotes(portal):
    assert 'href="/quotes/"' in portal.get("/").content.decode()


# ---- the lead's signed link ----------------------------------------------------------------------------------


@pytest.fixture
def lead_quote(db):
    return quote_sent(lead=lead_make(email="lead@example.com", company="Lekki Bakery"))


@pytest.fixture
def anonymous(db):
    from django.test import Client

    return Client(HTTP_HOST=HOST)


def test_a_lead_views_downloads_and_accepts_through_the_link(anonymous, lead_quote):
    token = services.quote_link_token(lead_quote)
    page = anonymous.get(f"/q/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert lead_quote.number in html and "Ngozi Okafor" in html and "Accept this quote" in html
    pdf = anonymous.get(f"/q/{token}/pdf/")
    assert pdf.status_code == 200 and lead_quote.number in _pdf_text(pdf.content)
    done = anonymous.post(
        f"/q/{token}/accept/", {"accept-name": "Ngozi Okafor", "accept-agree": "on"}, REMOTE_ADDR="198.51.100.4"
    )
    assert done.status_code == 302
    lead_quote.refresh_from_db()
    assert (lead_quote.status, lead_quote.decided_name, lead_quote.decided_ip, lead_quote.decided_by) == (
        QuoteStatus.ACCEPTED,
        "Ngozi Okafor",
        "198.51.100.4",
        None,
    )
    before = _row(lead_quote)
    again = anonymous.post(f"/q/{token}/reject/", {"reject-name": "Ngozi"})
    assert again.status_code == 409 and _row(lead_quote) == before


def test_the_link_from_the_email_works(anonymous, lead_quote):
    from notifications.models import Delivery

    url = Delivery.objects.get(event="crm.quote.offered").payload["url"]
    assert url.startswith("http://portal.localhost") and "/q/" in url
    assert anonymous.get(url.split("portal.localhost", 1)[1].lstrip(":0123456789")).status_code == 200


def test_a_tampered_link_is_404_and_an_expired_one_410(anonymous, lead_quote, settings, monkeypatch):
    token = services.quote_link_token(lead_quote)
    bad = token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    for path in (f"/q/{bad}/", f"/q/{bad}/pdf/"):
        assert anonymous.get(path).status_code == 404
    assert anonymous.post(f"/q/{bad}/accept/", {"accept-name": "x", "accept-agree": "on"}).status_code == 404
    settings.QUOTE_LINK_MAX_AGE_DAYS = 1
    old = timezone.now().timestamp() - 2 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: old)
    stale = services.quote_link_token(lead_quote)
    monkeypatch.undo()
    page = anonymous.get(f"/q/{stale}/")
    assert page.status_code == 410 and "expired" in page.content.decode()
    assert anonymous.post(f"/q/{stale}/accept/", {"accept-name": "x", "accept-agree": "on"}).status_code == 410
    assert _row(lead_quote)["status"] == QuoteStatus.SENT


def test_a_link_to_an_account_quote_or_a_draft_is_404(anonymous, account, sent):
    draft = quote_make(lead=lead_make())
    for quote in (sent, draft):
        assert anonymous.get(f"/q/{services.quote_link_token(quote)}/").status_code == 404


# ---- the reseller portal --------------------------------------------------------------------------------------


def test_reseller_users_read_their_quotes_only(client_as, reseller, reseller_org, account, customer):
    mine = quote_make(account=AccountFactory(reseller=reseller_org), title="Resold offer")
    from_lead = quote_make(lead=lead_make(reseller=reseller_org), title="Lead offer")
    other = quote_sent(account=account)
    client = client_as(reseller, host=RESELLER_HOST)
    html = client.get("/quotes/").content.decode()
    assert mine.number in html and from_lead.number in html and other.number not in html
    page = client.get(f"/quotes/{mine.pk}/")
    assert page.status_code == 200 and "Accept this quote" not in page.content.decode()
    assert client.get(f"/quotes/{from_lead.pk}/pdf/")["Content-Type"] == "application/pdf"
    assert client.get(f"/quotes/{other.pk}/").status_code == 404
    assert client.get(f"/quotes/{other.pk}/pdf/").status_code == 404
    assert client.post(f"/quotes/{mine.pk}/").status_code == 405
    assert client_as(customer, host=RESELLER_HOST).get("/quotes/").status_code == 403
    assert 'href="/quotes/"' in client.get("/").content.decode()


@pytest.mark.parametrize("rows", [10, 500])
def test_the_reseller_list_costs_a_fixed_number_of_queries(
    client_as, reseller, reseller_org, rows, django_assert_max_num_queries
):
    account = AccountFactory(reseller=reseller_org)
    valid = timezone.localdate() + dt.timedelta(days=9)
    Quote.objects.bulk_create([Quote(account=account, valid_until=valid) for _ in range(rows)])
    client = client_as(reseller, host=RESELLER_HOST)
    with django_assert_max_num_queries(9):
        assert client.get("/quotes/").status_code == 200
