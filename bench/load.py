"""Throughput under load: 32 clients against gunicorn (2 workers) + the database, per role page mix,
and in the same run a bare Flask page (a 50-row Jinja table) served the same way.

Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB python bench/load.py
       [--clients 32] [--seconds 15] [--rounds 2] [--workers 2] [--port 18431] [--max-requests 20000]
The database must already hold the demo (`flask --app evalsys demo`); only 127.0.0.1 is used.
Both servers run side by side (an idle worker costs nothing). Each mix runs for --seconds (and at most
--max-requests requests) with --clients threads, each logged in once as the mix's demo account, having
requested each page once (warm-up, not counted), and cycling over the mix's pages; the bare page runs just
before each mix, so that every ratio compares two runs a few seconds apart (a shared machine's speed drifts
by tens of per cent within minutes). --rounds repeats the whole sequence. Prints per mix: requests/s,
p50 and p99 in ms (over all rounds), errors, and the ratio to the bare page's requests/s (the median of
the rounds' ratios, each with its own bare run); then a JSON line with the same figures, every round's
ratio and the load average (read the ratios rather than the absolute figures).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Demo@2015-evalsys"
MIXES = {
    "admin": ("admin", ["/admin/", "/admin/calls", "/admin/funds", "/admin/calls/enterprise-2015-2016",
                        "/admin/review/calls", "/auth/notifications"]),
    "authority": ("authority-320000", ["/authority/", "/authority/applications", "/authority/funds",
                                       "/authority/organisations", "/auth/notifications"]),
    "reviewer": ("reviewer01", ["/review/", "/review/conflicts", "/auth/notifications"]),
    "applicant": ("applicant01", ["/applicant/", "/applicant/cases", "/auth/notifications"]),
}
BARE_APP = '''
from flask import Flask, render_template_string
app = Flask(__name__)
ROWS = [{"id": i, "name": f"申报单位{i}", "state": "已提交", "score": f"{80 + i % 20}.5"} for i in range(50)]
PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>bare</title></head><body>
<table>{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.name }}</td><td>{{ r.state }}</td>
<td>{{ r.score }}</td></tr>{% endfor %}</table></body></html>"""
@app.route("/")
def index():
    return render_template_string(PAGE, rows=ROWS)
'''
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
COOKIE = re.compile(r"^([^=]+=[^;]*)")


class Client:
    """One keep-alive connection with its own cookies."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        for value in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = COOKIE.match(value).group(1).partition("=")
            self.cookies[name] = rest
        return r.status, data, dict(r.headers)

    def login(self, username: str) -> None:
        _, html, _ = self.request("GET", "/auth/login")
        token = CSRF.search(html).group(1)
        status, _, _ = self.request("POST", "/auth/login", urlencode(
            {"username": username, "password": PASSWORD, "csrf_token": token}))
        if status != 302:
            raise RuntimeError(f"login {username}: {status}")


def run_mix(port: int, username: str | None, paths: list[str], clients: int, seconds: float,
            max_requests: int) -> dict:
    """`clients` threads for `seconds`: requests/s, p50, p99 (ms) and errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    sessions = []
    for _ in range(clients):
        c = Client(port)
        if username:
            c.login(username)
        # Every page once before the clock starts: a worker's first request of a page compiles its
        # templates and SQL statements, which a short run would otherwise count against the first mix.
        for path in paths:
            c.request("GET", path)
        sessions.append(c)
    stop = time.perf_counter() + seconds

    def work(c: Client, offset: int) -> None:
        i = offset
        while time.perf_counter() < stop:
            with lock:
                if len(latencies) + errors[0] >= max_requests:
                    return
            start = time.perf_counter()
            try:
                status, _, _ = c.request("GET", paths[i % len(paths)])
                ok = status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                c.conn.close()
            took = (time.perf_counter() - start) * 1000
            with lock:
                if ok:
                    latencies.append(took)
                else:
                    errors[0] += 1
            i += 1

    threads = [threading.Thread(target=work, args=(c, k)) for k, c in enumerate(sessions)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else 0.0

    return {"requests": len(latencies), "errors": errors[0], "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99)}


def serve(app_spec: str, port: int, workers: int, env: dict, cwd: Path) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:port; returns once it answers."""
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", app_spec], cwd=cwd, env=env, start_new_session=True)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/")
            c.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"{app_spec} did not start")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def _merge(runs: list[dict]) -> dict:
    """One mix's rounds as one figure: total requests and errors, mean requests/s, the worse percentiles."""
    return {"requests": sum(r["requests"] for r in runs), "errors": sum(r["errors"] for r in runs),
            "rps": round(sum(r["rps"] for r in runs) / len(runs), 1),
            "p50_ms": max(r["p50_ms"] for r in runs), "p99_ms": max(r["p99_ms"] for r in runs)}


def main() -> None:
    """Serve both apps, run the bare page before each mix (for --rounds), print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--mixes", default=",".join(MIXES))
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        parser.error("DATABASE_URL must name a database holding the demo")
    env = {**os.environ, "EVALSYS_RATELIMIT_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    bare_dir = Path(tempfile.mkdtemp(prefix="evalsys-bare-"))
    (bare_dir / "bare.py").write_text(BARE_APP, encoding="utf-8")
    mixes = args.mixes.split(",")
    bare_runs: list[dict] = []
    runs: dict[str, list[dict]] = {name: [] for name in mixes}
    ratios: dict[str, list[float]] = {name: [] for name in mixes}
    bare_server = serve("bare:app", args.port, args.workers, env, bare_dir)
    try:
        app_server = serve("evalsys:create_app()", args.port + 1, args.workers, env, ROOT)
        try:
            for _ in range(args.rounds):
                for name in mixes:
                    username, paths = MIXES[name]
                    bare = run_mix(args.port, None, ["/"], args.clients, args.seconds, args.max_requests)
                    mix = run_mix(args.port + 1, username, paths, args.clients, args.seconds, args.max_requests)
                    bare_runs.append(bare)
                    runs[name].append(mix)
                    ratios[name].append(round(mix["rps"] / (bare["rps"] or 1), 3))
        finally:
            stop_server(app_server)
    finally:
        stop_server(bare_server)
    results = {"bare": {**_merge(bare_runs), "ratio": 1.0}}
    for name in mixes:
        results[name] = {**_merge(runs[name]), "ratio": statistics.median(ratios[name]), "ratios": ratios[name]}
    print(f"{'mix':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs bare':>8}  rounds")
    for name, r in results.items():
        rounds = " ".join(f"{100 * x:.1f}%" for x in r.get("ratios", []))
        print(f"{name:<10} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>7} "
              f"{100 * r['ratio']:>7.1f}%  {rounds}")
    print(json.dumps({"clients": args.clients, "workers": args.workers, "seconds": args.seconds,
                      "rounds": args.rounds, "loadavg": os.getloadavg(), "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
