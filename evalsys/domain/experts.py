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


def adjust_for_bias(scores: Sequence[ExpertScore], maxima: Mapping[str, float]
                    ) -> dict[tuple[Hashable, Hashable, str], float]:
    """Reviewer-bias adjusted score of every (reviewer, candidate, indicator).

    s′ = μ_j + σ_j·(s − μ_kj)/σ_kj, clamped to [0, P_j]; when reviewer k has fewer than 3
    scores on j or σ_kj = 0, s′ = s − μ_kj + μ_j (clamped). Standard deviations are population
    ones (ddof = 0): the scores given are the whole population being standardised.
    """
    by_indicator: dict[str, list[float]] = defaultdict(list)
    by_reviewer: dict[tuple[Hashable, str], list[float]] = defaultdict(list)
    for s in scores:
        by_indicator[s.indicator].append(s.score)
        by_reviewer[(s.reviewer, s.indicator)].append(s.score)
    stats = {j: (float(np.mean(v)), float(np.std(v))) for j, v in by_indicator.items()}
    rstats = {k: (float(np.mean(v)), float(np.std(v)), len(v)) for k, v in by_reviewer.items()}
    result: dict[tuple[Hashable, Hashable, str], float] = {}
    for s in scores:
        mu_j, sigma_j = stats[s.indicator]
        mu_k, sigma_k, n_k = rstats[(s.reviewer, s.indicator)]
        if n_k < BIAS_MIN_SCORES or sigma_k == 0:
            adjusted = s.score - mu_k + mu_j
        else:
            adjusted = mu_j + sigma_j * (s.score - mu_k) / sigma_k
        result[(s.reviewer, s.candidate, s.indicator)] = min(max(adjusted, 0.0),
                                                             maxima[s.indicator])
    return result


def aggregate_sheets(scores: Sequence[ExpertScore], maxima: Mapping[str, float],
                     required: int = 0) -> dict[tuple[Hashable, str], AggregatedScore]:
    """Raw and bias-adjusted aggregate per (candidate, indicator); refuse if sheets are missing.

    ``required`` is the call's reviewers per application; a candidate is counted by the number
    of distinct reviewers who scored it.
    """
    reviewers: dict[Hashable, set[Hashable]] = defaultdict(set)
    cells: dict[tuple[Hashable, str], list[ExpertScore]] = defaultdict(list)
    for s in scores:
        reviewers[s.candidate].add(s.reviewer)
        cells[(s.candidate, s.indicator)].append(s)
    missing = [(c, len(r)) for c, r in reviewers.items() if len(r) < required]
    if missing:
        raise MissingSheets(missing, required)
    adjusted = adjust_for_bias(scores, maxima)
    return {
        (c, j): AggregatedScore(
            candidate=c, indicator=j, raw=aggregate_scores([s.score for s in cell]),
            adjusted=aggregate_scores([adjusted[(s.reviewer, c, j)] for s in cell]),
            sheets=len(cell))
        for (c, j), cell in cells.items()
    }


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
