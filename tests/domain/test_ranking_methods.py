"""Ranking methods: golden cases by hand, every degenerate input of §7, property tests."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalsys.domain.criteria import find_system
from evalsys.domain.ranking import METHODS, RankingError, evaluate
from evalsys.domain.run import explain, rank_candidates

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "criteria"


def test_weighted_total_by_hand():
    result = evaluate("weighted-total", [[1, 0.5], [0.5, 1]], [3, 1])
    # 100·(0.75·1 + 0.25·0.5) = 87.5 ; 100·(0.75·0.5 + 0.25·1) = 62.5
    assert result.scores == (87.5, 62.5) and result.ranks == (1, 2)
    assert result.score_direction == "higher"


def test_topsis_by_hand():
    result = evaluate("topsis", [[1, 0.5], [0.5, 1], [0, 0]], [3, 1])
    # Column norms √1.25 cancel out; weighted rows (0.75, 0.125)k, (0.375, 0.25)k, (0, 0).
    # Ideal (0.75, 0.25)k, anti-ideal (0, 0).
    c1 = math.sqrt(0.75 ** 2 + 0.125 ** 2) / (math.sqrt(0.75 ** 2 + 0.125 ** 2) + 0.125)
    c2 = math.sqrt(0.375 ** 2 + 0.25 ** 2) / (math.sqrt(0.375 ** 2 + 0.25 ** 2) + 0.375)
    assert result.scores == (round(c1, 6), round(c2, 6), 0.0)
    assert result.scores == (0.858812, 0.545837, 0.0)
    assert result.ranks == (1, 2, 3)


def test_topsis_tie_by_hand():
    # Each of the first two is best on one equally weighted criterion: both at 0.5; the third
    # is the ideal point itself.
    result = evaluate("topsis", [[1, 0], [0, 1], [1, 1]], [1, 1])
    assert result.scores == (0.5, 0.5, 1.0) and result.ranks == (2, 2, 1)


def test_vikor_by_hand():
    # d = distance to the ideal per column: (0, 1), (1, 0), (0.5, 0.5); w = ½, ½.
    # S = 0.5, 0.5, 0.5 (constant: that term is 0); R = 0.5, 0.5, 0.25 → R′ = 1, 1, 0.
    # Q = 0.5·0 + 0.5·R′ = 0.5, 0.5, 0.
    result = evaluate("vikor", [[1, 0], [0, 1], [0.5, 0.5]], [1, 1])
    assert result.scores == (0.5, 0.5, 0.0) and result.ranks == (2, 2, 1)
    assert result.extra == {"S": (0.5, 0.5, 0.5), "R": (0.5, 0.5, 0.25)}
    assert result.score_direction == "lower"


def test_vikor_orders_by_q_then_s_then_r():
    # Equal Q for the first two is broken by S (smaller is better).
    r = [[1.0, 0.0, 0.0], [0.0, 0.6, 0.6], [0.0, 0.0, 0.0], [0.5, 0.5, 0.5]]
    result = evaluate("vikor", r, [1, 1, 1])
    triples = list(zip(result.scores, result.extra["S"], result.extra["R"]))
    order = sorted(range(4), key=lambda i: triples[i])
    assert [result.ranks[i] for i in order] == sorted(result.ranks)
    assert len(set(result.ranks)) == 4


def test_weighted_product_by_hand():
    # r′ = 0.01 + 0.99·r: (1, 0.01) and (0.01, 1); weights ¾, ¼ → 0.01^¼ and 0.01^¾.
    result = evaluate("wpm", [[1, 0], [0, 1]], [3, 1])
    assert result.scores == (round(0.01 ** 0.25, 6), round(0.01 ** 0.75, 6))
    assert result.ranks == (1, 2)


@pytest.mark.parametrize("method", METHODS)
def test_one_candidate(method):
    result = evaluate(method, [[0.3, 0.9]], [1, 2])
    assert result.ranks == (1,)
    if method == "topsis":
        assert result.scores == (1.0,)


@pytest.mark.parametrize("method", METHODS)
def test_all_candidates_equal(method):
    result = evaluate(method, [[0.4, 0.7]] * 4, [1, 2])
    assert result.ranks == (1, 1, 1, 1)
    if method == "topsis":
        assert result.scores == (0.5,) * 4


@pytest.mark.parametrize("method", ["topsis", "vikor"])
@pytest.mark.parametrize("constant", [0.0, 0.6, 1.0])
def test_constant_column_takes_no_part_in_distances(method, constant):
    base = [[0.9, 0.1], [0.3, 0.8], [0.5, 0.5]]
    with_col = [row + [constant] for row in base]
    a = evaluate(method, with_col, [2, 1, 5])
    b = evaluate(method, base, [2, 1])
    assert a.scores == b.scores and a.ranks == b.ranks


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("weights,message", [([0, 0], "all be zero"), ([1, -1], "negative"),
                                             ([1, float("nan")], "finite")])
def test_bad_weights_are_an_error(method, weights, message):
    with pytest.raises(RankingError, match=message):
        evaluate(method, [[0.1, 0.2], [0.3, 0.4]], weights)


@pytest.mark.parametrize("ratios", [[[0.1, float("nan")]], [[1.2, 0.1]], [[-0.1, 0.1]], [],
                                    [[0.1]]])
def test_bad_ratios_are_an_error(ratios):
    with pytest.raises(RankingError):
        evaluate("topsis", ratios, [1, 1])


def test_zero_weight_column_is_ignored_by_topsis():
    a = evaluate("topsis", [[1, 0.2], [0, 0.9]], [1, 0])
    assert a.scores == (1.0, 0.0)


def test_unknown_method():
    with pytest.raises(RankingError):
        evaluate("electre", [[0.1]], [1])


@pytest.mark.parametrize("method", METHODS)
def test_plain_python_types(method):
    result = evaluate(method, [[0.1, 0.5], [0.7, 0.2], [0.4, 0.4]], [1, 1])
    assert all(type(x) is float for x in result.scores + result.raw)
    assert all(type(x) is int for x in result.ranks)


# ---------------------------------------------------------------- properties

def ratio_matrices(min_rows=1, max_rows=8):
    return st.integers(1, 5).flatmap(lambda m: st.tuples(
        st.lists(st.lists(st.integers(0, 20).map(lambda k: k / 20), min_size=m, max_size=m),
                 min_size=min_rows, max_size=max_rows),
        st.lists(st.integers(0, 10), min_size=m, max_size=m).filter(any)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ratio_matrices(), st.randoms(use_true_random=False), st.sampled_from(METHODS))
def test_permuting_candidates_changes_no_rank(data, rnd, method):
    ratios, weights = data
    perm = list(range(len(ratios)))
    rnd.shuffle(perm)
    a = evaluate(method, ratios, weights)
    b = evaluate(method, [ratios[i] for i in perm], weights)
    assert [a.ranks[i] for i in perm] == list(b.ranks)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ratio_matrices(), st.sampled_from([0.001, 0.37, 3.0, 1000.0]), st.sampled_from(METHODS))
def test_scaling_weights_changes_no_rank(data, factor, method):
    ratios, weights = data
    a = evaluate(method, ratios, weights)
    b = evaluate(method, ratios, [w * factor for w in weights])
    assert a.ranks == b.ranks


PERF = find_system("perf-base-b1", 1, CRITERIA_DIR)


def _perf_rows():
    """Rows for the performance system: every indicator has a fixed scale (E or target)."""
    cell = {}
    for ind in PERF.scored_indicators:
        if ind.type == "E":
            cell[ind.id] = st.integers(0, int(ind.max * 10)).map(lambda k: k / 10)
        else:
            cell[ind.id] = st.integers(0, 100).map(lambda k: k / 100)
            cell[ind.rule.target_field] = st.integers(50, 150).map(lambda k: k / 100)
    return st.lists(st.fixed_dictionaries(cell), min_size=2, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_perf_rows())
def test_dominated_newcomer_does_not_reorder_fixed_scale_indicators(rows):
    ids = [f"c{i}" for i in range(len(rows))]
    before = rank_candidates(PERF, ids, rows)
    # A newcomer worse than everyone on every indicator, with the same targets as row 0.
    worst = dict(rows[0])
    for ind in PERF.scored_indicators:
        values = [r[ind.id] for r in rows]
        worst[ind.id] = max(values) * 2 if ind.type == "Q-" else 0.0
    after = rank_candidates(PERF, ids + ["new"], rows + [worst])
    rank_before = {r.id: r.rank for r in before.results}
    rank_after = {r.id: r.rank for r in after.results if r.id != "new"}
    for a in ids:
        for b in ids:
            assert (rank_before[a] < rank_before[b]) == (rank_after[a] < rank_after[b])


def test_dominated_newcomer_can_reorder_under_cohort_rules(write_system, tiny_text):
    # Why the robustness report exists: under the cohort rule a newcomer stretches a column.
    from evalsys.domain.criteria import load_system

    system = load_system(write_system(tiny_text))
    rows = [{"revenue": 99, "years": 5, "complaints": 1, "quality": 10},   # 30 + 20 + 0 + 10 = 60
            {"revenue": 9, "years": 5, "complaints": 0, "quality": 25}]    # 0 + 20 + 10 + 25 = 55
    before = rank_candidates(system, ["a", "b"], rows)
    # Worse than both everywhere, but revenue 0 stretches the log column from [1, 2] to [0, 2]:
    # b's revenue is now worth 15 points, so b (70) passes a (60).
    newcomer = {"revenue": 0, "years": 0, "complaints": 1, "quality": 0}
    after = rank_candidates(system, ["a", "b", "n"], rows + [newcomer])
    assert [(r.id, r.score) for r in before.results] == [("a", 60.0), ("b", 55.0)]
    assert [(r.id, r.score) for r in after.results] == [("b", 70.0), ("a", 60.0), ("n", 0.0)]


# ---------------------------------------------------------------- runs, ties, explanation

def test_tie_is_shared_and_ordered_by_expert_subtotal(write_system, tiny_text):
    from evalsys.domain.criteria import load_system

    system = load_system(write_system(tiny_text))
    # revenue on log10(1 + x): 0, 1, 2 → 0, 15, 30; complaints (Q−) 2, 2, 4 → 10, 10, 0
    rows = [{"revenue": 99, "years": 5, "complaints": 2, "quality": 5},    # 30 + 20 + 10 + 5 = 65
            {"revenue": 9, "years": 5, "complaints": 2, "quality": 20},    # 15 + 20 + 10 + 20 = 65
            {"revenue": 0, "years": 0, "complaints": 4, "quality": 0}]     # 0
    run = rank_candidates(system, ["first", "experts", "last"], rows)
    # Tie at 65: the larger expert subtotal (20 > 5) is shown first, both rank 1; then rank 3.
    assert [(r.id, r.rank, r.score) for r in run.results] == [
        ("experts", 1, 65.0), ("first", 1, 65.0), ("last", 3, 0.0)]
    rows = [dict(rows[1], quality=10), dict(rows[1], quality=10), rows[2]]
    run = rank_candidates(system, ["late", "early", "last"], rows, submitted=[2, 1, 3])
    # Same expert subtotal: the earlier submission first.
    assert [r.id for r in run.results][:2] == ["early", "late"]


def test_explanation_contributions_and_gap(write_system, tiny_text):
    from evalsys.domain.criteria import load_system

    system = load_system(write_system(tiny_text))
    rows = [{"revenue": 99, "years": 5, "complaints": 0, "quality": 30},
            {"revenue": 9, "years": 2.5, "complaints": 1, "quality": 20},
            {"revenue": 0, "years": 1, "complaints": 2, "quality": 12.5}]
    run = rank_candidates(system, ["a", "b", "c"], rows)
    parts = explain(run, places=2)
    for part, res in zip(parts, run.results):
        assert sum(part.contributions.values()) == pytest.approx(res.score, abs=0.005)
    # b: revenue 30·½ = 15, years 20·½ = 10, complaints 10·½ = 5, quality 20 → 50
    assert parts[1].contributions == pytest.approx({"revenue": 15, "years": 10, "complaints": 5,
                                                    "quality": 20})
    assert [p.gap_to_cutoff for p in parts] == [run.results[0].score - 50, 0.0,
                                                run.results[2].score - 50]
    assert parts[2].gap_to_cutoff < 0


def test_run_uses_category_weights():
    system = find_system("enterprise-2015-2016", 1, CRITERIA_DIR)
    rows = []
    for k in range(3):
        row = {}
        for ind in system.scored_indicators:
            row[ind.id] = ind.max * (k + 1) / 4 if ind.type == "E" else float(k * 10)
        rows.append(row)
    run = rank_candidates(system, ["a", "b", "c"], rows, category="innovation")
    assert run.weights["innovation"] == 12
    default = rank_candidates(system, ["a", "b", "c"], rows)
    assert default.weights["innovation"] == 8
    from evalsys.domain.ranking import RankingError

    with pytest.raises(RankingError, match="unknown category"):
        rank_candidates(system, ["a", "b", "c"], rows, category="nope")
    with pytest.raises(RankingError, match="no weight for"):
        rank_candidates(system, ["a", "b", "c"], rows, weights={"innovation": 1})
    assert np.isclose(sum(default.weights.values()), 100)
