"""Scoring rules of domain.md §5 and §7: points, rounding, weighted total, ranks and tie order."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

from evalsys.domain.criteria import CriteriaSystem, Indicator

# Guard digits used to wash out float64 noise before the half-up step (see round_half_up).
GUARD_DIGITS = 7


class ScoringInputError(ValueError):
    """A bad value in the scoring input; ``row`` is 0-based, ``column`` an indicator or field id."""

    def __init__(self, row: int, column: str, reason: str) -> None:
        self.row, self.column, self.reason = row, column, reason
        super().__init__(f"row {row}, column {column!r}: {reason}")


_SCALE = tuple(10.0 ** k for k in range(10))


def round_half_up(value: float, places: int) -> float:
    """Round half-up to ``places`` decimals, as a person computing by hand would.

    The choice, and why: the decimal value meant is taken from the float's shortest repr, not
    from its exact binary value. 2.675 is stored as 2.67499999999999982…, so exact rounding
    (``Decimal(2.675)``, also what ``round`` and ``f"{x:.2f}"`` do) gives 2.67 where anyone
    checking by hand gets 2.68; and ``f"{x:.2f}"`` rounds the exact tie 0.125 half-even to 0.12.
    A computed sum such as 0.1 + 0.2 + 89.695 comes out as 89.99499999999999 (noise), so the
    repr alone is not enough either: it is first rounded half-even to ``places + 7`` decimals,
    which removes float noise (~1e-13 at these magnitudes) without moving any value meant to
    have few decimals, then half-up to ``places``. So 89.995 → 90.00 and 0.125 → 0.13.
    """
    if not math.isfinite(value):
        raise ValueError(f"cannot round {value!r}")
    scaled = value * _SCALE[places] if places < len(_SCALE) else None
    if scaled is not None and abs(scaled) < 1e9 and abs(scaled - math.floor(scaled) - 0.5) > 1e-6:
        # Far from a tie, every reading of the value rounds the same way, and round() returns the
        # float nearest the correctly rounded decimal, as the Decimal path below does (a test compares).
        return round(value, places)
    guarded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-(places + GUARD_DIGITS)),
                                                   rounding=ROUND_HALF_EVEN)
    return float(guarded.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def round_half_up_units(values: np.ndarray, places: int) -> np.ndarray:
    """Vectorised round_half_up, returned as integers in units of 10**-places (exact ties).

    Used for the robustness samples, where Decimal would be too slow; a test checks that it
    agrees with round_half_up.
    """
    scaled = np.asarray(values, dtype=np.float64) * 10.0 ** places
    return np.floor(np.round(scaled, GUARD_DIGITS) + 0.5).astype(np.int64)


def clamp(value: float, high: float) -> float:
    """Clamp points to [0, high]."""
    return min(max(value, 0.0), high)


def cohort_points(values: Sequence[float], max_points: float, higher_is_better: bool = True,
                  log: bool = False) -> list[float]:
    """Cohort rule: P·(x−min)/(max−min) (Q+) or P·(max−x)/(max−min) (Q−); P for everyone if max = min."""
    xs = [math.log10(1.0 + v) for v in values] if log else [float(v) for v in values]
    if not xs:
        return []
    lo, hi = min(xs), max(xs)
    if hi == lo:
        return [max_points] * len(xs)
    span = hi - lo
    if higher_is_better:
        return [clamp(max_points * (x - lo) / span, max_points) for x in xs]
    return [clamp(max_points * (hi - x) / span, max_points) for x in xs]


def target_points(value: float, target: float, max_points: float,
                  higher_is_better: bool = True) -> float:
    """Target rule: Q+ P·x/target (clamped); Q− P when x ≤ target, else P·target/x."""
    if not target > 0:
        raise ValueError(f"target must be > 0, not {target!r}")
    if higher_is_better:
        return clamp(max_points * value / target, max_points)
    if value <= target:
        return max_points
    return clamp(max_points * target / value, max_points)


def compute_points(system: CriteriaSystem, rows: Sequence[Mapping[str, float]]
                   ) -> list[dict[str, float]]:
    """Points of every scored indicator for each row of a cohort (the candidates ranked together).

    A row maps indicator ids to the Q figure (matrix units: yuan, fractions) or the aggregated
    expert points, and target-field ids to the per-candidate target.
    """
    result: list[dict[str, float]] = [{} for _ in rows]
    for ind in system.scored_indicators:
        values = [_value(system, ind, i, row) for i, row in enumerate(rows)]
        if ind.type == "E":
            points = values
        elif ind.rule is not None and ind.rule.kind == "cohort":
            points = cohort_points(values, ind.max, ind.higher_is_better, ind.rule.log)
        else:
            points = [target_points(v, _target(ind, i, row), ind.max, ind.higher_is_better)
                      for i, (v, row) in enumerate(zip(values, rows))]
        for res, p in zip(result, points):
            res[ind.id] = p
    return result


def _value(system: CriteriaSystem, ind: Indicator, i: int, row: Mapping[str, float]) -> float:
    value = row.get(ind.id)
    if value is None or not math.isfinite(value):
        raise ScoringInputError(i, ind.id, "value missing")
    if ind.type == "E":
        if value < 0 or value > ind.max:
            raise ScoringInputError(i, ind.id, f"expert points {value:g} outside 0..{ind.max:g}")
        return float(value)
    assert ind.field is not None and ind.rule is not None
    fld = system.field(ind.field)
    if fld.min is not None and value < fld.min:
        raise ScoringInputError(i, ind.id, f"{value:g} is below the minimum {fld.min:g} of {fld.id}")
    if fld.max is not None and value > fld.max:
        raise ScoringInputError(i, ind.id, f"{value:g} is above the maximum {fld.max:g} of {fld.id}")
    if ind.rule.log and value < 0:
        raise ScoringInputError(i, ind.id, "a log-scale figure cannot be negative")
    return float(value)


def _target(ind: Indicator, i: int, row: Mapping[str, float]) -> float:
    assert ind.rule is not None
    if ind.rule.target_field is None:
        assert ind.rule.target is not None
        return ind.rule.target
    target = row.get(ind.rule.target_field)
    if target is None or not math.isfinite(target):
        raise ScoringInputError(i, ind.rule.target_field, "target missing")
    if target <= 0:
        raise ScoringInputError(i, ind.rule.target_field, f"target must be > 0, not {target:g}")
    return float(target)


def achievement_ratios(system: CriteriaSystem, points: Sequence[Mapping[str, float]]
                       ) -> list[list[float]]:
    """r_ij = points_ij / P_j in the order of system.scored_indicators."""
    inds = system.scored_indicators
    return [[p[i.id] / i.max for i in inds] for p in points]


def weighted_total(ratios: Sequence[float], weights: Sequence[float]) -> float:
    """100 · Σ (w_j/Σw) · r_j, unrounded; with w = P it is the plain sum of points."""
    total_weight = float(sum(weights))
    if total_weight <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be >= 0 and not all zero")
    return 100.0 * sum(w / total_weight * r for w, r in zip(weights, ratios))


def competition_ranks(keys: Sequence[float | tuple[float, ...]], higher_is_better: bool = True
                      ) -> list[int]:
    """Ranks with ties as 1, 2, 2, 4; keys are the rounded scores (or tuples of them)."""
    order = sorted(range(len(keys)), key=lambda i: keys[i], reverse=higher_is_better)
    ranks = [0] * len(keys)
    for pos, i in enumerate(order):
        if pos and keys[i] == keys[order[pos - 1]]:
            ranks[i] = ranks[order[pos - 1]]
        else:
            ranks[i] = pos + 1
    return ranks


def display_order(ranks: Sequence[int], expert_subtotals: Sequence[float] | None = None,
                  submitted: Sequence[object] | None = None) -> list[int]:
    """Indices in display order: rank, then the larger expert subtotal, then the earlier submission.

    ``submitted`` holds sortable submission times (default: the input order). Subtotals are
    compared rounded to 2 decimals so float noise never decides a tie.
    """
    n = len(ranks)
    subtotals = [round_half_up(s, 2) for s in expert_subtotals] if expert_subtotals else [0.0] * n
    when = list(submitted) if submitted is not None else list(range(n))
    return sorted(range(n), key=lambda i: (ranks[i], -subtotals[i], when[i], i))


def expert_subtotal(system: CriteriaSystem, points: Mapping[str, float]) -> float:
    """Sum of the E indicators' points of one candidate (the first tie-break)."""
    return sum(points[i.id] for i in system.scored_indicators if i.type == "E")


def check_gates(system: CriteriaSystem, values: Mapping[str, float | bool | None]) -> list[str]:
    """Ids of the gates the candidate fails; a missing figure fails its gate."""
    failed = []
    for ind in system.gates:
        assert ind.gate is not None
        value, limit = values.get(ind.gate.field), ind.gate.value
        ok = value is not None and {
            ">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
            "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
        }[ind.gate.op](value, limit)
        if not ok:
            failed.append(ind.id)
    return failed


def grade(system: CriteriaSystem, total: float) -> tuple[str, str] | None:
    """(code, label) of the grade band the rounded total falls in; None if the system has none."""
    rounded = round_half_up(total, 2)
    for code, label, low in system.grades:
        if rounded >= low:
            return code, label
    return None


@dataclass(frozen=True)
class BonusPoints:
    """A performance bonus, shown beside the total and never counted for the grade."""

    points: float

    @classmethod
    def of(cls, system: CriteriaSystem, points: float) -> BonusPoints:
        """Bonus clamped to [0, system.bonus_max]."""
        return cls(clamp(points, system.bonus_max))
