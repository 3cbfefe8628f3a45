"""Quotes: create and edit drafts (lines replaced in one transaction, totals recomputed in Decimal under a row lock),
send (PDF emailed to the customer), revise (a new draft version), accept or reject (by the customer, once, before
expiry), and the beat's set-based expiry. Only drafts are editable; a decided quote is final."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, When
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import services as notifications
from notifications.recipients import Attachment, Recipient
from omni.exceptions import Conflict, InvalidTransition
from omni.models import User
from omni.services import fields_set

from .. import events, money
from ..choices import QUOTE_TRANSITIONS, ContactRole, QuoteStatus
from ..models import Account, AccountContact, Lead, Quote, QuoteLine

__all__ = [
    "LINE_FIELDS",
    "QuoteDecided",
    "QuoteExpired",
    "pdf_filename",
    "quote_accept",
    "quote_create",
    "quote_expire_due",
    "quote_link_quote_id",
    "quote_link_token",
    "quote_reject",
    "quote_revise",
    "quote_send",
    "quote_update",
    "quote_view_url",
]

LINE_FIELDS = ("description", "quantity", "unit_price", "discount_percent", "tax_rate", "recurring")
EDITABLE = {"contact_id", "currency", "valid_until", "title", "notes"}
LINK_SALT = "crm.quote.link"


class QuoteDecided(Conflict):
    """Accepting or rejecting a quote that was already accepted or rejected (409); nothing changes."""

    code = "quote_decided"


class QuoteExpired(Conflict):
    """Accepting or rejecting a quote past its validity (409, documented in README-quotes.md); nothing changes."""

    code = "quote_expired"


def _today(now: dt.datetime | None = None) -> dt.date:
    # The instance's calendar day (TIME_ZONE): a quote valid until the 10th is valid all of the 10th there.
    return timezone.localdate(now or timezone.now())


# ---- lines and totals ----------------------------------------------------------------------------------------


def _currency(value) -> str:
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ValidationError({"currency": [_("Use a three-letter ISO 4217 code, e.g. NGN.")]})
    return code


def _lines_build(lines: Iterable[dict]) -> list[QuoteLine]:
    """Unsaved, validated lines from dicts of LINE_FIELDS. Amounts must be Decimal, int or str (a float is a 400).
    Errors are keyed `lines` and name the line and field."""
    built, errors = [], []
    for position, data in enumerate(lines, start=1):
        unknown = set(data) - set(LINE_FIELDS)
        if unknown:
            errors.append(_("Line %(n)s: unknown fields %(f)s.") % {"n": position, "f": ", ".join(sorted(unknown))})
            continue
        values = {"description": str(data.get("description", "")).strip(), "recurring": bool(data.get("recurring"))}
        try:
            for name, default in (
                ("quantity", "1"),
                ("unit_price", None),
                ("discount_percent", "0"),
                ("tax_rate", "0"),
            ):
                raw = data.get(name, default)
                if raw is None:
                    raise ValidationError({name: [_("This field is required.")]})
                values[name] = money.to_decimal(raw, field=name)
            line = QuoteLine(position=position, **values)
            line.full_clean(exclude=["quote", "net_amount", "tax_amount"])
        except ValidationError as exc:
            for field, texts in exc.message_dict.items():
                errors.extend(f"Line {position}: {field}: {text}" for text in texts)
            continue
        built.append(line)
    if errors:
        raise ValidationError({"lines": errors})
    return built


def _recompute(quote: Quote, lines: list[QuoteLine]) -> None:
    """Set each line's net and tax and the quote's totals, in the quote's currency (rows saved by the caller)."""
    pairs = []
    for line in lines:
        amounts = money.line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            currency=quote.currency,
        )
        line.net_amount, line.tax_amount = amounts.net, amounts.tax
        pairs.append((amounts, line.recurring))
    for name, value in money.totals(pairs, quote.currency).as_dict().items():
        setattr(quote, name, value)


