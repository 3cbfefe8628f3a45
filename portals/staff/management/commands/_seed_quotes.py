"""The sales part of the demo (seed_demo calls seed_quotes): quotes for the demo customer's account and a few resold
accounts, one of each kind: a draft, a sent one, an accepted one, and a revision.

Idempotent: nothing is added once a demo quote exists (title prefix "Demo:"). Quotes go through the services, so
their numbers, totals, PDFs, emails and events are real."""

import datetime

from django.db import transaction
from django.utils import timezone

from crm import services
from crm.models import Account, Quote
from omni.choices import Role
from omni.models import User

OFFERS = [
    [
        {"description": "Fibre installation", "unit_price": "25000.00", "tax_rate": "7.5"},
        {"description": "WiFi 6 router", "quantity": "1", "unit_price": "45000.00", "discount_percent": "10",
         "tax_rate": "7.5"},
        {"description": "Home Fibre 100 Mbps", "unit_price": "30000.00", "tax_rate": "7.5", "recurring": True},
    ],
    [
        {"description": "Business fibre installation", "unit_price": "150000.00", "tax_rate": "7.5"},
        {"description": "Static IP block (/29)", "unit_price": "15000.00", "tax_rate": "7.5", "recurring": True},
        {"description": "Business Fibre 500 Mbps", "unit_price": "250000.00", "discount_percent": "5",
         "tax_rate": "7.5", "recurring": True},
    ],
]  # fmt: skip


@transaction.atomic
def seed_quotes(*, domain: str) -> None:
    if Quote.objects.filter(title__startswith="Demo:").exists():
        return
    sales = User.objects.filter(email=f"{Role.SALES.lower()}@{domain}").first()
    home = Account.objects.filter(email=f"acc0001@{domain}").first()
    resold = list(Account.objects.live().filter(reseller__isnull=False).order_by("number")[:2])
    targets = [account for account in [home, *resold] if account is not None]
    today = timezone.localdate()
    for index, account in enumerate(targets):
        lines = OFFERS[index % len(OFFERS)]
        services.quote_create(account_id=account.pk, by=sales, title="Demo: upgrade offer", lines=lines)
        sent = services.quote_create(
            account_id=account.pk,
            by=sales,
            title="Demo: new service",
            lines=lines,
            valid_until=today + datetime.timedelta(days=21),
            notes="Prices include installation within 5 working days.",
        )
        if _has_recipient(account):
            services.quote_send(quote_id=sent.pk, by=sales)
            if index == 0:
                accepted = services.quote_create(
                    account_id=account.pk, by=sales, title="Demo: extra access point", lines=lines[1:2]
                )
                services.quote_send(quote_id=accepted.pk, by=sales)
                services.quote_accept(quote_id=accepted.pk, name=account.name, ip="127.0.0.1")
                services.quote_revise(quote_id=sent.pk, by=sales)


def _has_recipient(account) -> bool:
    return bool(account.email) or account.contact_links.filter(contact__email__gt="").exists()
