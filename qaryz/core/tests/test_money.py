"""Money: Decimal KZT, documented rounding, no floats (R-SRV-1, R-DISB-1)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaryz.core.money import (
    MoneyError,
    allocate,
    format_money,
    parse_money,
    percent_of,
    round_money,
    to_money,
)

amounts = st.decimals(min_value=Decimal("-99999999999.99"), max_value=Decimal("99999999999.99"), places=2)


@pytest.mark.req("R-DISB-1")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1.005"), Decimal("1.01")),
        (Decimal("1.004999"), Decimal("1.00")),
        (Decimal("-1.005"), Decimal("-1.01")),
        (Decimal("2.675"), Decimal("2.68")),  # the classic float trap: 2.675 is 2.67499... as a float
        (10, Decimal("10.00")),
        ("0.125", Decimal("0.13")),
    ],
)
def test_rounding_is_half_up_to_the_tiyn(value, expected):
    result = to_money(value)
    assert result == expected and result.as_tuple().exponent == -2


@pytest.mark.req("R-DISB-1")
@pytest.mark.parametrize("bad", [1.5, 0.1, True, None, [1]])
def test_floats_and_other_types_are_refused(bad):
    with pytest.raises(TypeError):
        to_money(bad)
    with pytest.raises(TypeError):
        format_money(bad)


@pytest.mark.req("R-SRV-1")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 000,50", Decimal("1000.50")),
        ("1\u00a0000,5", Decimal("1000.50")),
        ("1000.50", Decimal("1000.50")),
        ("1,000.50", Decimal("1000.50")),
        ("1.000,50", Decimal("1000.50")),
        ("150 000 ₸", Decimal("150000.00")),
        ("150000 тг", Decimal("150000.00")),
        ("2,000,000", Decimal("2000000.00")),
        ("0,99", Decimal("0.99")),
        ("7", Decimal("7.00")),
    ],
)
def test_parse_user_input(text, expected):
    assert parse_money(text) == expected


@pytest.mark.req("R-SRV-1")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1,000", "ambiguous"),
        ("10.555", "precision"),
        ("-5", "negative"),
        ("abc", "invalid"),
        ("", "invalid"),
        ("1.2.3", "invalid"),
        ("1e5", "invalid"),
        ("NaN", "invalid"),
        ("999999999999999", "too_large"),
    ],
)
def test_parse_rejections(text, code):
    with pytest.raises(MoneyError) as err:
        parse_money(text)
    assert err.value.code == code


def test_parse_negative_when_allowed():
    assert parse_money("-1 000,00", allow_negative=True) == Decimal("-1000.00")


@pytest.mark.req("R-SRV-1")
def test_format_per_language():
    assert format_money(Decimal("1234567.5"), "ru") == "1\u00a0234\u00a0567,50\u00a0₸"
    assert format_money(Decimal("1234567.5"), "kk") == "1\u00a0234\u00a0567,50\u00a0₸"
    assert format_money(Decimal("1234567.5"), "en") == "KZT 1,234,567.50"
    assert format_money(Decimal("-0.5"), "en", symbol=False) == "-0.50"


@pytest.mark.req("R-SRV-1")
@given(amounts, st.sampled_from(["ru", "kk", "en"]))
def test_format_parse_round_trip(amount, language):
    text = format_money(amount, language)
    assert parse_money(text, allow_negative=True) == amount


@pytest.mark.req("R-DISB-1")
@given(amounts, st.integers(min_value=1, max_value=400))
def test_allocate_sums_exactly(total, parts):
    shares = allocate(total, parts)
    assert len(shares) == parts
    assert sum(shares, Decimal("0")) == total
    assert max(shares) - min(shares) <= Decimal("0.01")
    assert all(s.as_tuple().exponent == -2 for s in shares)


def test_allocate_known_vector():
    assert allocate(Decimal("100"), 3) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


@given(
    st.decimals(
        min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False, places=6
    )
)
def test_round_money_is_within_half_a_tiyn(value):
    rounded = round_money(value)
    assert abs(rounded - value) <= Decimal("0.005")
    assert round_money(rounded) == rounded


def test_percent_of_rounds_once():
    assert percent_of(Decimal("333.33"), Decimal("1.5")) == Decimal("5.00")  # 4.99995 -> 5.00
    with pytest.raises(TypeError):
        percent_of(Decimal("1"), 1.5)  # type: ignore[arg-type]


@pytest.mark.req("R-PRE-3")
def test_money_template_filter_follows_the_language():
    from django.template import Context, Template
    from django.utils import translation

    template = Template('{% load money %}{{ a|money }}|{{ b|money:"plain" }}|{{ c|money }}|{{ d|money }}')
    context = Context({"a": Decimal("1234567.5"), "b": "300000.00", "c": None, "d": "n/a"})
    with translation.override("ru"):
        assert template.render(context) == "1\u00a0234\u00a0567,50\u00a0₸|300\u00a0000,00|—|n/a"
    with translation.override("en"):
        assert template.render(context) == "KZT 1,234,567.50|300,000.00|—|n/a"