def _lines_replace(quote: Quote, lines: list[QuoteLine]) -> None:
    """Replace the (locked) quote's lines and save its totals."""
    _recompute(quote, lines)
    quote.lines.all().delete()
    for line in lines:
        line.quote = quote
    QuoteLine.objects.bulk_create(lines)
    quote.save()


def _check_links(quote: Quote) -> None:
    """Exactly one of account and lead; a live account; the contact belongs to the account (or is the lead's)."""
    if bool(quote.account_id) == bool(quote.lead_id):
        message = _("A quote is for an account or for a lead (one of them).")
        raise ValidationError({"account": [message], "lead": [message]})
    if quote.account_id and not Account.objects.live().filter(pk=quote.account_id).exists():
        raise ValidationError({"account": [_("No such account.")]})
    if quote.contact_id:
        if quote.account_id:
            ok = AccountContact.objects.filter(account_id=quote.account_id, contact_id=quote.contact_id).exists()
        else:
            ok = Lead.objects.filter(pk=quote.lead_id, contact_id=quote.contact_id).exists()
        if not ok:
            raise ValidationError({"contact": [_("The contact must belong to the quote's account.")]})


@transaction.atomic
def quote_create(
    *,
    by: User | None = None,
    account_id: UUID | None = None,
    lead_id: UUID | None = None,
    contact_id: UUID | None = None,
    currency: str | None = None,
    valid_until: dt.date | None = None,
    title: str = "",
    notes: str = "",
    lines: Iterable[dict] = (),
) -> Quote:
    """A draft quote for an account or a lead (number from a sequence, version 1), with its lines and totals.
    Currency: the lead's, else SALES_DEFAULT_CURRENCY; valid until today + QUOTE_VALIDITY_DAYS by default.
    ValidationError keyed by field (`lines` for the lines)."""
    if currency is None and lead_id:
        currency = Lead.objects.filter(pk=lead_id).values_list("currency", flat=True).first()
    quote = Quote(
        account_id=account_id,
        lead_id=lead_id,
        contact_id=contact_id,
        currency=_currency(currency or settings.SALES_DEFAULT_CURRENCY),
        valid_until=valid_until or _today() + dt.timedelta(days=settings.QUOTE_VALIDITY_DAYS),
        title=title,
        notes=notes,
        created_by=by,
    )
    if lead_id and not Lead.objects.filter(pk=lead_id).exists():
        raise ValidationError({"lead": [_("No such lead.")]})
    _check_links(quote)
    if quote.valid_until < _today():
        raise ValidationError({"valid_until": [_("The validity date is in the past.")]})
    quote.full_clean(exclude=["number", "account", "lead", "contact"])
    built = _lines_build(lines)
    quote.save()
    quote.refresh_from_db(fields=["number"])  # db_default: the sequence's value
    _lines_replace(quote, built)
    return quote


def _locked_draft(quote_id: UUID) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote_id)
    if quote.status != QuoteStatus.DRAFT:
        message = _("Only drafts can be edited; this quote is %(status)s (revise it instead).") % {
            "status": quote.get_status_display().lower()
        }
        raise Conflict(message, fields={"status": [message]})
    return quote


@transaction.atomic
def quote_update(*, quote_id: UUID, by: User | None = None, lines: Iterable[dict] | None = None, **fields) -> Quote:
    """Change a draft's fields (contact, currency, validity, title, notes); `lines`, when given, replace all its
    lines. Totals are recomputed under the row lock. Conflict (409) unless the quote is a draft."""
    quote = _locked_draft(quote_id)
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError({name.removesuffix("_id"): [_("This field cannot be set.")] for name in sorted(unknown)})
    if "currency" in fields:
        fields["currency"] = _currency(fields["currency"])
    changed = fields_set(quote, fields)
    if "valid_until" in changed and quote.valid_until < _today():
        raise ValidationError({"valid_until": [_("The validity date is in the past.")]})
    _check_links(quote)
    quote.full_clean(exclude=["number", "account", "lead", "contact"])
    if lines is not None:
        _lines_replace(quote, _lines_build(lines))
    elif changed:
        if "currency" in changed:  # rounding follows the currency's minor unit
            current = list(quote.lines.all())
            _recompute(quote, current)
            QuoteLine.objects.bulk_update(current, ["net_amount", "tax_amount"])
        quote.save()
    return quote


