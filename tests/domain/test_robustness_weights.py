"""Robustness samples (vectorised evaluator vs the library), Kendall's tau, and weight rules."""
from __future__ import annotations

import numpy as np
import pytest

from evalsys.domain.ranking import METHODS, evaluate
from evalsys.domain.robustness import (
    batch_ranks, batch_scores, kendall_tau, rank_intervals, sample_weights)
from evalsys.domain.weights import (
    InconsistentJudgements, WeightError, ahp_from_upper, ahp_weights, critic_weights,
    direct_weights, entropy_weights)


def _matrices():
    rng = np.random.default_rng(11)
    plain = rng.integers(0, 21, size=(9, 5)) / 20
    constant = plain.copy()
    constant[:, 2] = 0.35                         # a constant column
    zero = plain.copy()
    zero[:, 4] = 0.0                              # an all-zero column
    ties = np.vstack([plain[:4], plain[:4]])      # every row twice
    return [plain, constant, zero, ties, plain[:1], np.full((3, 5), 0.4), plain[:2]]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", range(7))
def test_vectorised_evaluator_matches_the_library(method, case):
    r = _matrices()[case]
    rng = np.random.default_rng(case)
    weights = [rng.uniform(0.5, 3) for _ in range(5)]
    weights[1] = 0.0 if case == 2 else weights[1]   # a zero weight in one case
    library = evaluate(method, r.tolist(), weights)
    w = np.asarray(weights) / sum(weights)
    batch = batch_scores(method, r, w[None, :])
    mine = batch[0][0] if method == "vikor" else batch[0]
    assert np.max(np.abs(mine - np.array(library.raw))) <= 1e-12
    if method == "vikor":
        assert np.max(np.abs(batch[1][0] - np.array(library.extra["S"]))) <= 5e-7  # S rounded 6
    assert batch_ranks(method, r, w[None, :])[0].tolist() == list(library.ranks)


@pytest.mark.parametrize("method", METHODS)
def test_each_sample_matches_a_library_run(method):
    r = _matrices()[0]
    weights = [1, 2, 3, 4, 5]
    samples = sample_weights(weights, 5, seed=3)
    ranks = batch_ranks(method, r, samples)
    scores = batch_scores(method, r, samples)
    for k in range(5):
        library = evaluate(method, r.tolist(), samples[k].tolist())
        mine = scores[0][k] if method == "vikor" else scores[k]
        assert np.max(np.abs(mine - np.array(library.raw))) <= 1e-12
        assert ranks[k].tolist() == list(library.ranks)


def test_sample_weights_are_seeded_and_renormalised():
    a = sample_weights([1, 0, 3], 200, seed=42)
    b = sample_weights([1, 0, 3], 200, seed=42)
    assert a.shape == (200, 3) and np.array_equal(a, b)
    assert np.allclose(a.sum(axis=1), 1.0)
    assert np.all(a[:, 1] == 0)                   # a zero weight stays zero
    ratio = a[:, 0] / a[:, 2]                     # (w·u)/(w'·u'), u in [0.8, 1.2]
    assert np.all((ratio >= (1 / 3) * 0.8 / 1.2) & (ratio <= (1 / 3) * 1.2 / 0.8))
    draws = np.random.default_rng(42).uniform(0.8, 1.2, size=(200, 3))
    expected = np.array([0.25, 0, 0.75]) * draws
    assert np.allclose(a, expected / expected.sum(axis=1, keepdims=True), atol=1e-15)
    assert not np.array_equal(a, sample_weights([1, 0, 3], 200, seed=43))


def test_rank_intervals_are_percentiles_of_sample_ranks():
    r = _matrices()[0]
    weights = [1, 2, 3, 4, 5]
    intervals = rank_intervals("topsis", r.tolist(), weights, n=40, seed=9, places=3)
    ranks = batch_ranks("topsis", r, sample_weights(weights, 40, seed=9))
    for i, interval in enumerate(intervals):
        column = np.sort(ranks[:, i])
        # inverted CDF: the smallest rank whose empirical CDF reaches p, i.e. index ceil(p·n) − 1
        assert interval.rank_p05 == column[int(np.ceil(0.05 * 40)) - 1]
        assert interval.rank_p95 == column[int(np.ceil(0.95 * 40)) - 1]
        assert interval.p_within_places == pytest.approx(np.mean(ranks[:, i] <= 3))
        assert type(interval.rank_p05) is int and type(interval.p_within_places) is float
    again = rank_intervals("topsis", r.tolist(), weights, n=40, seed=9, places=3)
    assert again == intervals


