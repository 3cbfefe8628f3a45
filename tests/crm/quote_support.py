"""Rows for the quote tests: leads (the lead work has its own factories; these stay minimal) and quotes made
through the services, as the product makes them."""

from crm import services
from crm.models import Lead, LeadStage
from tests.crm.factories import ContactFactory, link

LINES = [
    {"description": "Installation", "quantity": "1", "unit_price": "25000.00", "tax_rate": "7.5"},
    {"description": "Router", "quantity": "2", "unit_price": "18999.99", "discount_percent": "10", "tax_rate": "7.5"},
    {"description": "Fibre 100 Mbps", "quantity": "1", "unit_price": "30000", "tax_rate": "5", "recurring": True},
]


def lead_make(**fields) -> Lead:
    fields.setdefault("first_name", "Ngozi")
    fields.setdefault("last_name", "Okafor")
    fields.setdefault("email", "ngozi@example.com")
    fields.setdefault("stage", LeadStage.objects.order_by("position").first())
    return Lead.objects.create(**fields)


def contact_on(account, email="buyer@example.com"):
    contact = ContactFactory(email=email)
    link(contact, account)
    return contact


def quote_make(*, account=None, lead=None, lines=LINES, by=None, **fields):
    return services.quote_create(
        account_id=account.pk if account else None, lead_id=lead.pk if lead else None, lines=lines, by=by, **fields
    )


def quote_sent(*, account=None, lead=None, **fields):
    quote = quote_make(account=account, lead=lead, **fields)
    if account is not None and not account.contact_links.exists():
        contact_on(account)
    return services.quote_send(quote_id=quote.pk)
