"""Benchmark of issuing performance reports: render (reportlab, invariant, two matplotlib charts),
sign (PAdES with pyHanko) and write atomically (temporary file, fsync, rename) — per report, and a
batch of 100 with 1 and 2 worker processes.

Usage: python bench/reports.py [--reports 100] [--single 15] [--workers 1,2] [--out DIR]
Prints a JSON object on its last line. Times are seconds: wall clock, and CPU time of the process
doing the work (on a machine shared with other jobs the CPU time is the steadier figure; the load
average is printed with the figures). Targets: ≤ 0.3 s a report; 2 processes ≥ 1.7× faster than 1.
The report data is the fictional `sample_report_doc(n)` (no database: building it from the
database is one query per table and not timed here).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evalsys.demo.report_sample import sample_report_doc  # noqa: E402
from evalsys.reporting.evaluation_report import render_evaluation_report  # noqa: E402
from evalsys.reporting.signing import SigningMaterial, create_self_signed, sign_pdf  # noqa: E402
from evalsys.services.files import write_atomically  # noqa: E402

TARGET_PER_REPORT_S = 0.3
TARGET_SPEEDUP = 1.7

_material: SigningMaterial | None = None
_out: Path | None = None


def _setup(material: SigningMaterial, out: Path) -> None:
    """Per process: remember the signing material and folder, load the font, charts and signer."""
    global _material, _out
    _material, _out = material, out
    sign_pdf(render_evaluation_report(sample_report_doc(0)), material)


def issue_one(n: int) -> dict[str, float]:
    """Render, sign and write report number n; the phase times of this process."""
    assert _material is not None and _out is not None
    w0, c0 = time.perf_counter(), time.process_time()
    unsigned = render_evaluation_report(sample_report_doc(n))
    w1, c1 = time.perf_counter(), time.process_time()
    signed = sign_pdf(unsigned, _material)
    w2, c2 = time.perf_counter(), time.process_time()
    write_atomically(_out / f"PERF-BENCH-{n:04d}.pdf", signed)
    w3, c3 = time.perf_counter(), time.process_time()
    return {"wall": w3 - w0, "cpu": c3 - c0, "render_wall": w1 - w0, "render_cpu": c1 - c0,
            "sign_wall": w2 - w1, "sign_cpu": c2 - c1, "write_wall": w3 - w2, "bytes": len(signed)}


def _ready(_: int) -> int:
    time.sleep(0.2)  # long enough that every worker of the pool takes one
    return os.getpid()


def batch(n_reports: int, workers: int, material: SigningMaterial, out: Path) -> dict[str, float]:
    """Issue n_reports with a pool of `workers` processes, started and warmed before the clock starts."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    context = multiprocessing.get_context("fork")  # workers inherit the loaded font and signer
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_setup,
                             initargs=(material, out)) as pool:
        pids = set(pool.map(_ready, range(workers * 2)))
        start = time.perf_counter()
        results = list(pool.map(issue_one, range(1, n_reports + 1), chunksize=1))
        wall = time.perf_counter() - start
    files = sorted(out.glob("*.pdf"))
    assert len(files) == n_reports, f"{len(files)} files for {n_reports} reports"
    cpu = sum(r["cpu"] for r in results)
    return {"workers": workers, "processes_used": len(pids), "wall_s": round(wall, 3),
            "per_report_wall_s": round(wall / n_reports, 4), "cpu_s": round(cpu, 3),
            "per_report_cpu_s": round(cpu / n_reports, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100, help="reports in the batch")
    parser.add_argument("--single", type=int, default=15, help="reports timed one by one")
    parser.add_argument("--workers", default="1,2", help="pool sizes to time, comma separated")
    parser.add_argument("--out", help="scratch folder (default: a temporary one, removed afterwards)")
    args = parser.parse_args()

    scratch = Path(args.out or tempfile.mkdtemp(prefix="evalsys-bench-reports-"))
    try:
        material = create_self_signed(scratch / "signing")
        load_before = os.getloadavg()
        start = time.perf_counter()
        _setup(material, scratch / "single")
        first_s = time.perf_counter() - start  # font registration, matplotlib, signer: once per process
        (scratch / "single").mkdir(parents=True, exist_ok=True)
        singles = [issue_one(n) for n in range(1, args.single + 1)]

        def med(key: str) -> float:
            return round(statistics.median(s[key] for s in singles), 4)

        per_report = {"first_call_setup_s": round(first_s, 3), "n": len(singles),
                      "median_wall_s": med("wall"), "min_wall_s": round(min(s["wall"] for s in singles), 4),
                      "median_cpu_s": med("cpu"), "min_cpu_s": round(min(s["cpu"] for s in singles), 4),
                      "render_wall_s": med("render_wall"), "render_cpu_s": med("render_cpu"),
                      "sign_wall_s": med("sign_wall"), "sign_cpu_s": med("sign_cpu"),
                      "write_wall_s": med("write_wall"), "signed_bytes": int(med("bytes"))}
        print(f"one report: median {per_report['median_wall_s']} s wall, {per_report['median_cpu_s']} s CPU "
              f"(render {per_report['render_cpu_s']}, sign {per_report['sign_cpu_s']} CPU)", file=sys.stderr)

        batches = []
        for w in (int(x) for x in args.workers.split(",") if x.strip()):
            b = batch(args.reports, w, material, scratch / f"batch-{w}")
            batches.append(b)
            print(f"batch of {args.reports} with {w} process(es): {b['wall_s']} s", file=sys.stderr)
        by_workers = {b["workers"]: b for b in batches}
        speedup = (round(by_workers[1]["wall_s"] / by_workers[2]["wall_s"], 2)
                   if 1 in by_workers and 2 in by_workers else None)
        load_after = os.getloadavg()
        result = {
            "benchmark": "reports", "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "per_report": per_report, "batches": batches, "speedup_2_vs_1": speedup,
            "targets": {"per_report_s": TARGET_PER_REPORT_S, "speedup_2_vs_1": TARGET_SPEEDUP},
            "meets": {"per_report_wall": per_report["median_wall_s"] <= TARGET_PER_REPORT_S,
                      "per_report_cpu": per_report["median_cpu_s"] <= TARGET_PER_REPORT_S,
                      "speedup": speedup is not None and speedup >= TARGET_SPEEDUP},
        }
    finally:
        if not args.out:
            shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