def test_rank_intervals_degenerate():
    assert rank_intervals("weighted-total", [[0.4, 0.2]] * 3, [1, 1], n=10, places=1) == \
        rank_intervals("weighted-total", [[0.4, 0.2]] * 3, [1, 1], n=10, places=1)
    for interval in rank_intervals("topsis", [[0.4, 0.2]] * 3, [1, 1], n=10, places=1):
        assert (interval.rank_p05, interval.rank_p95, interval.p_within_places) == (1, 1, 1.0)
    (single,) = rank_intervals("vikor", [[0.4, 0.2]], [1, 1], n=10, places=1)
    assert (single.rank_p05, single.rank_p95, single.p_within_places) == (1, 1, 1.0)
    dominant = rank_intervals("weighted-total", [[1, 1], [0.5, 0.2], [0.2, 0.5]], [1, 1], n=50,
                              places=1)
    assert dominant[0].p_within_places == 1.0 and dominant[0].rank_p95 == 1
    assert rank_intervals("wpm", [[1, 1], [0, 0]], [1, 1], n=5)[0].p_within_places is None


def test_kendall_tau():
    assert kendall_tau([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert kendall_tau([1, 1, 1], [1, 2, 3]) is None
    assert kendall_tau([1], [1]) is None
    # tau-b with one discordant pair out of six: (5 − 1)/6
    assert kendall_tau([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(round(4 / 6, 6))


# ---------------------------------------------------------------- weights

def test_ahp_consistent_matrix_gives_known_weights():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    a = (w[:, None] / w[None, :]).tolist()
    result = ahp_weights(a)
    assert np.max(np.abs(np.array(result.weights) - w)) <= 1e-12
    assert result.cr <= 1e-12
    assert result.lambda_max == pytest.approx(4)


def test_ahp_inconsistent_matrix_is_refused_with_its_cr():
    a = ahp_from_upper([9, 1 / 9, 9], 3)          # A ≫ B, A ≪ C, B ≫ C: circular
    with pytest.raises(InconsistentJudgements) as info:
        ahp_weights(a)
    assert info.value.cr >= 0.10
    assert f"CR = {info.value.cr:.4f}" in str(info.value)


def test_ahp_slightly_inconsistent_matrix_is_accepted():
    result = ahp_weights(ahp_from_upper([2, 4, 3], 3))   # 2·3 = 6 vs 4: mild
    assert 0 < result.cr < 0.10
    assert result.weights[0] > result.weights[1] > result.weights[2]
    assert sum(result.weights) == pytest.approx(1)


def test_ahp_small_matrices_have_cr_zero():
    assert ahp_weights([[1]]).weights == (1.0,)
    two = ahp_weights([[1, 3], [1 / 3, 1]])
    assert two.cr == 0.0 and two.weights == pytest.approx((0.75, 0.25))


@pytest.mark.parametrize("matrix", [[[1, 2], [2, 1]], [[1, -2], [-0.5, 1]], [[2, 1], [1, 1]],
                                    [[1, 2, 3], [0.5, 1, 2]], []])
def test_ahp_refuses_bad_matrices(matrix):
    with pytest.raises(WeightError):
        ahp_weights(matrix)


def test_entropy_weights_by_hand():
    # Column 1 concentrates everything on one row (entropy 0), column 2 is uniform (entropy 1).
    assert entropy_weights([[1, 1], [0, 1]]) == [1.0, 0.0]
    assert entropy_weights([[1, 0], [0, 1]]) == pytest.approx([0.5, 0.5])
    # Column 1 varies (p = ¼, ¾), column 2 is uniform, column 3 all zero: only column 1 counts.
    assert entropy_weights([[1, 2, 0], [3, 2, 0]]) == pytest.approx([1.0, 0.0, 0.0])
    # Two varying columns, by hand: p = (¼, ¾) and (½·…): d_j = 1 − e_j, w ∝ d.
    d1 = 1 + (0.25 * np.log(0.25) + 0.75 * np.log(0.75)) / np.log(2)
    d2 = 1 + (0.1 * np.log(0.1) + 0.9 * np.log(0.9)) / np.log(2)
    assert entropy_weights([[1, 1], [3, 9]]) == pytest.approx([d1 / (d1 + d2), d2 / (d1 + d2)])
    with pytest.raises(WeightError):
        entropy_weights([[1, 1], [1, 1]])
    with pytest.raises(WeightError):
        entropy_weights([[1, -1], [1, 1]])


def test_critic_weights():
    # Two columns in perfect conflict (ρ = −1) with equal spread: equal weights; a constant
    # column gets none.
    w = critic_weights([[0, 1, 5], [1, 0, 5], [0.5, 0.5, 5]])
    assert w == pytest.approx([0.5, 0.5, 0.0])
    # A third column identical to the first adds no conflict to it: C = σ·Σ(1 − ρ).
    w3 = critic_weights([[0, 1, 0], [1, 0, 1], [0.5, 0.5, 0.5]])
    assert w3[1] == pytest.approx(2 * w3[0]) and w3[0] == pytest.approx(w3[2])
    with pytest.raises(WeightError):
        critic_weights([[1, 2]])


def test_direct_weights():
    assert direct_weights({"a": 1, "b": 0}, ["a", "b"]) == {"a": 1.0, "b": 0.0}
    for bad in ({"a": 0, "b": 0}, {"a": -1, "b": 2}, {"a": 1}, {"a": 1, "b": 1, "c": 1}):
        with pytest.raises(WeightError):
            direct_weights(bad, ["a", "b"])
