"""Exact money: yuan text → fen → display round trips, refusals, rates, spreadsheet numbers."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalsys.domain.money import (
    MAX_FEN, MoneyError, fen_from_decimal, fen_from_number, fen_to_decimal, format_fen,
    parse_yuan, rate, rate_bp, yuan_to_fen,
)

fens = st.integers(min_value=0, max_value=MAX_FEN - 1)


@pytest.mark.parametrize("text,fen", [
    ("1234.5", 123450), ("1,234.56", 123456), ("１２３４．５６", 123456), ("¥1234", 123400),
    ("￥１，２３４", 123400), (" 0.01 ", 1), ("12元", 1200), ("1,000,000", 100_000_000),
    ("007.10", 710), ("0", 0),
])
def test_parse_accepts(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", [
    "1.234", "1,234.567", "1e3", "1E3", "NaN", "nan", "Infinity", "-inf", "", "  ", ".5", "5.",
    "1,23", "12,34.5", ",123", "1 234", "+5", "--5", "٣٤", "１.２３４", "1.2.3", "0x10", "1_000",
    "¥", "五元",
])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_yuan(text)


def test_too_many_decimals_has_its_own_message() -> None:
    with pytest.raises(MoneyError, match="两位小数"):
        parse_yuan("12.345")


def test_negative_only_when_allowed() -> None:
    with pytest.raises(MoneyError, match="负数"):
        parse_yuan("-12.30")
    assert parse_yuan("-12.30", allow_negative=True) == -1230
    assert parse_yuan("－¥1,000", allow_negative=True) == -100000
    with pytest.raises(MoneyError):
        fen_from_decimal(Decimal("-1"))


def test_bounds() -> None:
    with pytest.raises(MoneyError, match="过大"):
        parse_yuan("9" * 40)
    with pytest.raises(MoneyError, match="过大"):
        parse_yuan(format_fen(MAX_FEN))
    assert parse_yuan(format_fen(MAX_FEN - 1)) == MAX_FEN - 1


@given(fens, st.booleans())
def test_round_trip_fen_display_parse(fen: int, grouping: bool) -> None:
    assert parse_yuan(format_fen(fen, grouping=grouping)) == fen


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99),
       st.sampled_from(["plain", "grouped", "one_decimal", "no_decimal", "full_width", "yen"]))
def test_round_trip_yuan_text_to_display(whole: int, cents: int, style: str) -> None:
    """Whatever way a person writes an amount, it displays as the canonical grouped form."""
    if style == "plain":
        text = f"{whole}.{cents:02d}"
    elif style == "grouped":
        text = f"{whole:,}.{cents:02d}"
    elif style == "one_decimal":
        cents -= cents % 10
        text = f"{whole}.{cents // 10}"
    elif style == "no_decimal":
        cents = 0
        text = str(whole)
    elif style == "full_width":
        text = f"{whole}.{cents:02d}".translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})
        text = text.replace(".", "．")
    else:
        text = f"¥{whole:,}.{cents:02d}"
    fen = parse_yuan(text)
    assert fen == whole * 100 + cents
    assert format_fen(fen) == f"{whole:,}.{cents:02d}"
    assert fen_to_decimal(fen) == Decimal(f"{whole}.{cents:02d}")


@given(st.integers(min_value=-(MAX_FEN - 1), max_value=MAX_FEN - 1))
def test_round_trip_through_decimal(fen: int) -> None:
    assert fen_from_decimal(fen_to_decimal(fen), allow_negative=True) == fen


def test_format_fen() -> None:
    assert format_fen(123456) == "1,234.56"
    assert format_fen(5) == "0.05"
    assert format_fen(-100) == "-1.00"
    assert format_fen(123456789, grouping=False) == "1234567.89"


@pytest.mark.parametrize("value", [1.5, True, Decimal("1.5")])
def test_format_fen_refuses_non_int(value: object) -> None:
    with pytest.raises(TypeError):
        format_fen(value)  # type: ignore[arg-type]


def test_float_is_refused_everywhere_but_fen_from_number() -> None:
    for func in (parse_yuan, yuan_to_fen, fen_from_decimal, fen_to_decimal):
        with pytest.raises(TypeError):
            func(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rate(1.0, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ambiguous"):
        yuan_to_fen(12)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"),
                                   Decimal("sNaN"), Decimal("0.001"), Decimal("1E+20")])
def test_fen_from_decimal_refuses(value: Decimal) -> None:
    with pytest.raises(MoneyError):
        fen_from_decimal(value)


def test_fen_from_decimal_accepts_exact_trailing_zeros() -> None:
    assert fen_from_decimal(Decimal("1.230")) == 123
    assert fen_from_decimal(Decimal("1E+3")) == 100000


@pytest.mark.parametrize("value,fen", [(1234.56, 123456), (0.1, 10), (1234, 123400),
                                       (99999999.99, 9999999999), (1e6, 100_000_000)])
def test_fen_from_number_accepts_whole_fen(value: float, fen: int) -> None:
    assert fen_from_number(value) == fen


@pytest.mark.parametrize("value", [0.1 + 0.2, 1.005, 1e-3, float("nan"), float("inf"), 1e300])
def test_fen_from_number_refuses_sub_fen_and_non_finite(value: float) -> None:
    with pytest.raises(MoneyError):
        fen_from_number(value)


@pytest.mark.parametrize("value", ["12", Decimal("12"), True, None])
def test_fen_from_number_types(value: object) -> None:
    with pytest.raises(TypeError):
        fen_from_number(value)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**13 - 1))
def test_fen_from_number_matches_typed_amounts(fen: int) -> None:
    """A cell typed as an amount with two decimals comes back exactly, as xlsx stores doubles."""
    as_double = float(f"{fen // 100}.{fen % 100:02d}")
    assert fen_from_number(as_double) == fen


@pytest.mark.parametrize("num,den,expected", [
    (13, 16, "0.8125"), (1, 3, "0.3333"), (2, 3, "0.6667"), (1, 20000, "0.0001"),
    (1, 20001, "0.0000"), (3, 2, "1.5000"), (0, 5, "0.0000"), (-1, 20000, "-0.0001"),
    (5, 0, None), (0, 0, None),
])
def test_rate(num: int, den: int, expected: str | None) -> None:
    assert rate(num, den) == expected


@given(st.integers(min_value=-10**15, max_value=10**15), st.integers(min_value=1, max_value=10**15))
def test_rate_is_half_up_of_the_exact_quotient(num: int, den: int) -> None:
    # Independent reference: Fraction arithmetic, halves away from zero.
    q = Fraction(num, den) * 10_000
    ref = int(abs(q) + Fraction(1, 2)) * (1 if q >= 0 else -1)
    assert Decimal(rate(num, den)) == Decimal(ref).scaleb(-4)
    assert rate_bp(num, den) == ref


def test_rate_bp() -> None:
    assert rate_bp(13, 16) == 8125
    assert rate_bp(1, 0) is None
