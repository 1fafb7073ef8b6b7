"""One ranking run end to end: points → ratios → method → ranks, tie order, robustness, explanation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evalsys.domain.criteria import CriteriaSystem
from evalsys.domain.ranking import METHODS, RankingError, evaluate
from evalsys.domain.robustness import RankInterval, kendall_tau, rank_intervals
from evalsys.domain.scoring import (
    achievement_ratios, compute_points, display_order, expert_subtotal, round_half_up)

POINTS_PLACES = 2


@dataclass(frozen=True)
class CandidateResult:
    """A candidate's place in a run; ``points`` are rounded to 2 decimals for display."""

    id: str
    rank: int
    score: float
    points: dict[str, float]
    ratios: tuple[float, ...]
    expert_subtotal: float
    robustness: RankInterval | None = None


@dataclass(frozen=True)
class Sensitivity:
    """How the robustness samples were drawn, and Kendall's tau against the other methods."""

    n: int
    seed: int
    places: int | None
    kendall_tau: dict[str, float | None]


@dataclass(frozen=True)
class RankingRun:
    """The result of rank_candidates, in rank then display order."""

    method: str
    score_direction: str
    weights: dict[str, float]
    results: tuple[CandidateResult, ...]
    sensitivity: Sensitivity | None = None


@dataclass(frozen=True)
class Explanation:
    """Contribution of each indicator to the weighted total, and the gap to the cut-off rank K."""

    id: str
    rank: int
    score: float
    contributions: dict[str, float]
    cutoff_score: float | None
    gap_to_cutoff: float | None


def rank_candidates(system: CriteriaSystem, ids: Sequence[str], rows: Sequence[Mapping[str, float]],
                    *, method: str = "weighted-total", weights: Mapping[str, float] | None = None,
                    category: str | None = None, places: int | None = None, samples: int = 0,
                    seed: int = 0, submitted: Sequence[object] | None = None) -> RankingRun:
    """Rank one cohort (one category, if the call has categories).

    ``rows`` hold each candidate's Q figures (matrix units) and aggregated E points by indicator
    id, plus target fields; ``weights`` default to the system's (or the category's);
    ``submitted`` orders ties after the expert subtotal (default: the order of ``ids``).
    """
    if method not in METHODS:
        raise RankingError(f"unknown method {method!r} (expected one of {', '.join(METHODS)})")
    if len(ids) != len(rows) or not ids:
        raise RankingError("one row per candidate, at least one candidate")
    inds = system.scored_indicators
    if category is not None and category not in {c.code for c in system.categories}:
        raise RankingError(f"unknown category {category!r} for {system.id}")
    used = dict(weights) if weights is not None else system.default_weights(category)
    missing = [i.id for i in inds if i.id not in used]
    if missing:
        raise RankingError(f"no weight for {', '.join(missing)}")
    vector = [float(used[i.id]) for i in inds]
    points = compute_points(system, rows)
    ratios = achievement_ratios(system, points)
    result = evaluate(method, ratios, vector)
    subtotals = [expert_subtotal(system, p) for p in points]
    order = display_order(result.ranks, subtotals, submitted)
    intervals: list[RankInterval] | None = None
    sensitivity = None
    if samples:
        intervals = rank_intervals(method, ratios, vector, samples, seed, places)
        taus = {other: kendall_tau(result.ranks, evaluate(other, ratios, vector).ranks)
                for other in METHODS if other != method}
        sensitivity = Sensitivity(n=samples, seed=seed, places=places, kendall_tau=taus)
    results = tuple(
        CandidateResult(id=ids[i], rank=result.ranks[i], score=result.scores[i],
                        points={ind.id: round_half_up(points[i][ind.id], POINTS_PLACES)
                                for ind in inds},
                        ratios=tuple(ratios[i]), expert_subtotal=subtotals[i],
                        robustness=intervals[i] if intervals is not None else None)
        for i in order)
    return RankingRun(method=method, score_direction=result.score_direction,
                      weights={i.id: w for i, w in zip(inds, vector)}, results=results,
                      sensitivity=sensitivity)


def explain(run: RankingRun, places: int | None) -> list[Explanation]:
    """Per candidate: 100·(w_j/Σw)·r_ij for each indicator, and score minus the K-th score.

    The gap is signed so that ≥ 0 means inside the places (for VIKOR, where lower is better,
    it is the K-th score minus the candidate's). Contributions are unrounded so they add up to
    the unrounded weighted total.
    """
    total_weight = sum(run.weights.values())
    share = {j: w / total_weight for j, w in run.weights.items()}
    cutoff = None
    if places is not None and 1 <= places <= len(run.results):
        cutoff = run.results[places - 1].score
    out = []
    for res in run.results:
        contributions = {j: 100.0 * share[j] * r for j, r in zip(run.weights, res.ratios)}
        gap = None
        if cutoff is not None:
            diff = res.score - cutoff if run.score_direction == "higher" else cutoff - res.score
            gap = round_half_up(diff, 2 if run.method == "weighted-total" else 6)
        out.append(Explanation(id=res.id, rank=res.rank, score=res.score,
                               contributions=contributions, cutoff_score=cutoff, gap_to_cutoff=gap))
    return out
