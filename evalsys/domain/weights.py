"""Weight rules of domain.md §7: direct, AHP (eigenvector + Saaty CR), entropy and CRITIC."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

# Saaty's random consistency index by matrix order (1980; 11–15 from the extended table).
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
            10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}
CR_LIMIT = 0.10
RECIPROCAL_TOL = 1e-6
RULES = ("direct", "ahp", "entropy", "critic")


class WeightError(ValueError):
    """Weights that cannot be used or derived."""


class InconsistentJudgements(WeightError):
    """An AHP matrix with CR ≥ 0.10; ``cr`` holds the ratio for the message shown to the user."""

    def __init__(self, cr: float) -> None:
        self.cr = cr
        super().__init__(f"pairwise comparisons are inconsistent: CR = {cr:.4f} "
                         f"(must be below {CR_LIMIT:.2f}); revise the judgements")


@dataclass(frozen=True)
class WeightSet:
    """A weight version: rule, values, and who made it when and why (stored by the app)."""

    version: int
    rule: str
    values: tuple[tuple[str, float], ...]
    author: str
    created_at: datetime
    reason: str

    def as_dict(self) -> dict[str, float]:
        """Indicator id -> weight."""
        return dict(self.values)


@dataclass(frozen=True)
class AhpResult:
    """Normalised weights (sum 1) with the consistency figures."""

    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    cr: float


def direct_weights(values: Mapping[str, float], ids: Sequence[str]) -> dict[str, float]:
    """Check directly set weights: every id once, finite, ≥ 0, not all zero."""
    missing = [i for i in ids if i not in values]
    unknown = [i for i in values if i not in ids]
    if missing or unknown:
        raise WeightError(f"missing {missing}, unknown {unknown}")
    for i in ids:
        v = values[i]
        if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise WeightError(f"weight of {i} must be a finite number >= 0, not {v!r}")
    if not any(values[i] > 0 for i in ids):
        raise WeightError("weights must not all be zero")
    return {i: float(values[i]) for i in ids}


def ahp_weights(matrix: Sequence[Sequence[float]]) -> AhpResult:
    """AHP weights: principal eigenvector of a positive reciprocal matrix; refuse CR ≥ 0.10."""
    a = np.asarray(matrix, dtype=np.float64)
    n = a.shape[0] if a.ndim == 2 else 0
    if a.ndim != 2 or a.shape != (n, n) or n == 0:
        raise WeightError("the pairwise comparison matrix must be square and non-empty")
    if n not in SAATY_RI:
        raise WeightError(f"AHP takes at most {max(SAATY_RI)} elements per matrix; group them")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise WeightError("pairwise comparisons must be positive numbers")
    if not np.allclose(np.diag(a), 1.0, rtol=0, atol=RECIPROCAL_TOL):
        raise WeightError("the diagonal must be 1")
    if not np.allclose(a * a.T, 1.0, rtol=0, atol=RECIPROCAL_TOL):
        raise WeightError("the matrix must be reciprocal: a[j][i] = 1 / a[i][j]")
    eigenvalues, eigenvectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    vector = np.abs(eigenvectors[:, k].real)  # Perron vector: one sign, so abs() only fixes it
    weights = vector / vector.sum()
    lambda_max = float(eigenvalues[k].real)
    if n <= 2:
        # A 1×1 or 2×2 reciprocal matrix is always consistent; RI is 0, so CR is defined as 0.
        ci = cr = 0.0
    else:
        ci = max((lambda_max - n) / (n - 1), 0.0)
        cr = ci / SAATY_RI[n]
    if cr >= CR_LIMIT:
        raise InconsistentJudgements(cr)
    return AhpResult(weights=tuple(float(x) for x in weights), lambda_max=lambda_max, ci=ci, cr=cr)


def ahp_from_upper(values: Sequence[float], n: int) -> list[list[float]]:
    """Full reciprocal matrix from the n(n−1)/2 judgements above the diagonal, row by row."""
    if len(values) != n * (n - 1) // 2:
        raise WeightError(f"{n} elements need {n * (n - 1) // 2} judgements, got {len(values)}")
    a = [[1.0] * n for _ in range(n)]
    it = iter(values)
    for i in range(n):
        for j in range(i + 1, n):
            v = float(next(it))
            if not v > 0:
                raise WeightError("pairwise comparisons must be positive numbers")
            a[i][j], a[j][i] = v, 1.0 / v
    return a


def entropy_weights(matrix: Sequence[Sequence[float]]) -> list[float]:
    """Entropy weights of a non-negative N×M matrix (N ≥ 2): w_j ∝ 1 − e_j.

    An all-zero column carries no information (e_j = 1); if every column is uninformative the
    weights are undefined and an error is raised.
    """
    x = _matrix(matrix)
    if np.any(x < 0):
        raise WeightError("entropy weights need non-negative values")
    n = x.shape[0]
    sums = x.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(sums > 0, x / np.where(sums > 0, sums, 1.0), 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = np.where(sums > 0, -plogp.sum(axis=0) / math.log(n), 1.0)
    diversity = np.clip(1.0 - entropy, 0.0, None)
    if diversity.sum() <= 1e-15:
        raise WeightError("entropy weights are undefined: no column varies")
    return [float(v) for v in diversity / diversity.sum()]


def critic_weights(matrix: Sequence[Sequence[float]]) -> list[float]:
    """CRITIC weights: C_j = σ_j · Σ_k (1 − ρ_jk) on min-max normalised columns, normalised.

    σ is the sample standard deviation (ddof = 1); a constant column has σ = 0 and gets no
    weight, and takes no part in the others' conflict sums (its correlation is undefined).
    """
    x = _matrix(matrix)
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = hi - lo
    varies = span > 0
    if not varies.any():
        raise WeightError("CRITIC weights are undefined: no column varies")
    z = np.where(varies, (x - lo) / np.where(varies, span, 1.0), 0.0)
    sigma = z.std(axis=0, ddof=1)
    idx = np.flatnonzero(varies)
    # Conflict is summed over the varying columns only: a constant column has no correlation.
    rho = np.corrcoef(z[:, idx], rowvar=False) if len(idx) > 1 else np.ones((1, 1))
    info = np.zeros(x.shape[1])
    info[idx] = sigma[idx] * (1.0 - np.atleast_2d(rho)).sum(axis=1)
    if info.sum() <= 0:
        # Two perfectly correlated columns and nothing else: conflict is nil, fall back to σ.
        info = np.where(varies, sigma, 0.0)
    return [float(v) for v in info / info.sum()]


def _matrix(matrix: Sequence[Sequence[float]]) -> np.ndarray:
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise WeightError("derived weights need at least 2 candidates and 1 indicator")
    if not np.all(np.isfinite(x)):
        raise WeightError("the matrix must hold finite numbers")
    return x
