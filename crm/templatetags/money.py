"""`{{ amount|money:currency }}`: an amount as people read it, with the currency's minor digits (crm.money)."""

from django import template

from crm import money as money_module

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    return money_module.money_text(amount, currency)


@register.filter
def decimal(value, places: int = 0) -> str:
    """An exact decimal without needless trailing zeros (quantities, unit prices, rates)."""
    return "" if value in (None, "") else money_module.decimal_string(value, min_places=int(places))


@register.filter
def price(value, currency: str) -> str:
    """A unit price: at least the currency's minor digits, more when it has them (0.1250)."""
    if value in (None, ""):
        return ""
    return money_module.decimal_string(value, min_places=money_module.minor_units(currency))


@register.filter
def minor_units(currency: str) -> int:
    return money_module.minor_units(currency)
