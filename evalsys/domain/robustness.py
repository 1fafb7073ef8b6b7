"""Rank robustness of domain.md §7: seeded weight samples, rank intervals, Kendall's tau.

The samples are scored by vectorised numpy evaluators (one matrix product per method instead of
one scikit-criteria pipeline per sample); tests check they match ranking.evaluate to 1e-12.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evalsys.domain.ranking import (
    METHODS, PLACES, VIKOR_V, WPM_FLOOR, active_columns, as_ratios, normalised_weights)
from evalsys.domain.scoring import round_half_up, round_half_up_units

DEFAULT_SAMPLES = 200
LOW, HIGH = 0.8, 1.2
# Keeps the N×M×chunk VIKOR tensor near 32 MB.
VIKOR_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class RankInterval:
    """Per candidate: 5th and 95th percentile ranks and P(rank ≤ places)."""

    rank_p05: int
    rank_p95: int
    p_within_places: float | None


def sample_weights(weights: Sequence[float], n: int, seed: int) -> np.ndarray:
    """n×M weights: each weight times an independent U(0.8, 1.2) draw, rows renormalised."""
    w = normalised_weights(weights)
    draws = np.random.default_rng(seed).uniform(LOW, HIGH, size=(n, len(w)))
    sampled = w * draws
    return sampled / sampled.sum(axis=1, keepdims=True)


def batch_scores(method: str, ratios: np.ndarray, weights: np.ndarray) -> np.ndarray | tuple:
    """Unrounded scores of every candidate under every weight row (S×N); VIKOR gives (Q, S, R)."""
    r = np.asarray(ratios, dtype=np.float64)
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    w = w / w.sum(axis=1, keepdims=True)
    n = r.shape[0]
    if method == "weighted-total":
        return 100.0 * (w @ r.T)
    if method == "wpm":
        return np.power(10.0, w @ np.log10(WPM_FLOOR + (1.0 - WPM_FLOOR) * r).T)
    active = active_columns(r, w[0])
    if method == "topsis":
        if n == 1:
            return np.ones((w.shape[0], 1))
        if not active.any():
            return np.full((w.shape[0], n), 0.5)
        v = r[:, active] / np.sqrt((r[:, active] ** 2).sum(axis=0))
        w2 = w[:, active] ** 2
        d_best = np.sqrt(((v - v.max(axis=0)) ** 2) @ w2.T).T
        d_worst = np.sqrt(((v - v.min(axis=0)) ** 2) @ w2.T).T
        return d_worst / (d_best + d_worst)
    if method == "vikor":
        zeros = np.zeros((w.shape[0], n))
        if n == 1 or not active.any():
            return zeros, zeros.copy(), zeros.copy()
        return _vikor_batch(r[:, active], w[:, active])
    raise ValueError(f"unknown method {method!r}")


def _vikor_batch(r: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = w / w.sum(axis=1, keepdims=True)
    hi, lo = r.max(axis=0), r.min(axis=0)
    d = (hi - r) / (hi - lo)                       # N×M distance to the ideal, in [0, 1]
    s = w @ d.T                                    # S×N group utility
    chunk = max(1, VIKOR_CHUNK_CELLS // d.size)
    big_r = np.concatenate([(w[k:k + chunk, None, :] * d[None, :, :]).max(axis=2)
                            for k in range(0, w.shape[0], chunk)])
    q = VIKOR_V * _unit_scale(s) + (1.0 - VIKOR_V) * _unit_scale(big_r)
    return q, s, big_r


def _unit_scale(x: np.ndarray) -> np.ndarray:
    """(x − min)/(max − min) per row; 0 where the row is constant (as the library's nan_to_num)."""
    lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(span > 0, (x - lo) / np.where(span > 0, span, 1.0), 0.0)


def batch_ranks(method: str, ratios: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """S×N competition ranks (1, 2, 2, 4) from the rounded scores, as ranking.evaluate does."""
    places = PLACES[method]
    scores = batch_scores(method, ratios, weights)
    if method == "vikor":
        q, s, big_r = (round_half_up_units(x, places) for x in scores)
        # Lower is better: sort ascending by (Q, S, R); equal triples share a rank.
        keys = [(q[k], s[k], big_r[k]) for k in range(q.shape[0])]
        return np.stack([_tuple_ranks(*key) for key in keys])
    units = round_half_up_units(scores, places)
    ordered = np.sort(units, axis=1)
    n = units.shape[1]
    # rank = 1 + number of candidates with a strictly higher rounded score.
    return np.stack([n - np.searchsorted(ordered[k], units[k], side="right") + 1
                     for k in range(units.shape[0])])


def _tuple_ranks(q: np.ndarray, s: np.ndarray, r: np.ndarray) -> np.ndarray:
    order = np.lexsort((r, s, q))
    qs, ss, rs = q[order], s[order], r[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (qs[1:] != qs[:-1]) | (ss[1:] != ss[:-1]) | (rs[1:] != rs[:-1])
    positions = np.arange(1, len(order) + 1)
    sorted_ranks = np.maximum.accumulate(np.where(new, positions, 0))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = sorted_ranks
    return ranks


def rank_intervals(method: str, ratios: Sequence[Sequence[float]], weights: Sequence[float],
                   n: int = DEFAULT_SAMPLES, seed: int = 0, places: int | None = None
                   ) -> list[RankInterval]:
    """Per candidate rank interval (5th/95th percentile, inverted CDF) and P(rank ≤ places)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    if n < 1:
        raise ValueError("the number of samples must be at least 1")
    w = normalised_weights(weights)
    r = as_ratios(ratios, len(w))
    ranks = batch_ranks(method, r, sample_weights(w, n, seed))
    p05, p95 = np.percentile(ranks, [5, 95], axis=0, method="inverted_cdf")
    within = (ranks <= places).mean(axis=0) if places is not None else None
    return [RankInterval(rank_p05=int(p05[i]), rank_p95=int(p95[i]),
                         p_within_places=None if within is None
                         else round_half_up(float(within[i]), 6))
            for i in range(r.shape[0])]


def kendall_tau(ranks_a: Sequence[int], ranks_b: Sequence[int]) -> float | None:
    """Kendall's tau-b between two rankings (rounded to 6); None when undefined (constant, n < 2)."""
    a, b = np.asarray(ranks_a), np.asarray(ranks_b)
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return None
    from scipy.stats import kendalltau

    tau = float(kendalltau(a, b).statistic)
    return None if math.isnan(tau) else round_half_up(tau, 6)
