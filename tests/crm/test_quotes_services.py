"""Quote services: drafts only are editable, sending emails the PDF, revisions, one answer before expiry, and the
set-based expiry. Every refusal is checked to change nothing."""

import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from crm import services
from crm.choices import QuoteStatus
from crm.models import Quote
from crm.pdf import quote_pdf
from notifications import services as notifications
from notifications.models import Delivery, OutboxEvent
from omni.exceptions import Conflict, InvalidTransition
from tests.crm.quote_support import LINES, contact_on, lead_make, quote_make, quote_sent

pytestmark = pytest.mark.django_db

FIELDS = [
    "status",
    "decided_at",
    "decided_name",
    "decided_ip",
    "decided_by_id",
    "rejection_reason",
    "updated_at",
    "total_one_off",
    "valid_until",
]


def snapshot(quote):
    row = Quote.objects.get(pk=quote.pk)
    return {name: getattr(row, name) for name in FIELDS}, list(row.lines.values_list("description", "net_amount"))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---- create and edit ---------------------------------------------------------------------------------------


def test_create_numbers_the_quote_and_fills_the_defaults(account, sales, settings):
    settings.QUOTE_VALIDITY_DAYS, settings.SALES_DEFAULT_CURRENCY = 14, "NGN"
    quote = quote_make(account=account, by=sales)
    assert quote.number.startswith("Q-") and len(quote.number) == 8 and quote.version == 1
    assert (quote.status, quote.currency, quote.created_by) == (QuoteStatus.DRAFT, "NGN", sales)
    assert quote.valid_until == timezone.localdate() + dt.timedelta(days=14)
    assert quote.lines.count() == 3 and quote.total_monthly == Decimal("31500.00")
    assert quote_make(account=account).number != quote.number


def test_a_lead_quote_takes_the_leads_currency(db):
    lead = lead_make(currency="USD")
    assert quote_make(lead=lead).currency == "USD"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "account"),
        ({"both": True}, "account"),
        ({"currency": "naira"}, "currency"),
        ({"valid_until": dt.date(2000, 1, 1)}, "valid_until"),
        ({"lines": [{"description": "", "unit_price": "1"}]}, "lines"),
        ({"lines": [{"description": "x", "unit_price": "-1"}]}, "lines"),
        ({"lines": [{"description": "x", "unit_price": "1", "discount_percent": "101"}]}, "lines"),
        ({"lines": [{"description": "x", "unit_price": "1", "quantity": "0"}]}, "lines"),
        ({"lines": [{"description": "x"}]}, "lines"),
        ({"lines": [{"description": "x", "unit_price": "1", "colour": "red"}]}, "lines"),
    ],
)
def test_bad_input_is_a_validation_error_naming_the_field(account, kwargs, field):
    kwargs = dict(kwargs)
    args = {"account_id": account.pk}
    if kwargs.pop("both", False):
        args["lead_id"] = lead_make().pk
    if not kwargs and "lead_id" not in args:
        args = {}
    with pytest.raises(ValidationError) as caught:
        services.quote_create(**args, **{"lines": LINES, **kwargs})
    assert field in caught.value.message_dict
    assert not Quote.objects.exists()


def test_a_contact_from_another_account_is_refused(account, other_account):
    stranger = contact_on(other_account, email="stranger@example.com")
    with pytest.raises(ValidationError) as caught:
        quote_make(account=account, contact_id=stranger.pk)
    assert "contact" in caught.value.message_dict


def test_updating_a_draft_replaces_its_lines_and_totals(account):
    quote = quote_make(account=account)
    services.quote_update(
        quote_id=quote.pk, title="New", lines=[{"description": "Only", "quantity": "2", "unit_price": "10.005"}]
    )
    quote.refresh_from_db()
    assert quote.title == "New" and list(quote.lines.values_list("description", flat=True)) == ["Only"]
    assert (quote.total_one_off, quote.total_monthly) == (Decimal("20.01"), Decimal("0"))


def test_a_sent_quote_cannot_be_edited_and_nothing_changes(account):
    quote = quote_sent(account=account)
    before = snapshot(quote)
    with pytest.raises(Conflict) as caught:
        services.quote_update(quote_id=quote.pk, title="x", lines=[{"description": "y", "unit_price": "1"}])
    assert caught.value.status_code == 409
    assert snapshot(quote) == before


def test_fields_that_are_not_editable_are_refused(account):
    quote = quote_make(account=account)
    with pytest.raises(ValidationError) as caught:
        services.quote_update(quote_id=quote.pk, status="accepted")
    assert "status" in caught.value.message_dict


