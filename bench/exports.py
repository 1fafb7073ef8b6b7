"""The auditor's export of the whole audit trail, as CSV and as XLSX: seconds, bytes, rows, peak memory.

Usage: python bench/exports.py --database-url URL   (a database holding the demo, ideally with
       `demo --national`, i.e. 100,000+ audit records)
Each format is exported in a fresh child process through the test client, as the auditor, so the
peak resident memory reported (ru_maxrss) is that export's own (the application included).
Prints one JSON line per format, then the load average.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def export_once(url: str, fmt: str) -> dict:
    """Log in as the auditor and download /audit/export.<fmt>; time, size and peak RSS."""
    import re

    from evalsys import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tempfile.mkdtemp(),
                      "SECRET_KEY": "bench-" * 6, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    html = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    r = client.post("/auth/login", data={"username": "auditor", "password": "Demo@2015-evalsys",
                                         "csrf_token": token})
    assert r.status_code == 302, r.status_code
    start = time.perf_counter()
    cpu = time.process_time()
    r = client.get(f"/audit/export.{fmt}")
    size = 0
    for chunk in r.response:
        size += len(chunk)
    r.close()
    return {"format": fmt, "status": r.status_code, "seconds": round(time.perf_counter() - start, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1), "bytes": size,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    """Run each format in its own process and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--format", choices=["csv", "xlsx"])
    args = parser.parse_args()
    if args.format:
        print(json.dumps(export_once(args.database_url, args.format)))
        return
    for fmt in ("csv", "xlsx"):
        out = subprocess.run([sys.executable, __file__, "--database-url", args.database_url, "--format", fmt],
                             capture_output=True, text=True, check=True)
        print(out.stdout.strip().splitlines()[-1])
    print(json.dumps({"loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