# ---- sending -------------------------------------------------------------------------------------------------


def quote_link_token(quote: Quote) -> str:
    """The signed, timestamped token of a quote's no-login link (QUOTE_LINK_MAX_AGE_DAYS; for leads)."""
    return signing.TimestampSigner(salt=LINK_SALT).sign(str(quote.pk))


def quote_link_quote_id(token: str) -> UUID:
    """The quote a link token names. signing.SignatureExpired when too old, signing.BadSignature when tampered."""
    value = signing.TimestampSigner(salt=LINK_SALT).unsign(
        token, max_age=dt.timedelta(days=settings.QUOTE_LINK_MAX_AGE_DAYS)
    )
    try:
        return UUID(value)
    except ValueError:
        raise signing.BadSignature("not a quote") from None


def _recipient(quote: Quote) -> Recipient | None:
    contact = quote.contact
    if contact is None and quote.account_id:
        # The primary contact, else the billing one, else the first linked.
        rank = Case(When(role=ContactRole.PRIMARY, then=0), When(role=ContactRole.BILLING, then=1), default=2)
        link = (
            AccountContact.objects.filter(account_id=quote.account_id, contact__deleted_at__isnull=True)
            .select_related("contact")
            .order_by(rank, "created_at")
            .first()
        )
        contact = link.contact if link else None
    if contact is not None and contact.email:
        return Recipient(key=f"crm.contact:{contact.pk}", name=contact.full_name, email=contact.email)
    if contact is None and quote.account_id and quote.account.email:
        return Recipient(key=f"crm.account:{quote.account_id}", name=quote.account.name, email=quote.account.email)
    if quote.lead_id and quote.lead.email:
        return Recipient(key=f"crm.lead:{quote.lead_id}", name=quote.lead.full_name, email=quote.lead.email)
    return None


def quote_view_url(quote: Quote) -> str:
    """Where the customer reads and answers the quote: their portal page (account), the signed link (lead)."""
    from omni.choices import Audience
    from omni.hosts import portal_url

    if quote.account_id:
        return portal_url(Audience.CUSTOMER, "customer:quote_detail", pk=quote.pk)
    return portal_url(Audience.CUSTOMER, "customer:quote_link", token=quote_link_token(quote))


@transaction.atomic
def quote_send(*, quote_id: UUID, by: User | None = None, now: dt.datetime | None = None) -> Quote:
    """Draft -> sent: render the PDF and email it (attached) to the contact, the account or the lead, with the link
    to view and answer it; record sent_at and crm.quote.sent. Locks the row. Sending a sent quote again changes
    and sends nothing (double clicks); any other status is InvalidTransition (409). A quote without lines, past its
    validity or with nobody to email is a 400 naming the field. Sending a revision expires the sent versions
    before it (the customer answers the newest only)."""
    from ..pdf import quote_pdf  # WeasyPrint is heavy: loaded when a PDF is made

    now = now or timezone.now()
    quote = Quote.objects.select_for_update(of=("self",)).select_related("account", "lead", "contact").get(pk=quote_id)
    if quote.status == QuoteStatus.SENT:
        return quote
    if QuoteStatus.SENT not in QUOTE_TRANSITIONS[quote.status]:
        message = _("A %(status)s quote cannot be sent.") % {"status": quote.get_status_display().lower()}
        raise InvalidTransition(message, fields={"status": [message]})
    if not quote.lines.exists():
        raise ValidationError({"lines": [_("A quote needs at least one line to be sent.")]})
    if quote.valid_until < _today(now):
        raise ValidationError({"valid_until": [_("The validity date has passed; change it before sending.")]})
    recipient = _recipient(quote)
    if recipient is None:
        raise ValidationError({"contact": [_("Nobody to send it to: give the quote a contact with an email.")]})
    superseded = _older_versions_close(quote, now=now)
    quote.status, quote.sent_at = QuoteStatus.SENT, now
    quote.save(update_fields=["status", "sent_at", "updated_at"])
    for pk in superseded:
        events.quote_changed("expired", pk, by_id=by.pk if by else None)
    pdf = quote_pdf(quote)
    url = quote_view_url(quote)
    context = {
        **events.quote_email_context(quote),
        "url": url,
    }
    notifications.notify(
        events.QUOTE_OFFERED,
        [recipient],
        context,
        channels=["email"],
        idempotency_key=f"{events.QUOTE_OFFERED}:{quote.pk}",
        url=url,
        attachments=[Attachment(pdf_filename(quote), pdf, "application/pdf")],
    )
    events.quote_changed("sent", quote.pk, by_id=by.pk if by else None)
    return quote


