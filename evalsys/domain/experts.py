"""Expert review rules of domain.md §5: aggregation, reviewer-bias adjustment, divergence flags."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

# With at least this many sheets one highest and one lowest score are dropped.
TRIM_FROM = 5
# A reviewer needs this many scores on an indicator before their spread is trusted.
BIAS_MIN_SCORES = 3
DIVERGENCE_SHARE = 0.2
DIVERGENCE_MIN_SHEETS = 3
# "More than 20 %" is strict; the tolerance keeps 1.2000000000000002 from beating 1.2.
DIVERGENCE_TOL = 1e-9
SCORE_STEP = Decimal("0.1")


@dataclass(frozen=True)
class ExpertScore:
    """One expert's score on one indicator of one candidate."""

    reviewer: Hashable
    candidate: Hashable
    indicator: str
    score: float


@dataclass(frozen=True)
class AggregatedScore:
    """Aggregated expert points of a candidate on an indicator: raw, and bias-adjusted beside it."""

    candidate: Hashable
    indicator: str
    raw: float
    adjusted: float
    sheets: int


class MissingSheets(ValueError):
    """A ranking run is refused: these candidates have fewer sheets than required."""

    def __init__(self, missing: list[tuple[Hashable, int]], required: int) -> None:
        self.missing, self.required = missing, required
        listed = ", ".join(f"{c} ({n} of {required})" for c, n in missing)
        super().__init__(f"fewer submitted sheets than required: {listed}")


def is_valid_expert_score(score: float, max_points: float) -> bool:
    """A score is entered in steps of 0.1, from 0 to the indicator's maximum."""
    if not math.isfinite(score) or score < 0 or score > max_points:
        return False
    return Decimal(repr(float(score))) % SCORE_STEP == 0


def aggregate_scores(scores: Sequence[float]) -> float:
    """Trimmed mean (drop one highest, one lowest) with n ≥ 5 sheets, else the plain mean."""
    if not scores:
        raise ValueError("no scores to aggregate")
    ordered = sorted(float(s) for s in scores)
    if len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    return math.fsum(ordered) / len(ordered)


def aggregate_array(scores: np.ndarray) -> np.ndarray:
    """aggregate_scores over the last axis of an array (same reviewer count in every cell)."""
    arr = np.asarray(scores, dtype=np.float64)
    if arr.shape[-1] == 0:
        raise ValueError("no scores to aggregate")
    if arr.shape[-1] >= TRIM_FROM:
        arr = np.sort(arr, axis=-1)[..., 1:-1]
    return arr.mean(axis=-1)


def _encode(keys: Sequence[Hashable]) -> np.ndarray:
    """Integer codes for arbitrary hashable keys, in order of first appearance."""
    table: dict[Hashable, int] = {}
    return np.fromiter((table.setdefault(k, len(table)) for k in keys), dtype=np.int64,
                       count=len(keys))


