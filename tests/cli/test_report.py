"""`flask report ROUND --out DIR`: issues what is pending, copies and lists every report, reruns
issue nothing; a run killed with SIGKILL leaves no record pointing at a missing or wrong file."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import IssuedReport, ReportStatus, Role
from evalsys.services.evaluation_reports import read_signed
from tests.evalutil import advance, make_perf_base, make_round, signing_config
from tests.factories import make_user


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    app_config["BATCH_LOCK_LEASE_SECONDS"] = 1
    return app_config


def _accepted_round(app, n: int, code: str) -> None:
    with app.app_context():
        bases = [make_perf_base() for _ in range(n)]
        round_ = make_round(bases, code=code)
        admin = make_user(Role.ADMIN, commit=False)
        for base, ev in zip(bases, round_.evaluations):
            operator = make_user(Role.APPLICANT, organisation=base.operator, commit=False)
            authority = make_user(Role.AUTHORITY, authority_code=base.authority_code, commit=False)
            advance(ev, fraction="0.9", to="accepted", operator=operator, authority=authority, admin=admin)
        db.session.commit()


def _lines(stdout: str) -> list[list[str]]:
    return [line.split(" ") for line in stdout.splitlines() if line.strip()]


def _check_consistent(app) -> list[IssuedReport]:
    with app.app_context():
        reports = db.session.scalars(select(IssuedReport).order_by(IssuedReport.sequence)).all()
        for r in reports:
            assert read_signed(r) is not None, f"{r.serial} points at a missing or mismatched file"
        per_ev = db.session.execute(select(IssuedReport.evaluation_id, func.count()).where(
            IssuedReport.status == ReportStatus.VALID).group_by(IssuedReport.evaluation_id)).all()
        assert all(n == 1 for _, n in per_ev)
        db.session.expunge_all()
        return reports


def test_issues_copies_prints_and_a_rerun_issues_nothing(app, runner, tmp_path):
    _accepted_round(app, 3, "perf-c")
    out = tmp_path / "out"
    result = runner.invoke(args=["report", "perf-c", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert len(lines) == 3
    for serial, digest, path in lines:
        assert serial.startswith("PERF-C-") and Path(path).parent == out
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == digest
    assert "出具 perf-c" in result.stderr  # the progress bar goes to stderr
    again = runner.invoke(args=["report", "perf-c", "--out", str(out)])
    assert again.exit_code == 0 and _lines(again.stdout) == lines
    assert len(_check_consistent(app)) == 3
    assert runner.invoke(args=["report", "nope", "--out", str(out)]).exit_code != 0


def test_killed_midway_leaves_consistent_records_and_the_rerun_completes_once(app, runner, tmp_path):
    n = 6
    _accepted_round(app, n, "perf-k")
    issued = Path(app.config["ISSUED_DIR"]) / "perf-k"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"EVALSYS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "EVALSYS_INSTANCE_PATH": app.instance_path, "EVALSYS_SECRET_KEY": app.config["SECRET_KEY"],
                "EVALSYS_AUDIT_HMAC_KEY": "test-audit-key", "EVALSYS_ISSUED_DIR": app.config["ISSUED_DIR"],
                "EVALSYS_UPLOAD_DIR": app.config["UPLOAD_DIR"],
                "EVALSYS_SIGNING_KEY_PATH": app.config["SIGNING_KEY_PATH"],
                "EVALSYS_SIGNING_CERT_PATH": app.config["SIGNING_CERT_PATH"], "EVALSYS_BATCH_LOCK_LEASE_SECONDS": "1"})
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "evalsys", "report", "perf-k",
                             "--out", str(tmp_path / "first")], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if issued.is_dir() and len(list(issued.glob("*.pdf"))) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _check_consistent(app)
    assert 1 <= len(partial) < n  # killed in the middle, and what was recorded is intact
    time.sleep(1.2)  # the killed holder's lease runs out
    out = tmp_path / "second"
    result = runner.invoke(args=["report", "perf-k", "--out", str(out)])
    assert result.exit_code == 0, result.output
    reports = _check_consistent(app)
    assert len(reports) == n and len({r.evaluation_id for r in reports}) == n
    assert {r.serial for r in partial} <= {r.serial for r in reports}  # earlier issues were kept, not redone
    assert sorted(p.name for p in issued.iterdir()) == sorted(f"{r.serial}.pdf" for r in reports)  # orphans gone
    assert len(_lines(result.stdout)) == n
