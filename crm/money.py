"""Money in Decimal only: each currency's minor unit (ISO 4217), rounding half to even to it, quote line and total
arithmetic, and formatting for pages and PDFs. A float never enters: `to_decimal` refuses one (0.1 + 0.2 is
0.30000000000000004 as floats, exactly 0.30 here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import ValidationError

# ISO 4217 currencies whose minor unit is not 2 (cents). Every other code has 2.
MINOR_UNITS: dict[str, int] = {
    # no minor unit in use
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV"], 0
    ),
    **dict.fromkeys(["XAF", "XOF", "XPF"], 0),
    # thousandths
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    # ten-thousandths (accounting units)
    **dict.fromkeys(["CLF", "UYW"], 4),
}
HUNDRED = Decimal(100)


def minor_units(currency: str) -> int:
    """Digits after the decimal point of `currency` (ISO 4217): JPY 0, NGN 2, KWD 3."""
    return MINOR_UNITS.get(currency.upper(), 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value, *, field: str = "amount") -> Decimal:
    """A Decimal from a Decimal, an int or a numeric string; a float (or anything else) is a ValidationError
    naming `field`: a float has already lost the exact amount."""
    if isinstance(value, bool | float):
        raise ValidationError({field: [f"Send {field} as a string or a decimal, never a float."]})
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError({field: [f"{value!r} is not a number."]}) from None
    else:
        raise ValidationError({field: [f"Send {field} as a string or a decimal."]})
    if not number.is_finite():
        raise ValidationError({field: ["Must be a finite number."]})
    return number


def round_money(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half to even (banker's rounding) to the currency's minor unit."""
    if isinstance(amount, float):
        raise TypeError("Money is never a float.")
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal, currency: str
) -> LineAmounts:
    """net = round(quantity x unit price x (1 - discount/100)); tax = round(net x rate/100), both to the minor unit:
    tax is on the rounded net, so the printed net and tax add up to the printed total."""
    net = round_money(quantity * unit_price * (1 - discount_percent / HUNDRED), currency)
    return LineAmounts(net=net, tax=round_money(net * tax_rate / HUNDRED, currency))


@dataclass(frozen=True)
class Totals:
    subtotal_one_off: Decimal
    tax_one_off: Decimal
    total_one_off: Decimal
    subtotal_monthly: Decimal
    tax_monthly: Decimal
    total_monthly: Decimal

    def as_dict(self) -> dict[str, Decimal]:
        return dict(self.__dict__)


def totals(lines: Iterable[tuple[LineAmounts, bool]], currency: str) -> Totals:
    """Sums of the (rounded) line amounts, one-off and monthly apart; `lines` are (amounts, recurring) pairs."""
    zero = round_money(Decimal(0), currency)
    sums = {True: [zero, zero], False: [zero, zero]}
    for amounts, recurring in lines:
        sums[bool(recurring)][0] += amounts.net
        sums[bool(recurring)][1] += amounts.tax
    (net_once, tax_once), (net_month, tax_month) = sums[False], sums[True]
    return Totals(net_once, tax_once, net_once + tax_once, net_month, tax_month, net_month + tax_month)


def money_text(amount: Decimal | None, currency: str) -> str:
    """Amount as people read it: `NGN 1,234,567.50`, `JPY 12,000`, with the currency's minor digits."""
    if amount is None:
        return ""
    return f"{currency} {round_money(Decimal(amount), currency):,}"


def money_string(amount: Decimal, currency: str) -> str:
    """Amount as the API sends it: a string with exactly the currency's minor digits (`"1234.50"`, `"12000"`)."""
    return str(round_money(Decimal(amount), currency))


def decimal_string(value: Decimal, *, min_places: int = 0) -> str:
    """An exact decimal as a string without needless trailing zeros, keeping at least `min_places` digits after
    the point: 3.000 -> "3", unit price 0.1000 in NGN -> "0.10", 12.3456 -> "12.3456"."""
    value = Decimal(value)
    places = max(min_places, -value.normalize().as_tuple().exponent)
    return str(value.quantize(Decimal(1).scaleb(-places)))