def _group_stats(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per group: count, mean, population std, and whether every value is the same."""
    groups = int(codes.max()) + 1
    count = np.bincount(codes, minlength=groups)
    mean = np.bincount(codes, weights=values, minlength=groups) / count
    spread = np.bincount(codes, weights=(values - mean[codes]) ** 2, minlength=groups) / count
    hi = np.full(groups, -np.inf)
    lo = np.full(groups, np.inf)
    np.maximum.at(hi, codes, values)
    np.minimum.at(lo, codes, values)
    # Equality is tested on the scores themselves: the std of 0.1, 0.1, 0.1 is 1.4e-17, not 0.
    return count, mean, np.sqrt(spread), hi == lo


def adjust_array(scores: np.ndarray, indicator: np.ndarray, reviewer: np.ndarray,
                 maxima: np.ndarray) -> np.ndarray:
    """Bias-adjusted scores (see adjust_for_bias) from parallel arrays, for callers holding columns.

    ``indicator`` holds codes 0..J-1 (any order), ``reviewer`` any integer codes, ``maxima`` the
    maximum points per indicator code. Grouping by codes gives the same sums as grouping by keys.
    """
    s = np.asarray(scores, dtype=np.float64)
    ind = np.asarray(indicator, dtype=np.int64)
    _, pair = np.unique(np.asarray(reviewer, dtype=np.int64) * (int(ind.max()) + 1) + ind,
                        return_inverse=True)
    return _adjust(s, ind, pair.reshape(-1), np.asarray(maxima, dtype=np.float64)[ind])


def _adjust(s: np.ndarray, ind: np.ndarray, pair: np.ndarray, top: np.ndarray) -> np.ndarray:
    _, mu_j, sigma_j, _ = _group_stats(ind, s)
    n_k, mu_k, sigma_k, flat_k = _group_stats(pair, s)
    mu_j, sigma_j = mu_j[ind], sigma_j[ind]
    mu_k, sigma_k, shift_only = mu_k[pair], sigma_k[pair], (n_k < BIAS_MIN_SCORES)[pair] | flat_k[pair]
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = mu_j + sigma_j * (s - mu_k) / np.where(shift_only, 1.0, sigma_k)
    adjusted = np.where(shift_only, s - mu_k + mu_j, scaled)
    return np.clip(adjusted, 0.0, top)


def _adjusted_array(scores: Sequence[ExpertScore], maxima: Mapping[str, float]) -> np.ndarray:
    s = np.fromiter((x.score for x in scores), dtype=np.float64, count=len(scores))
    ind = _encode([x.indicator for x in scores])
    pair = _encode([(x.reviewer, x.indicator) for x in scores])
    top = np.fromiter((maxima[x.indicator] for x in scores), dtype=np.float64, count=len(scores))
    return _adjust(s, ind, pair, top)


def adjust_for_bias(scores: Sequence[ExpertScore], maxima: Mapping[str, float]
                    ) -> dict[tuple[Hashable, Hashable, str], float]:
    """Reviewer-bias adjusted score of every (reviewer, candidate, indicator).

    s′ = μ_j + σ_j·(s − μ_kj)/σ_kj, clamped to [0, P_j]; when reviewer k has fewer than 3
    scores on j or gave them all the same (σ_kj = 0), s′ = s − μ_kj + μ_j (clamped). Standard
    deviations are population ones (ddof = 0): the scores given are the whole population being
    standardised. Vectorised, as a call may hold half a million scores.
    """
    if not scores:
        return {}
    adjusted = _adjusted_array(scores, maxima)
    return {(x.reviewer, x.candidate, x.indicator): float(v) for x, v in zip(scores, adjusted)}


def aggregate_cells(cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    """aggregate_scores per cell code 0..C-1, vectorised: trimmed mean with ≥ 5 values, else mean."""
    order = np.lexsort((values, cells))
    sorted_cells, sorted_values = cells[order], values[order]
    groups = int(cells.max()) + 1
    count = np.bincount(sorted_cells, minlength=groups)
    total = np.bincount(sorted_cells, weights=sorted_values, minlength=groups)
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    last = first + count - 1
    trim = count >= TRIM_FROM
    low = np.where(trim, sorted_values[first], 0.0)
    high = np.where(trim, sorted_values[last], 0.0)
    return (total - low - high) / np.where(trim, count - 2, count)


def aggregate_sheets(scores: Sequence[ExpertScore], maxima: Mapping[str, float],
                     required: int = 0) -> dict[tuple[Hashable, str], AggregatedScore]:
    """Raw and bias-adjusted aggregate per (candidate, indicator); refuse if sheets are missing.

    ``required`` is the call's reviewers per application; a candidate is counted by the number
    of distinct reviewers who scored it.
    """
    reviewers: dict[Hashable, set[Hashable]] = defaultdict(set)
    for x in scores:
        reviewers[x.candidate].add(x.reviewer)
    missing = [(c, len(r)) for c, r in reviewers.items() if len(r) < required]
    if missing:
        raise MissingSheets(missing, required)
    if not scores:
        return {}
    keys = [(x.candidate, x.indicator) for x in scores]
    cells = _encode(keys)
    raw = np.fromiter((x.score for x in scores), dtype=np.float64, count=len(scores))
    raw_agg = aggregate_cells(cells, raw)
    adj_agg = aggregate_cells(cells, _adjusted_array(scores, maxima))
    sheets = np.bincount(cells)
    result: dict[tuple[Hashable, str], AggregatedScore] = {}
    for key, code in zip(keys, cells):
        if key not in result:
            result[key] = AggregatedScore(candidate=key[0], indicator=key[1],
                                          raw=float(raw_agg[code]), adjusted=float(adj_agg[code]),
                                          sheets=int(sheets[code]))
    return result


def divergence_flags(scores: Mapping[Hashable, float], max_points: float) -> list[Hashable]:
    """Reviewers whose score is more than 20 % of P away from the mean of the others (≥ 3 sheets)."""
    if len(scores) < DIVERGENCE_MIN_SHEETS:
        return []
    limit = DIVERGENCE_SHARE * max_points
    total = math.fsum(scores.values())
    n = len(scores)
    flagged = []
    for reviewer, s in scores.items():
        others = (total - s) / (n - 1)
        if abs(s - others) > limit + DIVERGENCE_TOL:
            flagged.append(reviewer)
    return flagged
