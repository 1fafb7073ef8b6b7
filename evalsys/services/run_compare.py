"""Stored ranking runs checked and compared: recompute a run from its own snapshot, who moved between two."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.criteria import CriteriaSystem
from ..domain.matrix import MatrixError, parse_matrix, weights_sha256
from ..domain.ranking import RankingError
from ..domain.run import RankingRun as DomainRun
from ..domain.scoring import ScoringInputError, achievement_ratios, compute_points
from ..domain.weights import WeightError, critic_weights, entropy_weights
from ..models import RankingRun
from .criteria import system as criteria_system
from .runs import DERIVED_RULES, rank_rows, sha256_text


def _rank_text(system: CriteriaSystem, matrix_text: str, weights: dict[str, float], **kw: Any
               ) -> tuple[DomainRun, dict[str, Any]]:
    """Rank a stored matrix text exactly as `mcda` reads it.

    Ranking the rows directly (as a new run does) gives the same document: every number is
    written with the shortest text that reads back to the same float. reproduce_run checks it.
    """
    matrix = parse_matrix(system, matrix_text.encode("utf-8"))
    return rank_rows(system, matrix.ids, [matrix.row(i) for i in range(len(matrix.ids))], weights, **kw)


@dataclass(frozen=True)
class Reproduction:
    """Whether a stored run was recomputed exactly; ``differences`` say what did not match."""

    run_id: int
    differences: list[str]

    @property
    def exact(self) -> bool:
        return not self.differences


def _compare_recomputed(run: RankingRun, system: CriteriaSystem, weights: dict[str, float],
                        stored: dict[str, Any], diffs: list[str]) -> None:
    if run.weight_rule in DERIVED_RULES:
        matrix = parse_matrix(system, run.matrix_csv.encode("utf-8"))
        rows = [matrix.row(i) for i in range(len(matrix.ids))]
        ratios = achievement_ratios(system, compute_points(system, rows))
        derived = (entropy_weights if run.weight_rule == "entropy" else critic_weights)(ratios)
        if [weights[i.id] for i in system.scored_indicators] != derived:
            diffs.append(f"{run.weight_rule} weights differ when derived again")
    _, doc = _rank_text(system, run.matrix_csv, weights, method=run.method, category=run.category,
                   places=run.places, samples=run.samples, seed=run.seed)
    if doc != stored["mcda"]:
        diffs.append("results differ")
    companion = stored.get("companion")
    if companion:
        _, other = _rank_text(system, companion["matrix_csv"], weights, method=run.method, category=run.category,
                         places=run.places, samples=0, seed=0)
        if other != companion["mcda"]:
            diffs.append("companion results differ")


def reproduce_run(run: RankingRun) -> Reproduction:
    """Recompute a stored run from its own matrix, weights and method and compare every value."""
    diffs: list[str] = []
    system = criteria_system(run.criteria_id, run.criteria_version)
    if system.sha256 != run.criteria_sha256:
        diffs.append(f"criteria file changed: {system.sha256} != {run.criteria_sha256}")
    if sha256_text(run.matrix_csv) != run.matrix_sha256:
        diffs.append("matrix text does not match its SHA-256")
    weights = run.weights
    if weights_sha256(system, weights) != run.weights_sha256:
        diffs.append("weights do not match their SHA-256")
    stored = run.results
    try:
        _compare_recomputed(run, system, weights, stored, diffs)
    except (MatrixError, ScoringInputError, RankingError, WeightError) as exc:
        diffs.append(f"cannot be recomputed: {exc}")
    return Reproduction(run_id=run.id, differences=diffs)


@dataclass(frozen=True)
class Move:
    """A candidate's place in two runs; ``delta`` > 0 means it moved up in ``b``."""

    id: str
    rank_a: int | None
    rank_b: int | None
    score_a: float | None
    score_b: float | None

    @property
    def delta(self) -> int | None:
        if self.rank_a is None or self.rank_b is None:
            return None
        return self.rank_a - self.rank_b


def compare_results(a: dict[str, Any], b: dict[str, Any]) -> list[Move]:
    """Who moved between two `mcda` documents, by how much; largest moves first."""
    ra = {r["id"]: r for r in a["results"]}
    rb = {r["id"]: r for r in b["results"]}
    moves = [Move(id=i, rank_a=ra[i]["rank"] if i in ra else None, rank_b=rb[i]["rank"] if i in rb else None,
                  score_a=ra[i]["score"] if i in ra else None, score_b=rb[i]["score"] if i in rb else None)
             for i in list(ra) + [i for i in rb if i not in ra]]
    return sorted(moves, key=lambda m: (-(abs(m.delta) if m.delta is not None else 10**9),
                                        m.rank_b or 10**9, m.id))


def compare_runs(a: RankingRun, b: RankingRun) -> list[Move]:
    """Who moved between two stored runs."""
    return compare_results(a.results["mcda"], b.results["mcda"])
