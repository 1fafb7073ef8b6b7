"""Expert aggregation (trimmed mean), reviewer-bias adjustment and divergence flags, by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalsys.domain.experts import (
    ExpertScore, MissingSheets, adjust_for_bias, aggregate_array, aggregate_scores,
    aggregate_sheets, divergence_flags, is_valid_expert_score)


def test_trimmed_mean_with_five_or_more():
    assert aggregate_scores([6, 10, 7, 9, 8]) == 8.0        # drop 6 and 10
    assert aggregate_scores([1.0, 9.9, 9.8, 9.7, 9.6, 0.0]) == pytest.approx(
        (1.0 + 9.6 + 9.7 + 9.8) / 4)


def test_plain_mean_below_five():
    assert aggregate_scores([6, 10, 7, 9]) == 8.0
    assert aggregate_scores([4.5]) == 4.5
    with pytest.raises(ValueError):
        aggregate_scores([])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 100), min_size=7, max_size=7), min_size=1, max_size=5),
       st.integers(1, 7))
def test_vectorised_aggregation_matches(cells, n):
    data = np.array(cells, dtype=float)[:, :n] / 10
    expected = [aggregate_scores(list(row)) for row in data]
    assert aggregate_array(data) == pytest.approx(expected, abs=1e-12)


def test_bias_adjustment_by_hand():
    # Indicator j (P = 10): reviewer A gives 6, 7, 8; reviewer B gives 2, 4, 6; C gives 9 once.
    scores = [ExpertScore("A", c, "j", s) for c, s in zip("xyz", [6, 7, 8])]
    scores += [ExpertScore("B", c, "j", s) for c, s in zip("xyz", [2, 4, 6])]
    scores += [ExpertScore("C", "x", "j", 9)]
    adjusted = adjust_for_bias(scores, {"j": 10})
    # All scores on j: 6 7 8 2 4 6 9 → μ = 42/7 = 6; Σ(s−μ)² = 0+1+4+16+4+0+9 = 34, σ = √(34/7).
    sigma_j = math.sqrt(34 / 7)
    # A: μ = 7, σ = √(2/3).  s′ = 6 + σ_j·(s − 7)/√(2/3)
    assert adjusted[("A", "x", "j")] == pytest.approx(6 - sigma_j / math.sqrt(2 / 3))
    assert adjusted[("A", "y", "j")] == pytest.approx(6.0)
    # B: μ = 4, σ = √(8/3).  s′ = 6 + σ_j·(6 − 4)/√(8/3) = 8.6925…
    assert adjusted[("B", "z", "j")] == pytest.approx(6 + sigma_j * 2 / math.sqrt(8 / 3))
    # C has one score: shift only, s′ = 9 − 9 + 6 = 6.
    assert adjusted[("C", "x", "j")] == pytest.approx(6.0)


def test_bias_adjustment_is_clamped_and_constant_reviewer_shifts():
    scores = [ExpertScore("A", c, "j", 5) for c in "xyz"]            # σ_A = 0: shift only
    scores += [ExpertScore("B", c, "j", s) for c, s in zip("xyz", [0.0, 1.0, 2.0])]
    adjusted = adjust_for_bias(scores, {"j": 5})
    # μ_j = 18/6 = 3; A: 5 − 5 + 3 = 3
    assert adjusted[("A", "x", "j")] == pytest.approx(3.0)
    # B: μ 1, σ √(2/3); σ_j = √((4·3 + 1+4+9... )): compute and check the clamp at 0 and 5
    assert all(0 <= v <= 5 for v in adjusted.values())
    big = [ExpertScore("A", c, "j", s) for c, s in zip("xyzw", [0.0, 0.0, 0.0, 10.0])]
    big += [ExpertScore("B", c, "j", s) for c, s in zip("xyzw", [9.0, 9.0, 9.0, 9.5])]
    adj = adjust_for_bias(big, {"j": 10})
    assert adj[("A", "w", "j")] == 10.0                     # would be above P: clamped


def test_aggregate_sheets_reports_raw_and_adjusted_and_refuses_missing():
    scores = [ExpertScore(r, "x", "j", s) for r, s in zip("ABCDE", [6, 7, 8, 9, 10])]
    scores += [ExpertScore(r, "y", "j", s) for r, s in zip("ABCD", [5, 5, 5, 5])]
    with pytest.raises(MissingSheets) as info:
        aggregate_sheets(scores, {"j": 10}, required=5)
    assert info.value.missing == [("y", 4)] and "y (4 of 5)" in str(info.value)
    result = aggregate_sheets(scores, {"j": 10}, required=4)
    assert result[("x", "j")].raw == 8.0 and result[("x", "j")].sheets == 5
    assert result[("y", "j")].raw == 5.0
    assert result[("x", "j")].adjusted != result[("x", "j")].raw  # reported beside, not instead


def test_divergence_flags():
    assert divergence_flags({"a": 5, "b": 5, "c": 5, "d": 8}, 10) == ["d"]
    assert divergence_flags({"a": 5, "b": 5, "c": 7}, 10) == []          # exactly 20 %: not more
    assert divergence_flags({"a": 5.0, "b": 5.0, "c": 6.2}, 6) == []     # 1.2 vs 1.2000000000000002
    assert divergence_flags({"a": 5.0, "b": 5.0, "c": 6.3}, 6) == ["c"]
    assert divergence_flags({"a": 0, "b": 10}, 10) == []                 # fewer than 3 sheets


def test_expert_score_steps():
    assert is_valid_expert_score(7.3, 8)
    assert is_valid_expert_score(0, 8) and is_valid_expert_score(8, 8)
    assert not is_valid_expert_score(7.35, 8)
    assert not is_valid_expert_score(8.1, 8)
    assert not is_valid_expert_score(-0.1, 8)
    assert not is_valid_expert_score(float("nan"), 8)


def test_a_reviewer_who_gives_the_same_score_is_shifted_not_scaled():
    # np.std([0.1, 0.1, 0.1]) is 1.4e-17, not 0: dividing by it would be nonsense.
    scores = [ExpertScore("A", c, "j", 0.1) for c in "xyz"]
    scores += [ExpertScore("B", c, "j", s) for c, s in zip("xyz", [0.2, 0.5, 0.9])]
    adjusted = adjust_for_bias(scores, {"j": 1})
    mu_j = (0.3 + 1.6) / 6
    assert adjusted[("A", "x", "j")] == pytest.approx(0.1 - 0.1 + mu_j)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCDEFG"), st.sampled_from("xyz"),
                          st.sampled_from(["j", "k"]), st.integers(0, 50)),
                min_size=1, max_size=60, unique_by=lambda t: t[:3]))
def test_vectorised_sheets_match_the_definition(rows):
    scores = [ExpertScore(r, c, j, v / 10) for r, c, j, v in rows]
    maxima = {"j": 5.0, "k": 4.0}
    result = aggregate_sheets(scores, maxima)
    adjusted = adjust_for_bias(scores, maxima)
    for (c, j), agg in result.items():
        cell = [s for s in scores if s.candidate == c and s.indicator == j]
        assert agg.sheets == len(cell)
        assert agg.raw == pytest.approx(aggregate_scores([s.score for s in cell]), abs=1e-12)
        assert agg.adjusted == pytest.approx(
            aggregate_scores([adjusted[(s.reviewer, c, j)] for s in cell]), abs=1e-12)
    # The adjusted scores follow the formula, computed here the slow way.
    for s in scores:
        on_j = [t.score for t in scores if t.indicator == s.indicator]
        mine = [t.score for t in scores if t.indicator == s.indicator and t.reviewer == s.reviewer]
        mu_j, sigma_j = np.mean(on_j), np.std(on_j)
        mu_k, sigma_k = np.mean(mine), np.std(mine)
        if len(mine) < 3 or len(set(mine)) == 1:
            expected = s.score - mu_k + mu_j
        else:
            expected = mu_j + sigma_j * (s.score - mu_k) / sigma_k
        expected = min(max(expected, 0), maxima[s.indicator])
        assert adjusted[(s.reviewer, s.candidate, s.indicator)] == pytest.approx(expected, abs=1e-9)