# ---- sending and the PDF -----------------------------------------------------------------------------------


def test_the_pdf_is_a_real_pdf_with_the_number_and_the_totals(account, settings, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    )
    settings.OMNI_ORGANISATION_NAME, settings.OMNI_ORGANISATION_LOGO = "Lagos Fibre Ltd", str(logo)
    settings.OMNI_ORGANISATION_ADDRESS = "12 Marina, Lagos"
    quote = quote_make(account=account, currency="NGN", notes="Payment within 14 days.")
    data = quote_pdf(quote)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert quote.number in text and "Lagos Fibre Ltd" in text and "12 Marina, Lagos" in text
    assert "NGN 63,639.98" in text  # one-off total: 25000 + 1875 tax + 34199.98 + 2565.00 tax (rounded)
    assert "NGN 31,500.00" in text  # monthly total
    assert "Payment within 14 days." in text
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 1  # the logo, embedded


def test_sending_emails_the_pdf_to_the_primary_contact_and_records_the_event(account, sales):
    contact = contact_on(account, email="buyer@example.com")
    quote = quote_make(account=account)
    sent = services.quote_send(quote_id=quote.pk, by=sales)
    assert sent.status == QuoteStatus.SENT and sent.sent_at is not None
    (delivery,) = Delivery.objects.filter(event="crm.quote.offered")
    assert (delivery.address, delivery.recipient_key) == ("buyer@example.com", f"crm.contact:{contact.pk}")
    assert notifications.deliveries_send([delivery.pk]) == 1
    (message,) = mail.outbox
    assert quote.number in message.subject
    (attachment,) = message.attachments
    assert attachment[0] == f"{quote.number}.pdf" and attachment[2] == "application/pdf"
    assert quote.number in pdf_text(attachment[1])
    assert f"/quotes/{quote.pk}/" in message.body  # the portal page to answer it
    event = OutboxEvent.objects.get(event="crm.quote.sent")
    assert event.data["number"] == quote.number and event.data["status"] == "sent"
    assert event.data["total_one_off"] == "63639.98" and event.permission == "crm.view_quote"


def test_sending_twice_sends_one_email(account):
    contact_on(account)
    quote = quote_make(account=account)
    services.quote_send(quote_id=quote.pk)
    services.quote_send(quote_id=quote.pk)
    assert Delivery.objects.filter(event="crm.quote.offered").count() == 1
    assert OutboxEvent.objects.filter(event="crm.quote.sent").count() == 1


def test_a_lead_quote_goes_to_the_leads_email_with_a_signed_link(db):
    lead = lead_make(email="lead@example.com")
    quote = quote_sent(lead=lead)
    (delivery,) = Delivery.objects.filter(event="crm.quote.offered")
    assert delivery.address == "lead@example.com"
    token = delivery.payload["url"].rstrip("/").rsplit("/", 1)[1]
    assert services.quote_link_quote_id(token) == quote.pk


