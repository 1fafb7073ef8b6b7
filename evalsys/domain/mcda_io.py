"""The `mcda` file and output contracts in one place: matrix and weights CSV writers, JSON and CSV results.

The `mcda` command, the `rank` command and the stored ranking runs all go through these functions,
so a matrix exported from the database and ranked by `mcda` gives the same document.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from evalsys.domain.criteria import CriteriaSystem
from evalsys.domain.matrix import matrix_columns
from evalsys.domain.run import RankingRun


def number_text(value: float) -> str:
    """A float as the shortest text that reads back to the same float (what parse_number takes)."""
    value = float(value)
    if value == 0:
        return "0"  # also turns -0.0 into 0
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def matrix_csv(system: CriteriaSystem, ids: Sequence[str], rows: Sequence[Mapping[str, float]]) -> str:
    """MATRIX_CSV text: header ``id,<indicator ids>,<target fields>``, one line per row, in order."""
    indicators, targets = matrix_columns(system)
    columns = indicators + targets
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", *columns])
    for cid, row in zip(ids, rows, strict=True):
        writer.writerow([cid, *(number_text(row[c]) for c in columns)])
    return out.getvalue()


def weights_csv(system: CriteriaSystem, weights: Mapping[str, float]) -> str:
    """WEIGHTS_CSV text: ``id,weight``, every scored indicator once, in indicator order."""
    lines = ["id,weight"] + [f"{i.id},{number_text(weights[i.id])}" for i in system.scored_indicators]
    return "\n".join(lines) + "\n"


def run_as_json(system: CriteriaSystem, run: RankingRun, weights_hash: str) -> dict[str, Any]:
    """The `mcda --format json` document of a run."""
    results = []
    for res in run.results:
        item: dict[str, Any] = {"id": res.id, "rank": res.rank, "score": res.score,
                                "points": dict(res.points)}
        if res.robustness is not None:
            item["robustness"] = {"rank_p05": res.robustness.rank_p05,
                                  "rank_p95": res.robustness.rank_p95,
                                  "p_within_places": res.robustness.p_within_places}
        results.append(item)
    sens = run.sensitivity
    return {
        "method": run.method, "score_direction": run.score_direction,
        "criteria": {"id": system.id, "version": system.version, "sha256": system.sha256},
        "weights_sha256": weights_hash, "results": results,
        "sensitivity": None if sens is None else {"n": sens.n, "seed": sens.seed,
                                                  "places": sens.places,
                                                  "kendall_tau": dict(sens.kendall_tau)},
    }


def run_as_csv(system: CriteriaSystem, run: RankingRun) -> str:
    """The `mcda --format csv` text of a run: ``rank,id,score,<indicator ids>`` (+ robustness)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    ids = [i.id for i in system.scored_indicators]
    extra = ["rank_p05", "rank_p95", "p_within_places"] if run.sensitivity else []
    writer.writerow(["rank", "id", "score", *ids, *extra])
    for res in run.results:
        row: list[Any] = [res.rank, res.id, res.score, *(res.points[i] for i in ids)]
        if res.robustness is not None:
            p = res.robustness.p_within_places
            row += [res.robustness.rank_p05, res.robustness.rank_p95, "" if p is None else p]
        writer.writerow(row)
    return out.getvalue()
