"""The one way numbers reach people: exact, separated, never scientific, a unit after each value."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from evalsys.domain import formatting as fmt


@pytest.mark.parametrize("fen, text", [
    (0, "0.00 元"), (5, "0.05 元"), (123456789, "1,234,567.89 元"), (-150, "-1.50 元"),
    (1240000000, "12,400,000.00 元"),
])
def test_yuan(fen, text):
    assert fmt.yuan(fen) == text


def test_wan_yuan_and_missing_values():
    assert fmt.wan_yuan(1240000000) == "1,240.00 万元"
    assert fmt.wan_yuan(1240000000, 0, unit=False) == "1,240"
    assert fmt.yuan(None) == fmt.percent(None) == fmt.score(None) == "—"
    with pytest.raises(TypeError):
        fmt.yuan(12.5)


@pytest.mark.parametrize("value, text", [
    (0.9, "90.0%"), (Decimal("0.8125"), "81.3%"), (Fraction(1, 3), "33.3%"), (1, "100.0%"), (0.00001, "0.0%"),
])
def test_percent(value, text):
    assert fmt.percent(value) == text


def test_a_decimal_text_reads_as_written():
    """The fund rates are kept as 4-decimal texts ("0.9000"); they print like any other fraction."""
    assert fmt.percent("0.9000", 2) == "90.00%" and fmt.percent(" 0.5363 ", 2) == "53.63%"
    with pytest.raises(TypeError):
        fmt.percent("90%")


def test_basis_points_and_ratios():
    assert fmt.basis_points(8125) == "81.25%"
    assert fmt.ratio_percent(1, 8) == "12.5%"
    assert fmt.ratio_percent(1, 0) == "—"


@pytest.mark.parametrize("value, places, text", [
    (89.995, 2, "90.00"), (0.38290237467018473, 6, "0.382902"), (2.675, 2, "2.68"), (59.994999, 2, "59.99"),
])
def test_scores_round_half_up_from_the_decimal_reading(value, places, text):
    assert fmt.score(value, places) == text


@pytest.mark.parametrize("value, unit, text", [
    (21500.0, "元", "21,500 元"), (12400000, "人", "12,400,000 人"), (Decimal("3.10"), "元/元", "3.10 元/元"),
    (90, "%", "90%"), (1e-7, "项", "0.0000001 项"),
])
def test_values_carry_their_unit_and_never_an_exponent(value, unit, text):
    assert fmt.with_unit(value, unit) == text


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_no_float_ever_prints_in_scientific_notation(x):
    for text in (fmt.decimal_text(x), fmt.score(x), fmt.with_unit(x, "元"), fmt.percent(x)):
        assert not re.search(r"\d[eE][+-]?\d", text), text
    assert fmt.decimal_text(x).replace(",", "").lstrip("-") != ""
    assert Decimal(fmt.decimal_text(x).replace(",", "")) == Decimal(repr(x)).normalize() or x == 0


def test_code_beside_its_name_in_either_language():
    assert fmt.code_label("楼堂馆所", "X-BLD") == "楼堂馆所（X-BLD）"
    assert fmt.code_label("Buildings", "X-BLD", lang="en") == "Buildings (X-BLD)"
    assert fmt.code_label("", "X-BLD") == "X-BLD"


def test_days_left():
    assert fmt.days_left(date(2015, 11, 10), date(2015, 11, 7)) == 3
    assert fmt.days_left(date(2015, 11, 10), date(2015, 11, 10)) == 0
    assert fmt.days_left(date(2015, 11, 10), date(2015, 11, 12)) == -2



def test_basis_points_in_integers_reads_as_the_decimal_path_and_as_the_rate_as_percent():
    from decimal import Decimal

    from evalsys.domain.money import rate, rate_bp

    for bp in [0, 1, -1, 5, -5, 99, 100, 101, 8125, -8125, 10_000, 123_456, -1_234_567, 10**9 + 7]:
        assert fmt.basis_points(bp) == fmt.decimal_text(Decimal(bp).scaleb(-2), 2) + "%"
    for numerator, denominator in [(650_00, 800_00), (1, 3), (2, 3), (-1, 3), (0, 7), (123_456_789, 987_654)]:
        assert fmt.basis_points(rate_bp(numerator, denominator)) == fmt.percent(rate(numerator, denominator), 2)
    assert fmt.basis_points(None) == fmt.percent(None) == "—"