@pytest.mark.parametrize("problem", ["no_lines", "nobody", "past"])
def test_a_quote_that_cannot_go_is_a_400_and_stays_a_draft(account, problem):
    lines = [] if problem == "no_lines" else LINES
    quote = quote_make(account=account, lines=lines)
    account.email = ""
    account.save()
    if problem != "nobody":
        contact_on(account)
    if problem == "past":
        Quote.objects.filter(pk=quote.pk).update(valid_until=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as caught:
        services.quote_send(quote_id=quote.pk)
    assert {"no_lines": "lines", "nobody": "contact", "past": "valid_until"}[problem] in caught.value.message_dict
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT
    assert not Delivery.objects.exists() and not OutboxEvent.objects.filter(event="crm.quote.sent").exists()


# ---- revisions --------------------------------------------------------------------------------------------


def test_a_revision_is_a_new_draft_version_and_the_sent_one_is_untouched(account, sales):
    quote = quote_sent(account=account)
    before = snapshot(quote)
    draft = services.quote_revise(quote_id=quote.pk, by=sales)
    assert (draft.number, draft.version, draft.revision_of_id) == (quote.number, 2, quote.pk)
    assert draft.status == QuoteStatus.DRAFT and draft.total_one_off == quote.total_one_off
    assert draft.lines.count() == 3 and str(draft) == f"{quote.number} v2"
    assert snapshot(quote) == before
    with pytest.raises(Conflict):  # an older version: revise the newest
        services.quote_revise(quote_id=quote.pk)
    with pytest.raises(InvalidTransition):  # a draft is edited, not revised
        services.quote_revise(quote_id=draft.pk)


def test_sending_a_revision_expires_the_sent_version_before_it(account, sales):
    quote = quote_sent(account=account)
    draft = services.quote_revise(quote_id=quote.pk, by=sales)
    services.quote_send(quote_id=draft.pk, by=sales)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED
    assert OutboxEvent.objects.filter(event="crm.quote.expired", data__id=str(quote.pk)).count() == 1
    with pytest.raises(Conflict):  # the customer answers the newest version only
        services.quote_accept(quote_id=quote.pk, name="Ada")
    assert Quote.objects.get(pk=quote.pk).decided_at is None
    services.quote_accept(quote_id=draft.pk, name="Ada")
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.ACCEPTED


def test_a_revision_cannot_go_out_once_an_older_version_was_accepted(account, sales):
    quote = quote_sent(account=account)
    draft = services.quote_revise(quote_id=quote.pk, by=sales)
    services.quote_accept(quote_id=quote.pk, name="Ada")
    with pytest.raises(Conflict):
        services.quote_send(quote_id=draft.pk, by=sales)
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.DRAFT


def test_an_accepted_quote_cannot_be_revised(account):
    quote = quote_sent(account=account)
    services.quote_accept(quote_id=quote.pk, name="Ada")
    with pytest.raises(InvalidTransition):
        services.quote_revise(quote_id=quote.pk)
    assert Quote.objects.filter(number=quote.number).count() == 1


# ---- answers ---------------------------------------------------------------------------------------------


def test_accepting_records_name_time_ip_and_user(account, customer):
    quote = quote_sent(account=account)
    now = timezone.now()
    services.quote_accept(quote_id=quote.pk, name="  Ada Obi ", ip="203.0.113.9", by=customer, now=now)
    quote.refresh_from_db()
    assert (quote.status, quote.decided_name, quote.decided_ip) == (QuoteStatus.ACCEPTED, "Ada Obi", "203.0.113.9")
    assert (quote.decided_at, quote.decided_by) == (now, customer)
    assert OutboxEvent.objects.get(event="crm.quote.accepted").data["decided_name"] == "Ada Obi"


def test_rejecting_records_the_reason(account):
    quote = quote_sent(account=account)
    services.quote_reject(quote_id=quote.pk, name="Ada", reason="Too dear", ip="203.0.113.9")
    quote.refresh_from_db()
    assert (quote.status, quote.rejection_reason) == (QuoteStatus.REJECTED, "Too dear")
    assert OutboxEvent.objects.filter(event="crm.quote.rejected").count() == 1


@pytest.mark.parametrize("first", ["accept", "reject"])
@pytest.mark.parametrize("second", ["accept", "reject"])
def test_answering_a_decided_quote_is_409_and_changes_nothing(account, first, second):
    quote = quote_sent(account=account)
    getattr(services, f"quote_{first}")(quote_id=quote.pk, name="Ada", ip="203.0.113.9")
    before = snapshot(quote)
    with pytest.raises(services.QuoteDecided) as caught:
        getattr(services, f"quote_{second}")(quote_id=quote.pk, name="Bo", ip="198.51.100.1")
    assert caught.value.status_code == 409 and caught.value.code == "quote_decided"
    assert snapshot(quote) == before
    assert OutboxEvent.objects.filter(event__in=["crm.quote.accepted", "crm.quote.rejected"]).count() == 1


@pytest.mark.parametrize("how", ["past_validity", "expired_status"])
def test_accepting_an_expired_quote_is_409_and_changes_nothing(account, how):
    quote = quote_sent(account=account)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    if how == "expired_status":
        services.quote_expire_due()
    before = snapshot(quote)
    with pytest.raises(services.QuoteExpired) as caught:
        services.quote_accept(quote_id=quote.pk, name="Ada")
    assert (caught.value.status_code, caught.value.code) == (409, "quote_expired")
    assert snapshot(quote) == before
    assert not OutboxEvent.objects.filter(event="crm.quote.accepted").exists()


def test_a_quote_is_valid_through_its_last_day(account):
    quote = quote_sent(account=account)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate())
    services.quote_accept(quote_id=quote.pk, name="Ada")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.ACCEPTED


