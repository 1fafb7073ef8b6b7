"""The ranking methods of domain.md §7; the only importer of scikit-criteria (imported lazily).

Every method runs on the achievement ratios r_ij ∈ [0, 1] (all "higher is better"). Each
pipeline is written down once, in ``_pipeline``; degenerate inputs are settled here before
the library is called, because scikit-criteria 0.10 fails or warns on them. Ranks are
computed by our code from the rounded scores (the library's ``rank_`` is dense and its
``untied_rank_`` breaks ties arbitrarily).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evalsys.domain.scoring import competition_ranks, round_half_up

METHODS = ("weighted-total", "topsis", "vikor", "wpm")
DEFAULT_METHOD = "weighted-total"
VIKOR_V = 0.5
# The cohort rule gives the last candidate exactly 0, which the weighted product cannot take.
WPM_FLOOR = 0.01
PLACES = {"weighted-total": 2, "topsis": 6, "vikor": 6, "wpm": 6}


class RankingError(ValueError):
    """Input the methods refuse (bad weights, unknown method, malformed matrix)."""


@dataclass(frozen=True)
class MethodResult:
    """Scores of one method: ``scores`` are rounded (what is stored, shown and ranked)."""

    method: str
    score_direction: str
    scores: tuple[float, ...]
    ranks: tuple[int, ...]
    raw: tuple[float, ...]
    extra: dict[str, tuple[float, ...]] = field(default_factory=dict)


def normalised_weights(weights: Sequence[float]) -> np.ndarray:
    """Weights divided by their sum; negative, non-finite or all-zero weights are an error."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or not np.all(np.isfinite(w)):
        raise RankingError("weights must be finite numbers")
    if np.any(w < 0):
        raise RankingError("weights must not be negative")
    if not np.any(w > 0):
        raise RankingError("weights must not all be zero")
    return w / w.sum()


def as_ratios(ratios: Sequence[Sequence[float]], n_weights: int) -> np.ndarray:
    """Check the ratio matrix: N×M, finite, within [0, 1]."""
    r = np.asarray(ratios, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] == 0 or r.shape[1] != n_weights:
        raise RankingError(f"ratio matrix must be N×{n_weights} with N ≥ 1")
    if not np.all(np.isfinite(r)) or np.any(r < 0) or np.any(r > 1):
        raise RankingError("achievement ratios must be finite and within [0, 1]")
    return r


def active_columns(r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Columns that take part in TOPSIS and VIKOR distances: not constant and weight > 0."""
    return (r.max(axis=0) > r.min(axis=0)) & (w > 0)


def evaluate(method: str, ratios: Sequence[Sequence[float]], weights: Sequence[float]
             ) -> MethodResult:
    """Scores and ranks of every candidate under ``method`` (plain Python types only)."""
    if method not in METHODS:
        raise RankingError(f"unknown method {method!r} (expected one of {', '.join(METHODS)})")
    w = normalised_weights(weights)
    r = as_ratios(ratios, len(w))
    places = PLACES[method]
    extra: dict[str, tuple[float, ...]] = {}
    if method == "vikor":
        q, s, rr = _vikor(r, w)
        rounded = [round_half_up(x, places) for x in q]
        s6 = [round_half_up(x, places) for x in s]
        r6 = [round_half_up(x, places) for x in rr]
        # Strict order: Q ascending, then S, then R; equal triples share a rank.
        ranks = competition_ranks(list(zip(rounded, s6, r6)), higher_is_better=False)
        extra = {"S": tuple(s6), "R": tuple(r6)}
        raw = q
    else:
        raw = {"weighted-total": _weighted_total, "topsis": _topsis, "wpm": _wpm}[method](r, w)
        rounded = [round_half_up(x, places) for x in raw]
        ranks = competition_ranks(rounded, higher_is_better=True)
    return MethodResult(method=method, score_direction="lower" if method == "vikor" else "higher",
                        scores=tuple(rounded), ranks=tuple(ranks),
                        raw=tuple(float(x) for x in raw), extra=extra)


def _pipeline(method: str) -> Any:
    """The scikit-criteria pipeline of each method, written down in one place."""
    from skcriteria.agg.simple import WeightedProductModel, WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.agg.vikor import VIKOR
    from skcriteria.pipelines import mkpipe
    from skcriteria.preprocessing.scalers import SumScaler, VectorScaler

    if method == "weighted-total":
        return mkpipe(SumScaler(target="weights"), WeightedSumModel())
    if method == "topsis":
        return mkpipe(VectorScaler(target="matrix"), SumScaler(target="weights"),
                      TOPSIS(metric="euclidean"))
    if method == "vikor":
        # Constant columns are left out before this runs, so the weights are renormalised over
        # the active criteria: S and R are on that scale (Q and the order do not depend on it).
        return mkpipe(SumScaler(target="weights"), VIKOR(v=VIKOR_V, use_compromise_set=False))
    return mkpipe(SumScaler(target="weights"), WeightedProductModel())


def _decision_matrix(r: np.ndarray, w: np.ndarray) -> Any:
    import skcriteria

    return skcriteria.mkdm(r, [max] * r.shape[1], weights=w,
                           alternatives=[f"a{i}" for i in range(r.shape[0])],
                           criteria=[f"c{j}" for j in range(r.shape[1])])


def _weighted_total(r: np.ndarray, w: np.ndarray) -> list[float]:
    result = _pipeline("weighted-total").evaluate(_decision_matrix(r, w))
    # The library squeezes its score, so one candidate comes back as a 0-d array.
    return [100.0 * float(x) for x in np.atleast_1d(result.e_.score)]


def _topsis(r: np.ndarray, w: np.ndarray) -> list[float]:
    n = r.shape[0]
    if n == 1:
        return [1.0]
    active = active_columns(r, w)
    if not active.any():
        # All candidates are equal on every weighted criterion: equally close to both poles.
        return [0.5] * n
    result = _pipeline("topsis").evaluate(_decision_matrix(r[:, active], w[active]))
    return [float(x) for x in result.e_.similarity]


def _vikor(r: np.ndarray, w: np.ndarray) -> tuple[list[float], list[float], list[float]]:
    n = r.shape[0]
    active = active_columns(r, w)
    if n == 1 or not active.any():
        return [0.0] * n, [0.0] * n, [0.0] * n
    with warnings.catch_warnings():
        # The columns are no longer constant, but S or R may still be equal for every candidate
        # (e.g. two candidates each best on one of two equally weighted criteria). The library
        # then divides 0/0, warns, and takes that term as 0 — which is the right limit, as the
        # term does not discriminate. Only these two messages are silenced.
        warnings.filterwarnings("ignore", message="invalid value encountered in divide",
                                category=RuntimeWarning)
        warnings.filterwarnings("ignore", message="Some criteria \\(or distance\\) was equal",
                                category=UserWarning)
        result = _pipeline("vikor").evaluate(_decision_matrix(r[:, active], w[active]))
    e = result.e_
    return ([float(x) for x in e.q_k], [float(x) for x in e.s_k], [float(x) for x in e.r_k])


def _wpm(r: np.ndarray, w: np.ndarray) -> list[float]:
    shifted = WPM_FLOOR + (1.0 - WPM_FLOOR) * r
    result = _pipeline("wpm").evaluate(_decision_matrix(shifted, w))
    # The library's score is Σ w·log10(r′); 10**score is the weighted geometric mean of r′,
    # a number in [0.01, 1] that reads like the other scores.
    return [math.pow(10.0, float(x)) for x in np.atleast_1d(result.e_.score)]
