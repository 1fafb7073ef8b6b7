"""Points rules, rounding half-up, weighted total, ranks with ties and the display order."""
from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from evalsys.domain.criteria import find_system, load_system
from evalsys.domain.scoring import (
    ScoringInputError, achievement_ratios, check_gates, cohort_points, competition_ranks,
    compute_points, display_order, grade, round_half_up, round_half_up_units, target_points,
    weighted_total)

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "criteria"


@pytest.mark.parametrize("value,places,expected", [
    (89.995, 2, 90.00),
    (0.125, 2, 0.13),          # exactly representable tie: half-up, not half-even
    (2.675, 2, 2.68),          # binary 2.67499999999999982… — exact rounding would say 2.67
    (1.005, 2, 1.01),          # binary 1.00499999999999989…
    (0.1 + 0.2 + 89.695, 2, 90.00),   # float noise: 89.99499999999999, meant as 89.995
    (89.9949, 2, 89.99),
    (89.99499, 2, 89.99),
    (-0.125, 2, -0.13),        # away from zero (never occurs for points, stated for clarity)
    (0.5000005, 6, 0.500001),
    (0.4999994999, 6, 0.499999),
    (100.0, 2, 100.0),
])
def test_round_half_up(value, places, expected):
    assert round_half_up(value, places) == expected


def _decimal_reading(value: float, places: int) -> float:
    """The definition, with no fast path: the repr, guarded half-even, then half-up."""
    from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

    guarded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-(places + 7)), rounding=ROUND_HALF_EVEN)
    return float(guarded.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(min_value=0, max_value=6))
def test_the_fast_path_agrees_with_the_decimal_reading(value, places):
    assert round_half_up(value, places) == _decimal_reading(value, places)


def test_the_fast_path_agrees_on_sums_and_ties():
    rnd = random.Random(11)
    values = [sum(rnd.choice((0.1, 0.2, 0.3, 1.7, 2.35)) for _ in range(rnd.randint(1, 9))) for _ in range(5000)]
    values += [k / 1000 + d for k in range(0, 10_000) for d in (0.0, 1e-9, -1e-9)]
    for v in values:
        for places in (2, 4, 6):
            assert round_half_up(v, places) == _decimal_reading(v, places), (v, places)


def test_python_round_would_be_wrong_here():
    # The reason round_half_up exists: the built-in rounds the exact binary value half-even.
    assert round(2.675, 2) == 2.67 and round(0.125, 2) == 0.12 and f"{0.125:.2f}" == "0.12"


def test_vectorised_rounding_agrees_with_decimal_rounding():
    rnd = random.Random(7)
    values = [rnd.uniform(0, 100) for _ in range(3000)]
    values += [k / 1000 for k in range(0, 100_000, 5)]          # every .xx5 up to 100
    values += [0.1 + 0.2 + 89.695, 89.995, 0.125, 2.675]
    units = round_half_up_units(np.array(values), 2)
    assert [int(u) for u in units] == [int(round(round_half_up(v, 2) * 100)) for v in values]
    six = [rnd.random() for _ in range(2000)] + [k / 10_000_000 for k in range(5, 10_000_000, 99_990)]
    units6 = round_half_up_units(np.array(six), 6)
    assert [int(u) for u in units6] == [int(round(round_half_up(v, 6) * 1e6)) for v in six]


def test_cohort_rule():
    assert cohort_points([10, 20, 30], 6) == [0.0, 3.0, 6.0]
    assert cohort_points([10, 20, 30], 6, higher_is_better=False) == [6.0, 3.0, 0.0]
    assert cohort_points([7, 7, 7], 4) == [4, 4, 4]       # max = min: everyone gets P
    assert cohort_points([123.0], 8) == [8]               # a single candidate too
    # log10(1 + yuan): 0, 9, 99 → 0, 1, 2 on the log scale
    assert cohort_points([0, 9, 99], 8, log=True) == pytest.approx([0.0, 4.0, 8.0])


def test_target_rule():
    assert target_points(2.5, 5, 2) == 1.0
    assert target_points(7, 5, 2) == 2.0                   # clamped to P
    assert target_points(-1, 5, 2) == 0.0                  # clamped to 0
    assert target_points(80, 100, 5, higher_is_better=False) == 5
    assert target_points(100, 100, 5, higher_is_better=False) == 5
    assert target_points(200, 100, 5, higher_is_better=False) == 2.5
    with pytest.raises(ValueError):
        target_points(1, 0, 5)


def _tiny(write_system, tiny_text):
    return load_system(write_system(tiny_text))


