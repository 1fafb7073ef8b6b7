"""Benchmark of a ranking run from the database: 3,000 applications × 7 reviewers, enterprise system.

Usage: python bench/review.py [--applications 3000] [--reviewers 7] [--samples 200] [--repeat 3]
       [--database-url URL]   (default: a temporary SQLite file; PostgreSQL via DATABASE_URL too)
Builds a scored call (bulk inserts, not timed), then times, best of --repeat:
  raw       — aggregation in SQL + matrix + weighted total per category, no robustness (target ≤ 1 s)
  adjusted  — every score row fetched, bias adjustment, 200 robustness samples (target ≤ 2 s)
  stored    — run_call as the ranking page does it (both aggregations, robustness, snapshot rows)
Prints a JSON object on its last line: wall and process CPU seconds (best of --repeat), and the
load average, since wall time on a shared machine says little (PostgreSQL's own time is not in
the CPU figure).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    """Build the call, time the runs, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--reviewers", type=int, default=7)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import select

    from evalsys import create_app
    from evalsys.extensions import db
    from evalsys.models import Call
    from evalsys.services import run_inputs, runs
    from tests.rankutil import build_scored_call

    workdir = tempfile.mkdtemp(prefix="evalsys-bench-")
    url = args.database_url or f"sqlite:///{workdir}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": workdir, "TESTING": True,
                      "SECRET_KEY": "bench", "AUDIT_HMAC_KEY": "bench"})
    figures: dict[str, object] = {"applications": args.applications, "reviewers": args.reviewers,
                                  "samples": args.samples, "database": url.split(":")[0]}
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        built = build_scored_call(n_apps=args.applications, reviewers=args.reviewers, pool=60,
                                  categories=("retail", "wholesale", "service", "local-life", "cross-border",
                                              "comprehensive", "innovation"), places=20)
        db.session.commit()
        figures["build_s"] = round(time.perf_counter() - start, 3)
        call = db.session.scalar(select(Call).where(Call.code == built.code))

        def raw_run() -> None:
            inputs = run_inputs.load_inputs(call, adjusted=False)
            for cat in call.category_codes:
                runs.rank_cohort(call, inputs, category=cat, adjusted=False)

        def adjusted_run() -> None:
            inputs = run_inputs.load_inputs(call, adjusted=True)
            for cat in call.category_codes:
                runs.rank_cohort(call, inputs, category=cat, adjusted=True, samples=args.samples, seed=1)

        def stored_run() -> None:
            runs.run_call(call, samples=args.samples, seed=1, actor=None)
            db.session.rollback()

        for name, fn in (("raw_s", raw_run), ("adjusted_robust_s", adjusted_run), ("stored_run_s", stored_run)):
            best, best_cpu = float("inf"), float("inf")
            for _ in range(args.repeat):
                db.session.expire_all()
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                best = min(best, time.perf_counter() - t0)
                best_cpu = min(best_cpu, time.process_time() - c0)
            figures[name] = round(best, 3)
            figures[name.replace("_s", "_cpu_s")] = round(best_cpu, 3)
        figures["scores"] = run_inputs.load_inputs(call, adjusted=True).scores
        db.engine.dispose()
    figures["load_average_1m"] = round(os.getloadavg()[0], 2)
    figures["cpus"] = os.cpu_count()
    figures["targets"] = {"raw_s": 1.0, "adjusted_robust_s": 2.0}
    figures["ok"] = figures["raw_s"] <= 1.0 and figures["adjusted_robust_s"] <= 2.0
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
