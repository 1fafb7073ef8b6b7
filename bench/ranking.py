"""Benchmark of the ranking core: aggregation, weighted total, TOPSIS and 200-sample robustness.

Usage: python bench/ranking.py [--candidates 3000] [--indicators 25] [--reviewers 7]
       [--samples 200] [--repeat 3] [--seed 0]
Prints a JSON object on its last line; times are seconds, the best of --repeat runs (the
import of scikit-criteria is timed once, apart from the core). Target: core ≤ 0.5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evalsys.domain.experts import aggregate_array  # noqa: E402
from evalsys.domain.ranking import evaluate  # noqa: E402
from evalsys.domain.robustness import rank_intervals  # noqa: E402


def numpy_topsis(r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Bare-numpy TOPSIS (vector normalisation, Euclidean distances) for comparison."""
    v = r / np.sqrt((r ** 2).sum(axis=0)) * (w / w.sum())
    d_best = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    d_worst = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    return d_worst / (d_best + d_worst)


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Minimum wall time over ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    """Run the benchmark and print the JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=3000)
    parser.add_argument("--indicators", type=int, default=25)
    parser.add_argument("--reviewers", type=int, default=7)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--places", type=int, default=155)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    maxima = rng.integers(2, 11, size=args.indicators).astype(float)
    # Expert sheets in steps of 0.1 from 0 to each indicator's maximum.
    sheets = np.floor(rng.uniform(0, 1, (args.candidates, args.indicators, args.reviewers))
                      * (maxima[None, :, None] * 10 + 1)) / 10
    weights = maxima.tolist()

    start = time.perf_counter()
    import skcriteria  # noqa: F401  (timed apart: the app pays it once, lazily)
    import_s = time.perf_counter() - start
    evaluate("topsis", [[0.1, 0.2], [0.3, 0.1]], [1, 1])  # first-call warm-up of the pipeline

    agg_s, points = best_of(args.repeat, lambda: aggregate_array(sheets))
    ratios = (points / maxima).tolist()
    wt_s, wt = best_of(args.repeat, lambda: evaluate("weighted-total", ratios, weights))
    topsis_s, topsis = best_of(args.repeat, lambda: evaluate("topsis", ratios, weights))
    rob_s, _ = best_of(args.repeat, lambda: rank_intervals(
        "weighted-total", ratios, weights, n=args.samples, seed=args.seed, places=args.places))
    r = np.asarray(ratios)
    np_s, closeness = best_of(args.repeat, lambda: numpy_topsis(r, np.asarray(weights)))
    agreement = float(np.max(np.abs(closeness - np.asarray(topsis.raw))))

    core = agg_s + wt_s + topsis_s + rob_s
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.candidates} candidates × {args.indicators} indicators × {args.reviewers} "
          f"reviewers, {args.samples} samples, {cores} cores; best of {args.repeat}")
    print(json.dumps({
        "candidates": args.candidates, "indicators": args.indicators,
        "reviewers": args.reviewers, "samples": args.samples, "cores": cores,
        "import_skcriteria_s": round(import_s, 4),
        "aggregation_s": round(agg_s, 4), "weighted_total_s": round(wt_s, 4),
        "topsis_s": round(topsis_s, 4), "robustness_s": round(rob_s, 4),
        "core_s": round(core, 4), "target_s": 0.5, "within_target": core <= 0.5,
        "numpy_topsis_s": round(np_s, 4),
        "numpy_vs_library_max_abs_diff": agreement, "top_weighted_total": wt.scores[wt.ranks.index(1)],
    }))


if __name__ == "__main__":
    main()
