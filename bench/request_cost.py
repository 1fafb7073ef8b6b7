"""The cost of one request of each role's page mix, against the bare page, without the noise of a load test.

Usage: python bench/request_cost.py [--database-url URL] [--requests 40] [--profile MIX [--page PATH]
       [--callers REGEX]] [--top 30]
       (default: a temporary SQLite file with the demo loaded; a URL naming a database that already
       holds the demo is used as it is, an empty one is migrated and loaded first)
The mixes and the bare page are those of bench/load.py. Each mix's demo account logs in once through
the test client; every page of the mix is requested once to warm up, then --rounds times --requests times
(the best round counts). Per page
and per mix (the mean over its pages, as the load test cycles over them): SQL statements, CPU ms
(this process's own time, i.e. what a gunicorn worker spends: the database server's time is not
in it), wall ms, Python function calls (cProfile's count: the same on a busy machine and a quiet
one, unlike the times), response bytes; and the bare page's CPU ms, measured the same way in the same run.
CPU time is what limits throughput on a 2-core machine, and it hardly depends on what else runs,
so the ratio bare/mix is the figure to compare between runs. --profile MIX prints the functions
where that mix's requests spend their time (cProfile, cumulative and own time).
"""
from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import os
import pstats
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
load_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load_bench)  # type: ignore[union-attr]
MIXES = load_bench.MIXES


def login(client, username: str) -> None:
    html = client.get("/auth/login").get_data(as_text=True)
    token = load_bench.CSRF.search(html).group(1)
    r = client.post("/auth/login", data={"username": username, "password": load_bench.PASSWORD,
                                         "csrf_token": token})
    assert r.status_code == 302, (username, r.status_code)


class Counter:
    """SQL statements executed, via an engine event."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.n += 1


def cost(client, url: str, n: int, counter: Counter | None, rounds: int) -> dict:
    """Warm up once, then `rounds` rounds of n requests: queries per request, CPU and wall ms per request
    (the best round: other processes on the machine only ever add to it), bytes."""
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    size = len(r.get_data())
    best_cpu = best_wall = float("inf")
    for _ in range(rounds):
        before = counter.n if counter else 0
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(n):
            r = client.get(url)
            r.get_data()
            r.close()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
        queries = ((counter.n - before) / n) if counter else 0
    return {"queries": queries, "cpu_ms": 1000 * best_cpu / n, "wall_ms": 1000 * best_wall / n, "bytes": size,
            "calls": python_calls(client, url)}


def python_calls(client, url: str, n: int = 5) -> float:
    """Python function calls per request: a count that does not depend on what else the machine runs
    (the CPU time does, by a few tens of per cent on a busy machine), for comparing runs."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        client.get(url).close()
    prof.disable()
    return pstats.Stats(prof).total_calls / n


def bare_app():
    module = types.ModuleType("bare")
    exec(compile(load_bench.BARE_APP, "bare.py", "exec"), module.__dict__)  # noqa: S102 - our own source
    return module.app


def build_app(url: str | None):
    from flask_migrate import upgrade
    from sqlalchemy import inspect, text

    from evalsys import create_app
    from evalsys.demo import load_demo
    from evalsys.extensions import db
    from evalsys.services.audit import chain_pending

    workdir = tempfile.mkdtemp(prefix="evalsys-cost-")
    url = url or f"sqlite:///{workdir}/cost.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": workdir, "SECRET_KEY": "bench-" * 6,
                      "AUDIT_HMAC_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        if "users" not in inspect(db.engine).get_table_names() or \
                not db.session.execute(text("select count(*) from users")).scalar():
            upgrade()
            load_demo()
            db.session.commit()
            chain_pending()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mixes", default=",".join(MIXES))
    parser.add_argument("--profile", help="a mix to profile instead of measuring all")
    parser.add_argument("--page", action="append", help="with --profile: only this page of the mix (repeatable)")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--callers", help="with --profile: who calls the functions matching this pattern "
                                          "(a regular expression over file:line(function))")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()

    app = build_app(args.database_url)
    from evalsys.extensions import db

    with app.app_context():
        counter = Counter(db.engine)

    if args.profile:
        username, paths = MIXES[args.profile]
        paths = [p for p in paths if not args.page or p in args.page]
        client = app.test_client()
        login(client, username)
        for p in paths:
            client.get(p).close()
        prof = cProfile.Profile(time.process_time)  # CPU time: waiting for the database is not the cost here
        prof.enable()
        for _ in range(args.requests):
            for p in paths:
                r = client.get(p)
                r.get_data()
                r.close()
        prof.disable()
        stats = pstats.Stats(prof)
        if args.callers:
            stats.sort_stats("tottime").print_callers(args.callers)
            return
        stats.strip_dirs()
        stats.sort_stats(args.sort).print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        return

    bare = cost(bare_app().test_client(), "/", args.requests, None, args.rounds * 3)
    results: dict = {"bare": {"pages": {"/": bare}, **{k: bare[k] for k in ("queries", "cpu_ms", "wall_ms", "calls")}}}
    for name in args.mixes.split(","):
        username, paths = MIXES[name]
        client = app.test_client()
        login(client, username)
        pages = {p: cost(client, p, args.requests, counter, args.rounds) for p in paths}
        results[name] = {"pages": pages, **{k: sum(v[k] for v in pages.values()) / len(pages)
                                           for k in ("queries", "cpu_ms", "wall_ms", "calls")}}

    print(f"{'mix':<10} {'page':<40} {'queries':>7} {'CPU ms':>7} {'wall ms':>8} {'calls':>7} {'KB':>6}")
    for name, r in results.items():
        for page, c in r["pages"].items():
            print(f"{name:<10} {page:<40} {c['queries']:>7.1f} {c['cpu_ms']:>7.2f} {c['wall_ms']:>8.2f} "
                  f"{c['calls']:>7.0f} {c['bytes'] / 1024:>6.1f}")
    print()
    print(f"{'mix':<10} {'queries':>7} {'CPU ms':>7} {'wall ms':>8} {'calls':>7} {'bare/mix CPU':>13}")
    for name, r in results.items():
        r["bare_ratio"] = round(bare["cpu_ms"] / r["cpu_ms"], 3)
        print(f"{name:<10} {r['queries']:>7.1f} {r['cpu_ms']:>7.2f} {r['wall_ms']:>8.2f} {r['calls']:>7.0f} "
              f"{100 * r['bare_ratio']:>12.1f}%")
    print(json.dumps({"database": app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0],
                      "requests": args.requests, "loadavg": os.getloadavg(),
                      "mixes": {k: {m: round(v, 2) for m, v in r.items() if m != "pages"}
                                for k, r in results.items()}}))


if __name__ == "__main__":
    main()