def _older_versions_close(quote: Quote, *, now: dt.datetime) -> list:
    """Sending a revision replaces the versions before it: the sent ones (locked, so a customer's answer to one
    either lands first or finds it expired) become expired. If one was accepted meanwhile, the revision cannot go
    out (Conflict). Returns the ids made expired."""
    if quote.version == 1:
        return []
    older = list(
        Quote.objects.select_for_update()
        .filter(number=quote.number, version__lt=quote.version, status__in=[QuoteStatus.SENT, QuoteStatus.ACCEPTED])
        .order_by("version")
        .values_list("pk", "version", "status")
    )
    accepted = [version for _pk, version, status in older if status == QuoteStatus.ACCEPTED]
    if accepted:
        message = _("Version %(v)s of this quote was accepted; this revision cannot be sent.") % {"v": accepted[0]}
        raise Conflict(message, fields={"status": [message]})
    ids = [pk for pk, _version, _status in older]
    Quote.objects.filter(pk__in=ids).update(status=QuoteStatus.EXPIRED, updated_at=now)
    return ids


def pdf_filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.version}.pdf" if quote.version > 1 else f"{quote.number}.pdf"


# ---- revising ------------------------------------------------------------------------------------------------

REVISABLE = {QuoteStatus.SENT, QuoteStatus.REJECTED, QuoteStatus.EXPIRED}


@transaction.atomic
def quote_revise(*, quote_id: UUID, by: User | None = None) -> Quote:
    """A sent, rejected or expired quote copied into a new draft: same number, the next version, revision_of set,
    validity from today. The old version is untouched. Conflict (409) for a draft or an accepted quote, or when a
    newer version exists already (two revisions at once: one wins, the row lock and the unique number+version)."""
    quote = Quote.objects.select_for_update().get(pk=quote_id)
    if quote.status not in REVISABLE:
        message = _("A %(status)s quote cannot be revised.") % {"status": quote.get_status_display().lower()}
        raise InvalidTransition(message, fields={"status": [message]})
    latest = Quote.objects.filter(number=quote.number).order_by("-version").values_list("version", flat=True)[0]
    if latest != quote.version:
        message = _("Version %(v)s of %(number)s exists already; revise that one.") % {
            "v": latest,
            "number": quote.number,
        }
        raise Conflict(message, fields={"version": [message]})
    draft = Quote(
        number=quote.number,
        version=quote.version + 1,
        revision_of=quote,
        account_id=quote.account_id,
        lead_id=quote.lead_id,
        contact_id=quote.contact_id,
        title=quote.title,
        currency=quote.currency,
        valid_until=max(_today() + dt.timedelta(days=settings.QUOTE_VALIDITY_DAYS), quote.valid_until),
        notes=quote.notes,
        created_by=by,
    )
    lines = [
        QuoteLine(position=line.position, **{f: getattr(line, f) for f in LINE_FIELDS}) for line in quote.lines.all()
    ]
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:  # crm_quote_number_version_unique: another revision won
        raise Conflict(_("Another revision of this quote was just made."), fields={"version": ["exists"]}) from None
    _lines_replace(draft, lines)
    return draft


# ---- answers ------------------------------------------------------------------------------------------------


