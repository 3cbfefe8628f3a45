"""Quote money: Decimal only, half-to-even rounding to each currency's minor unit, totals against a table worked
out by hand, in NGN (2 digits) and JPY (0 digits); floats refused; 0.1 + 0.2 is exactly 0.30."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm import money, services
from crm.models import QuoteLine
from tests.crm.quote_support import quote_make

# Three lines, two with discounts, two tax rates (7.5 % and 5 %), one of them monthly. Worked out by hand:
#   L1 3 x 1234.565 less 12.5 %  = 3240.733125   tax 7.5 % of the rounded net
#   L2 2 x  999.995              = 1999.99       tax 7.5 %
#   L3 1 x   12.75  less 5.1 %   =   12.09975    tax 5 %, monthly
TABLE_LINES = [
    {"description": "L1", "quantity": "3", "unit_price": "1234.565", "discount_percent": "12.5", "tax_rate": "7.5"},
    {"description": "L2", "quantity": "2", "unit_price": "999.995", "tax_rate": "7.5"},
    {
        "description": "L3",
        "quantity": "1",
        "unit_price": "12.75",
        "discount_percent": "5.1",
        "tax_rate": "5",
        "recurring": True,
    },
]
EXPECTED = {
    # currency: ([(net, tax) per line], one-off subtotal/tax/total, monthly subtotal/tax/total)
    "NGN": (
        # L1 tax 243.05475 -> 243.05; L2 tax 149.99925 -> 150.00; L3 net 12.10, tax 0.605 -> 0.60 (half to even)
        [("3240.73", "243.05"), ("1999.99", "150.00"), ("12.10", "0.60")],
        ("5240.72", "393.05", "5633.77"),
        ("12.10", "0.60", "12.70"),
    ),
    "JPY": (
        # L1 net 3241, tax 243.075 -> 243; L2 net 2000, tax 150; L3 net 12, tax 0.6 -> 1
        [("3241", "243"), ("2000", "150"), ("12", "1")],
        ("5241", "393", "5634"),
        ("12", "1", "13"),
    ),
}


@pytest.mark.parametrize("currency", ["NGN", "JPY"])
def test_totals_match_the_hand_computed_table(db, account, currency):
    quote = quote_make(account=account, currency=currency, lines=TABLE_LINES)
    lines, one_off, monthly = EXPECTED[currency]
    stored = QuoteLine.objects.filter(quote=quote).order_by("position")
    assert [
        (str(money.round_money(x.net_amount, currency)), str(money.round_money(x.tax_amount, currency))) for x in stored
    ] == lines
    quote.refresh_from_db()
    as_text = [
        str(money.round_money(getattr(quote, name), currency))
        for name in (
            "subtotal_one_off",
            "tax_one_off",
            "total_one_off",
            "subtotal_monthly",
            "tax_monthly",
            "total_monthly",
        )
    ]
    assert as_text == [*one_off, *monthly]
    # Stored exactly: no digits below the minor unit.
    assert quote.total_one_off == Decimal(one_off[2]) and quote.total_monthly == Decimal(monthly[2])


def test_changing_the_currency_of_a_draft_rounds_again(db, account):
    quote = quote_make(account=account, currency="NGN", lines=TABLE_LINES)
    services.quote_update(quote_id=quote.pk, currency="JPY")
    quote.refresh_from_db()
    assert (quote.total_one_off, quote.total_monthly) == (Decimal(5634), Decimal(13))


def test_point_one_plus_point_two_is_exactly_point_three(db, account):
    assert 0.1 + 0.2 != 0.3  # what a float would have done
    quote = quote_make(
        account=account,
        currency="NGN",
        lines=[
            {"description": "a", "unit_price": "0.10"},
            {"description": "b", "unit_price": "0.20"},
        ],
    )
    quote.refresh_from_db()
    assert quote.total_one_off == Decimal("0.30")
    assert money.money_string(quote.total_one_off, "NGN") == "0.30"
    # Ten lines of 0.1 (as Decimal, and as int quantities x "0.1") are exactly 1.00.
    tenths = quote_make(
        account=account, currency="NGN", lines=[{"description": "x", "unit_price": Decimal("0.1")}] * 10
    )
    tenths.refresh_from_db()
    assert str(money.round_money(tenths.total_one_off, "NGN")) == "1.00"


@pytest.mark.parametrize("field", ["unit_price", "quantity", "discount_percent", "tax_rate"])
def test_a_float_is_refused_naming_the_line_and_field(db, account, field):
    line = {"description": "x", "unit_price": "1.00", field: 0.1}
    with pytest.raises(ValidationError) as caught:
        quote_make(account=account, lines=[line])
    assert "lines" in caught.value.message_dict
    assert f"Line 1: {field}" in caught.value.message_dict["lines"][0]
    assert "float" in caught.value.message_dict["lines"][0]


def test_to_decimal_takes_strings_ints_and_decimals_only():
    assert money.to_decimal("0.10") == Decimal("0.10")
    assert money.to_decimal(3) == Decimal(3)
    assert money.to_decimal(Decimal("1.5")) == Decimal("1.5")
    for bad in (0.1, True, None, "abc", "NaN", "Infinity", [1]):
        with pytest.raises(ValidationError):
            money.to_decimal(bad)


def test_round_money_is_half_to_even_at_each_minor_unit():
    assert money.round_money(Decimal("0.125"), "NGN") == Decimal("0.12")
    assert money.round_money(Decimal("0.135"), "NGN") == Decimal("0.14")
    assert money.round_money(Decimal("2.5"), "JPY") == Decimal("2")
    assert money.round_money(Decimal("3.5"), "JPY") == Decimal("4")
    assert money.round_money(Decimal("1.0005"), "KWD") == Decimal("1.000")
    assert money.round_money(Decimal("1.0015"), "KWD") == Decimal("1.002")
    with pytest.raises(TypeError):
        money.round_money(0.5, "NGN")


def test_minor_units_follow_iso_4217():
    assert [money.minor_units(c) for c in ("NGN", "USD", "JPY", "KRW", "XOF", "UGX", "KWD", "BHD", "TND", "eur")] == [
        2,
        2,
        0,
        0,
        0,
        0,
        3,
        3,
        3,
        2,
    ]


def test_formatting_for_people_and_for_the_api():
    assert money.money_text(Decimal("1234567.5"), "NGN") == "NGN 1,234,567.50"
    assert money.money_text(Decimal("12000"), "JPY") == "JPY 12,000"
    assert money.money_string(Decimal("5.5000"), "NGN") == "5.50"
    assert money.money_string(Decimal("5.0000"), "KWD") == "5.000"
    assert money.decimal_string(Decimal("3.000")) == "3"
    assert money.decimal_string(Decimal("0.1000"), min_places=2) == "0.10"
    assert money.decimal_string(Decimal("12.3456"), min_places=2) == "12.3456"
