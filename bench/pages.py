"""Page times at demo and at national scale: every GET page of every role, with real ids.

Usage: python bench/pages.py [--database-url URL] [--scale 1.0] [--repeat 3] [--json-only]
       (default: a temporary SQLite file; DATABASE_URL=postgresql://… for PostgreSQL, whose
       database must be empty — the script migrates it)
Loads the demo, logs in as one account of each role, walks the links of its pages to find one
URL per GET endpoint (downloads and files left out), and times each URL (best of --repeat) with
its number of SQL queries. Then adds the national volume (`demo --national`, times --scale) and
times the same URLs again — plus, for the pages of a whole call, the national call in place of the
demo's enterprise call (60 → 3,300 applications). Prints a table, then a JSON list on its last
line: route, role, demo ms, national ms, queries at each scale; and the load average, since wall
time on a shared machine says little — compare the two columns, measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.crawl import ACCOUNTS, walk  # noqa: E402  (the same accounts and walk as the page checks)
from tests.crawl import login_demo as login  # noqa: E402

# The pages of a whole call are reached for the demo's enterprise call first (one URL per endpoint).
FIRST = {"admin": ["/admin/calls/enterprise-2015-2016", "/admin/review/calls/enterprise-2015-2016",
                   "/admin/review/calls/enterprise-2015-2016/progress", "/admin/calls/enterprise-2015-2016/ranking"]}
WHOLE_CALL = re.compile(r"^/(admin/calls|admin/review/calls)/enterprise-2015-2016(/ranking|/progress)?$")


def discover(app, client, start: str, username: str | None = None) -> dict[str, str]:
    """One URL per GET page reachable from `start` by links (and redirects): the walk the page checks use."""
    starts = [*FIRST.get(username, []), start, "/auth/notifications"]
    return {page.endpoint: page.url for page in walk(app, client, starts)}


class Counter:
    """SQL statements executed, via an engine event."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.n += 1


def time_url(client, counter: Counter, url: str, repeat: int) -> tuple[float, int, int]:
    """Best wall time in ms, the query count of the last request, and its status."""
    best, queries, status = float("inf"), 0, 0
    for _ in range(repeat):
        before = counter.n
        start = time.perf_counter()
        r = client.get(url)
        r.get_data()
        best = min(best, (time.perf_counter() - start) * 1000)
        queries, status = counter.n - before, r.status_code
        r.close()
    return best, queries, status


def measure(app, counter: Counter, urls: dict, repeat: int) -> dict:
    out = {}
    for username in ACCOUNTS:
        client = app.test_client()
        if username:
            login(client, username)
        for endpoint, url in urls[username].items():
            out[(username, url)] = time_url(client, counter, url, repeat)
    return out


def main() -> None:
    """Load, discover, time at both scales, print the table and the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from evalsys import create_app
    from evalsys.demo import load_demo
    from evalsys.demo.national import CALL_CODE, load_national, refresh_statistics
    from evalsys.extensions import db
    from evalsys.services.audit import chain_pending

    workdir = tempfile.mkdtemp(prefix="evalsys-bench-")
    url = args.database_url or f"sqlite:///{workdir}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": workdir, "SECRET_KEY": "bench-" * 6,
                      "AUDIT_HMAC_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        chain_pending()
        counter = Counter(db.engine)
    urls = {}
    for username, home in ACCOUNTS.items():
        client = app.test_client()
        if username:
            login(client, username)
        urls[username] = discover(app, client, home, username)
    demo = measure(app, counter, urls, args.repeat)
    with app.app_context():
        start = time.perf_counter()
        load_national(args.scale)
        db.session.commit()
        chain_pending()
        refresh_statistics()
        load_s = time.perf_counter() - start
    national = measure(app, counter, urls, args.repeat)
    # The pages of a whole call, for the national call (same page, 55 times the applications).
    whole = {u: {e: url.replace("enterprise-2015-2016", CALL_CODE) for e, url in urls[u].items()
                 if WHOLE_CALL.match(urlsplit(url).path)} for u in ACCOUNTS}
    national_call = measure(app, counter, whole, args.repeat)

    rows = []
    for (username, page), (ms, queries, status) in demo.items():
        n_ms, n_queries, n_status = national[(username, page)]
        rows.append({"route": page, "role": username or "anonymous", "demo_ms": round(ms, 1),
                     "national_ms": round(n_ms, 1), "demo_queries": queries, "national_queries": n_queries,
                     "status": n_status})
        path = page.replace("enterprise-2015-2016", CALL_CODE)
        if (username, path) in national_call:
            c_ms, c_queries, c_status = national_call[(username, path)]
            rows.append({"route": path + " (national call vs demo call)", "role": username or "anonymous",
                         "demo_ms": round(ms, 1), "national_ms": round(c_ms, 1), "demo_queries": queries,
                         "national_queries": c_queries, "status": c_status})
    print(f"{'role':<17} {'route':<78} {'demo ms':>8} {'nat. ms':>8} {'ratio':>6} {'q demo':>6} {'q nat':>6}")
    for r in sorted(rows, key=lambda r: r["national_ms"] / max(r["demo_ms"], 0.1), reverse=True):
        print(f"{r['role']:<17} {r['route'][:78]:<78} {r['demo_ms']:>8.1f} {r['national_ms']:>8.1f} "
              f"{r['national_ms'] / max(r['demo_ms'], 0.1):>6.2f} {r['demo_queries']:>6} {r['national_queries']:>6}")
    print(json.dumps({"database": url.split(":")[0], "scale": args.scale, "national_load_s": round(load_s, 1),
                      "loadavg": os.getloadavg(), "pages": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