def _locked_open(quote_id: UUID, now: dt.datetime) -> Quote:
    """The sent quote, locked; QuoteDecided / QuoteExpired / InvalidTransition (409) otherwise."""
    quote = Quote.objects.select_for_update().get(pk=quote_id)
    if quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.REJECTED):
        message = _("This quote was already %(status)s on %(when)s.") % {
            "status": quote.get_status_display().lower(),
            "when": timezone.localtime(quote.decided_at).strftime("%Y-%m-%d %H:%M") if quote.decided_at else "?",
        }
        raise QuoteDecided(message, fields={"status": [message]})
    if quote.status == QuoteStatus.EXPIRED or (quote.status == QuoteStatus.SENT and quote.valid_until < _today(now)):
        message = _("This quote expired on %(date)s; ask for a new one.") % {
            "date": (quote.valid_until + dt.timedelta(days=1)).isoformat()
        }
        raise QuoteExpired(message, fields={"valid_until": [message]})
    if quote.status != QuoteStatus.SENT:
        message = _("This quote has not been sent yet.")
        raise InvalidTransition(message, fields={"status": [message]})
    return quote


def _decide(
    quote_id: UUID, to: str, *, name: str, ip: str, by: User | None, reason: str, now: dt.datetime | None
) -> Quote:
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Type your full name.")]})
    quote = _locked_open(quote_id, now)
    quote.status, quote.decided_at, quote.decided_name = to, now, name[:200]
    quote.decided_ip, quote.decided_by = ip or None, by if by and by.is_authenticated else None
    quote.rejection_reason = reason.strip() if to == QuoteStatus.REJECTED else ""
    quote.full_clean(exclude=["number", "account", "lead", "contact"], validate_constraints=False)
    quote.save(
        update_fields=[
            "status",
            "decided_at",
            "decided_name",
            "decided_ip",
            "decided_by",
            "rejection_reason",
            "updated_at",
        ]
    )
    events.quote_changed(to, quote.pk, by_id=quote.decided_by_id)
    return quote


@transaction.atomic
def quote_accept(
    *, quote_id: UUID, name: str, ip: str = "", by: User | None = None, now: dt.datetime | None = None
) -> Quote:
    """The customer accepts a sent quote: records the typed name, the time and the IP (and the user: a customer
    user, or staff recording it on the customer's behalf). Locks the row. Accepting twice, after a rejection or
    after expiry is a 409 and changes nothing; `name` is required (400)."""
    return _decide(quote_id, QuoteStatus.ACCEPTED, name=name, ip=ip, by=by, reason="", now=now)


@transaction.atomic
def quote_reject(
    *,
    quote_id: UUID,
    name: str,
    ip: str = "",
    reason: str = "",
    by: User | None = None,
    now: dt.datetime | None = None,
) -> Quote:
    """The customer rejects a sent quote, with an optional reason; the same rules as quote_accept."""
    return _decide(quote_id, QuoteStatus.REJECTED, name=name, ip=ip, by=by, reason=reason, now=now)


# ---- expiry -------------------------------------------------------------------------------------------------


@transaction.atomic
def quote_expire_due(*, now: dt.datetime | None = None) -> list[UUID]:
    """Beat, daily: every sent quote whose validity date is before today (TIME_ZONE) becomes expired, in one
    set-based UPDATE ... RETURNING; crm.quote.expired for each. Idempotent: a second run finds none. Returns ids.
    (An UPDATE writes no simple_history row; the expiry is in the status and the event.)"""
    now = now or timezone.now()
    # The table name is ours (no input reaches the SQL text); the values are parameters.
    sql = f"UPDATE {Quote._meta.db_table} SET status = %s, updated_at = %s WHERE status = %s AND valid_until < %s"
    with connection.cursor() as cursor:
        cursor.execute(
            sql + " RETURNING id",
            [QuoteStatus.EXPIRED, now, QuoteStatus.SENT, _today(now)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for quote_id in ids:
        events.quote_changed("expired", quote_id)
    return ids
