"""Batch issuing on RQ when a Redis is configured: the page enqueues the job (nothing issued yet),
an RQ worker with the app's environment issues every report once; a second enqueue issues nothing."""
from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import BatchJob, IssuedReport, JobState, Role
from evalsys.services.evaluation_reports import read_signed
from tests.conftest import login, post
from tests.evalutil import advance, make_perf_base, make_round, signing_config
from tests.factories import make_user

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


@pytest.fixture
def redis_url(tmp_path):
    """A private redis-server on a unix socket (no TCP port), stopped after the test."""
    sock = tmp_path / "redis.sock"
    proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sock.exists(), "redis-server did not start"
    yield f"unix://{sock}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def app_config(app_config, tmp_path_factory, redis_url):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    app_config.update({"RQ_REDIS_URL": redis_url, "RQ_QUEUE": "evalsys-test"})
    return app_config


def test_page_enqueues_on_rq_and_the_worker_issues_each_report_once(app, monkeypatch, redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker

    with app.app_context():
        bases = [make_perf_base() for _ in range(2)]
        round_ = make_round(bases, code="perf-q")
        admin = make_user(Role.ADMIN, username="q-admin", commit=False)
        for base, ev in zip(bases, round_.evaluations):
            operator = make_user(Role.APPLICANT, organisation=base.operator, commit=False)
            authority = make_user(Role.AUTHORITY, authority_code=base.authority_code, commit=False)
            advance(ev, fraction="0.9", to="accepted", operator=operator, authority=authority, admin=admin)
        db.session.commit()
    client = app.test_client()
    assert login(client, "q-admin").status_code == 302
    assert post(client, "/admin/evaluations/perf-q/batch", token_from="/admin/evaluations/perf-q").status_code == 302
    with app.app_context():
        job = db.session.scalar(select(BatchJob))
        assert (job.backend, job.state, job.total) == ("rq", JobState.QUEUED, 2)
        assert db.session.scalar(select(func.count()).select_from(IssuedReport)) == 0  # only enqueued
        job_id = job.id
    connection = Redis.from_url(redis_url)
    queue = Queue("evalsys-test", connection=connection)
    assert queue.count == 1
    # The worker builds the app from the environment, as `rq worker` would.
    for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "AUDIT_HMAC_KEY", "ISSUED_DIR", "UPLOAD_DIR",
                "SIGNING_KEY_PATH", "SIGNING_CERT_PATH"):
        monkeypatch.setenv(f"EVALSYS_{key}", str(app.config[key]))
    monkeypatch.setenv("EVALSYS_INSTANCE_PATH", app.instance_path)
    worker = SimpleWorker([queue], connection=connection)
    # The worker's command channel (pub/sub) is for stopping a long-running worker; a burst worker does
    # not need it, and closing it can wait out the channel thread's 60 s poll (rq 2.12 with redis-py 8).
    monkeypatch.setattr(worker, "subscribe", lambda: None)
    worker.work(burst=True)
    with app.app_context():
        job = db.session.get(BatchJob, job_id)
        assert (job.state, job.done, job.failed) == (JobState.DONE, 2, 0)
        reports = db.session.scalars(select(IssuedReport)).all()
        assert len(reports) == 2 and len({r.evaluation_id for r in reports}) == 2
        assert all(read_signed(r) is not None for r in reports)
    r = post(client, "/admin/evaluations/perf-q/batch", token_from="/admin/evaluations/perf-q")
    assert r.status_code == 302 and queue.count == 0  # nothing left: no second job
    connection.close()