def test_a_draft_cannot_be_answered_and_a_name_is_required(account):
    draft = quote_make(account=account)
    with pytest.raises(InvalidTransition):
        services.quote_accept(quote_id=draft.pk, name="Ada")
    quote = quote_sent(account=account)
    with pytest.raises(ValidationError) as caught:
        services.quote_accept(quote_id=quote.pk, name="   ")
    assert "name" in caught.value.message_dict
    assert Quote.objects.get(pk=draft.pk).status == QuoteStatus.DRAFT
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_one_wins(account):
    quote = quote_sent(account=account)
    barrier = threading.Barrier(2)

    def answer(verb):
        barrier.wait()
        try:
            getattr(services, f"quote_{verb}")(quote_id=quote.pk, name=verb)
            return "ok"
        except Conflict:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(answer, ["accept", "reject"]))
    assert sorted(results) == ["conflict", "ok"]
    quote.refresh_from_db()
    winner = "accept" if results[0] == "ok" else "reject"
    assert quote.decided_name == winner
    assert OutboxEvent.objects.filter(event__in=["crm.quote.accepted", "crm.quote.rejected"]).count() == 1


# ---- links ----------------------------------------------------------------------------------------------


def test_a_link_token_names_its_quote_and_refuses_tampering_and_age(account, settings, monkeypatch):
    quote = quote_make(account=account)
    token = services.quote_link_token(quote)
    assert services.quote_link_quote_id(token) == quote.pk
    with pytest.raises(signing.BadSignature):
        services.quote_link_quote_id(token[:-1] + ("A" if token[-1] != "A" else "B"))
    settings.QUOTE_LINK_MAX_AGE_DAYS = 2
    old = timezone.now().timestamp() - 3 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: old)
    stale = services.quote_link_token(quote)
    monkeypatch.undo()
    with pytest.raises(signing.SignatureExpired):
        services.quote_link_quote_id(stale)


# ---- expiry ---------------------------------------------------------------------------------------------


def test_expiry_is_one_update_and_idempotent(account):
    due = [quote_sent(account=account) for _ in range(3)]
    fresh = quote_sent(account=account)
    draft = quote_make(account=account, valid_until=timezone.localdate())
    accepted = quote_sent(account=account)
    services.quote_accept(quote_id=accepted.pk, name="Ada")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Quote.objects.filter(pk__in=[q.pk for q in [*due, draft, accepted]]).update(valid_until=yesterday)
    with CaptureQueriesContext(connection) as queries:
        expired = services.quote_expire_due()
    assert sorted(expired) == sorted(q.pk for q in due)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "RETURNING" in updates[0]
    statuses = dict(Quote.objects.values_list("pk", "status"))
    assert [statuses[q.pk] for q in due] == [QuoteStatus.EXPIRED] * 3
    assert (statuses[fresh.pk], statuses[draft.pk], statuses[accepted.pk]) == ("sent", "draft", "accepted")
    assert OutboxEvent.objects.filter(event="crm.quote.expired").count() == 3
    assert services.quote_expire_due() == []  # a second run: nothing
    assert OutboxEvent.objects.filter(event="crm.quote.expired").count() == 3


def test_expiry_follows_the_instance_time_zone(account, settings):
    settings.TIME_ZONE = "Africa/Lagos"  # UTC+1
    quote = quote_sent(account=account)
    Quote.objects.filter(pk=quote.pk).update(valid_until=dt.date(2026, 3, 10))
    late_utc = dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC)  # 23:30 on the 10th in Lagos: still valid
    assert services.quote_expire_due(now=late_utc) == []
    after_midnight = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)  # 00:30 on the 11th in Lagos
    assert services.quote_expire_due(now=after_midnight) == [quote.pk]


def test_the_beat_task_expires_due_quotes(account, settings):
    from crm.tasks import quotes_expire

    quote = quote_sent(account=account)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    quotes_expire.apply()
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.EXPIRED
    entry = settings.CELERY_BEAT_SCHEDULE["crm-quotes-expire"]
    assert entry["task"] == "crm.tasks.quotes_expire" and entry["options"]["expire_seconds"] <= 86400


@pytest.mark.django_db(transaction=True)
def test_two_revisions_at_once_make_one_new_version(account):
    quote = quote_sent(account=account)
    barrier = threading.Barrier(2)

    def revise(_):
        barrier.wait()
        try:
            return services.quote_revise(quote_id=quote.pk).version
        except Conflict:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(revise, range(2)), key=str) == [2, "conflict"]
    assert list(Quote.objects.filter(number=quote.number).order_by("version").values_list("version", flat=True)) == [
        1,
        2,
    ]


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_send_one_email(account):
    contact_on(account)
    quote = quote_make(account=account)
    barrier = threading.Barrier(2)

    def send(_):
        barrier.wait()
        try:
            return services.quote_send(quote_id=quote.pk).status
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(send, range(2))) == ["sent", "sent"]
    assert Delivery.objects.filter(event="crm.quote.offered").count() == 1
    assert OutboxEvent.objects.filter(event="crm.quote.sent").count() == 1