def test_compute_points_by_hand(write_system, tiny_text):
    system = _tiny(write_system, tiny_text)
    rows = [{"revenue": 0, "years": 2.5, "complaints": 1, "quality": 31.5},
            {"revenue": 99, "years": 10, "complaints": 3, "quality": 20}]
    points = compute_points(system, rows)
    assert points[0] == pytest.approx({"revenue": 0, "years": 10, "complaints": 10, "quality": 31.5})
    assert points[1] == pytest.approx({"revenue": 30, "years": 20, "complaints": 0, "quality": 20})
    ratios = achievement_ratios(system, points)
    assert ratios[0] == pytest.approx([0, 0.5, 1, 31.5 / 40])
    # Default weights = max points, so the weighted total is the plain sum of points.
    weights = [30, 20, 10, 40]
    assert weighted_total(ratios[0], weights) == pytest.approx(51.5)
    assert weighted_total(ratios[1], weights) == pytest.approx(70)
    # Other weights, by hand: 100·(1·0 + 1·0.5 + 0·1 + 2·0.7875)/4 = 51.875
    assert weighted_total(ratios[0], [1, 1, 0, 2]) == pytest.approx(51.875)


@pytest.mark.parametrize("row,column,reason", [
    ({"quality": 40.1}, "quality", "outside 0..40"),
    ({"quality": -0.1}, "quality", "outside 0..40"),
    ({"revenue": -5}, "revenue", "below the minimum"),
    ({"years": None}, "years", "value missing"),
])
def test_compute_points_refuses(write_system, tiny_text, row, column, reason):
    system = _tiny(write_system, tiny_text)
    good = {"revenue": 1, "years": 1, "complaints": 1, "quality": 1}
    with pytest.raises(ScoringInputError) as info:
        compute_points(system, [good, {**good, **row}])
    assert info.value.row == 1 and info.value.column == column and reason in info.value.reason


def test_per_candidate_target_must_be_positive():
    system = find_system("perf-base-b1", 1, CRITERIA_DIR)
    row = {i.id: 1.0 for i in system.scored_indicators}
    row.update({i.rule.target_field: 1.0 for i in system.scored_indicators if i.rule})
    row["plan_tasks"] = 0
    with pytest.raises(ScoringInputError) as info:
        compute_points(system, [row])
    assert info.value.column == "plan_tasks" and "> 0" in info.value.reason


def test_weighted_total_refuses_bad_weights():
    with pytest.raises(ValueError):
        weighted_total([1, 1], [0, 0])
    with pytest.raises(ValueError):
        weighted_total([1, 1], [1, -1])


def test_competition_ranks_share_ties():
    assert competition_ranks([90.0, 85.5, 85.5, 80.0]) == [1, 2, 2, 4]
    assert competition_ranks([0.2, 0.1, 0.1, 0.3], higher_is_better=False) == [3, 1, 1, 4]
    assert competition_ranks([(0.1, 0.2, 0.3), (0.1, 0.2, 0.1), (0.1, 0.2, 0.3)],
                             higher_is_better=False) == [2, 1, 2]
    assert all(type(r) is int for r in competition_ranks([1.0, 1.0]))


def test_display_order_inside_a_tie():
    ranks = [2, 1, 2, 2]
    # Tie at rank 2: larger expert subtotal first, then the earlier submission.
    order = display_order(ranks, expert_subtotals=[30.0, 50.0, 40.0, 30.0],
                          submitted=["2015-05-03", "2015-05-09", "2015-05-08", "2015-05-01"])
    assert order == [1, 2, 3, 0]
    # Without submission times the input order decides.
    assert display_order([1, 1], [10.0, 10.0]) == [0, 1]
    # Subtotals equal once rounded: float noise must not decide.
    assert display_order([1, 1], [0.1 + 0.2, 0.3]) == [0, 1]


def test_gates(write_system, tiny_text):
    system = _tiny(write_system, tiny_text)
    assert check_gates(system, {"ok": True}) == []
    assert check_gates(system, {"ok": False}) == ["gate_ok"]
    assert check_gates(system, {}) == ["gate_ok"]
    base = find_system("base-2015-b2", 1, CRITERIA_DIR)
    values = {"operator_clear": True, "years_operating": 1, "floor_area": 9999.9,
              "ecommerce_firms": 30, "major_violation": False}
    assert check_gates(base, values) == ["gate_area"]


def test_grades_use_the_rounded_total():
    system = find_system("perf-base-b1", 1, CRITERIA_DIR)
    assert grade(system, 89.995)[1] == "优"     # rounds to 90.00
    assert grade(system, 89.994)[1] == "良"
    assert grade(system, 60)[1] == "中"
    assert grade(system, 59.99)[1] == "差"
    assert math.isclose(len(system.grades), 4)
