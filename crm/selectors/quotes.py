"""Reads of quotes, one selector per audience (out of scope is `none()`, a 404 upstream), and the quote as the API
prints it (quote_dict: the API's body and the crm.quote.* event payload are this one function)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from omni.choices import Audience
from omni.models import User

from .. import money
from ..choices import QuoteStatus
from ..models import Quote, QuoteLine, Reseller
from .accounts import _as_json, _audience_selector

__all__ = [
    "quote_dict",
    "quote_for_link",
    "quote_list_for_customer",
    "quote_list_for_reseller",
    "quote_list_for_staff",
    "quote_list_visible_to",
    "quote_payload",
    "quote_versions",
]

TOTAL_FIELDS = ("subtotal_one_off", "tax_one_off", "total_one_off", "subtotal_monthly", "tax_monthly", "total_monthly")


def _quotes() -> QuerySet[Quote]:
    lines = QuoteLine.objects.order_by("position", "created_at")
    return Quote.objects.select_related("account", "lead", "contact").prefetch_related(Prefetch("lines", lines))


def quote_list_for_staff(*, user: User) -> QuerySet[Quote]:
    """Every quote (the role's crm.view_quote is checked by the views)."""
    return _quotes()


def quote_list_for_customer(*, user: User) -> QuerySet[Quote]:
    """The quotes sent to the user's (live) account: never drafts."""
    return (
        _quotes()
        .filter(account__portal_users__user=user, account__deleted_at__isnull=True)
        .exclude(status=QuoteStatus.DRAFT)
    )


def quote_list_for_reseller(*, user: User) -> QuerySet[Quote]:
    """The quotes of the reseller's accounts and leads, drafts included (they sell on them), read-only."""
    resellers = Reseller.objects.filter(portal_users__user=user).values("pk")
    return _quotes().filter(Q(account__reseller__in=resellers) | Q(lead__reseller__in=resellers))


def quote_list_visible_to(*, user: User) -> QuerySet[Quote]:
    selector = _audience_selector(
        user,
        {
            Audience.STAFF: quote_list_for_staff,
            Audience.CUSTOMER: quote_list_for_customer,
            Audience.RESELLER: quote_list_for_reseller,
        },
    )
    return selector(user=user) if selector else Quote.objects.none()  # vendors: no quotes


def quote_for_link(*, quote_id) -> Quote | None:
    """The quote a lead's signed link names (crm.services.quote_link_quote_id): a lead's quote, once sent."""
    return _quotes().filter(pk=quote_id, lead__isnull=False).exclude(status=QuoteStatus.DRAFT).first()


def quote_versions(*, quote: Quote, queryset: QuerySet[Quote]) -> QuerySet[Quote]:
    """Every version of the quote's number within `queryset` (the viewer's), newest first."""
    versions = queryset.select_related(None).prefetch_related(None).filter(number=quote.number)
    return versions.order_by("-version").only("id", "number", "version", "status")


def _line_dict(line: QuoteLine, currency: str) -> dict:
    minor = money.minor_units(currency)
    return {
        "id": line.pk,
        "position": line.position,
        "description": line.description,
        "quantity": money.decimal_string(line.quantity),
        "unit_price": money.decimal_string(line.unit_price, min_places=minor),
        "discount_percent": money.decimal_string(line.discount_percent),
        "tax_rate": money.decimal_string(line.tax_rate),
        "recurring": line.recurring,
        "net_amount": money.money_string(line.net_amount, currency),
        "tax_amount": money.money_string(line.tax_amount, currency),
    }


def quote_dict(quote: Quote, *, internal: bool) -> dict:
    """The quote as the API prints it (money as strings with the currency's minor digits; `decided_ip` for staff
    only). Reads the prefetched lines (no query with _quotes())."""
    data = {
        "id": quote.pk,
        "number": quote.number,
        "version": quote.version,
        "revision_of": quote.revision_of_id,
        "status": quote.status,
        "account": quote.account_id,
        "lead": quote.lead_id,
        "contact": quote.contact_id,
        "title": quote.title,
        "currency": quote.currency,
        "valid_until": quote.valid_until,
        "notes": quote.notes,
        "lines": [_line_dict(line, quote.currency) for line in quote.lines.all()],
        **{name: money.money_string(getattr(quote, name), quote.currency) for name in TOTAL_FIELDS},
        "sent_at": quote.sent_at,
        "decided_at": quote.decided_at,
        "decided_name": quote.decided_name,
        "decided_ip": quote.decided_ip if internal else None,
        "rejection_reason": quote.rejection_reason,
        "created_at": quote.created_at,
        "updated_at": quote.updated_at,
    }
    return data


def quote_payload(quote_id) -> dict:
    """The quote as the API shows it to staff, as JSON data: the payload of crm.quote.* events."""
    return _as_json(quote_dict(_quotes().get(pk=quote_id), internal=True))
