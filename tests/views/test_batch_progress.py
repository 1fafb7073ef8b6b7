"""Batch issuing progress: the JSON endpoint's figures during and after a batch, the summary of done
and failed items on the round page, the self-refreshing page without JavaScript, and access."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from evalsys.extensions import db
from evalsys.models import BatchJob, Evaluation, EvaluationRound, Role, User
from evalsys.services import evaluation_batch as batch
from tests.conftest import login
from tests.evalutil import advance, make_perf_base, make_round, signing_config
from tests.factories import make_user


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    return app_config


@pytest.fixture
def world(app):
    """A round with three accepted evaluations in 江苏, none issued yet, and a job over them."""
    with app.app_context():
        bases = [make_perf_base() for _ in range(3)]
        round_ = make_round(bases)
        admin = make_user(Role.ADMIN, username="p-admin", commit=False)
        js = make_user(Role.AUTHORITY, username="p-js", authority_code="320000", commit=False)
        make_user(Role.AUDITOR, username="p-aud", commit=False)
        for i, ev in enumerate(round_.evaluations):
            op = make_user(Role.APPLICANT, username=f"p-op{i}", organisation=ev.base.operator, commit=False)
            advance(ev, fraction="0.9", to="accepted", operator=op, authority=js, admin=admin)
        job = batch.create_job(round_, actor=admin, backend="cli")
        db.session.commit()
        return {"job": job.id, "code": round_.code, "evs": [e.id for e in round_.evaluations],
                "names": [b.name for b in bases]}


def _as(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _progress(client, code):
    r = client.get(f"/admin/evaluations/{code}/batch/progress.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    return r.get_json()


def test_progress_during_an_interrupted_batch_then_after_it_with_a_failed_item(app, world, monkeypatch):
    c = _as(app, "p-admin")
    url = f"/admin/evaluations/{world['code']}"
    before = _progress(c, world["code"])
    assert (before["total"], before["done"], before["pending"], before["percent"], before["finished"]) == (3, 0, 3, 0, False)
    # A run that dies after one item: one done, two pending, nobody holds the round.
    with app.app_context():
        with pytest.raises(RuntimeError):
            batch.run_job(world["job"], owner="test:1", fail_after=1)
    during = _progress(c, world["code"])
    assert not during["failures"], during["failures"]
    assert (during["done"], during["failed"], during["pending"], during["percent"]) == (1, 0, 2, 33)
    assert during["state"] == "running" and during["finished"] is False and during["interrupted"] is True
    # Resumed: the second pending item fails to issue; the third is issued.
    real = batch.issue_report

    def flaky(ev, *, actor):
        if ev.id == world["evs"][1]:
            raise RuntimeError("签名证书不可用")
        return real(ev, actor=actor)

    monkeypatch.setattr(batch, "issue_report", flaky)
    with app.app_context():
        batch.run_job(world["job"], owner="test:2")
    after = _progress(c, world["code"])
    assert (after["done"], after["failed"], after["pending"], after["total"], after["percent"]) == (2, 1, 0, 3, 100)
    assert after["finished"] is True and after["state"] == "done"
    assert after["failures"] == [{"base": after["failures"][0]["base"], "error": "签名证书不可用"}]
    assert world["names"][1] in after["failures"][0]["base"]
    # The round page ends with the summary naming the failed base; no self-refresh once finished.
    html = c.get(url).get_data(as_text=True)
    summary = html[html.index('id="batch-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert "已出具 2 / 3 份，跳过 0 份，失败 1 份" in summary
    assert world["names"][1] in summary and "签名证书不可用" in summary
    assert 'http-equiv="refresh"' not in html and "batch_progress.js" not in html
    assert re.search(r'<progress[^>]*max="3"[^>]*value="3"', html)


def test_running_batch_page_refreshes_without_javascript_and_loads_the_poller(app, world):
    c = _as(app, "p-admin")
    html = c.get(f"/admin/evaluations/{world['code']}").get_data(as_text=True)
    # A queued job just created (not interrupted yet): the page polls with the static script and,
    # without JavaScript, refreshes itself; no inline script.
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert re.search(r'<script src="/static/js/batch_progress\.js[^"]*"></script>', html)
    assert re.search(r'<progress[^>]*max="3"[^>]*value="0"', html)
    assert f'data-progress-url="/admin/evaluations/{world["code"]}/batch/progress.json"' in html
    assert not re.search(r"<script>(?!</script>)", html)
    r = c.get("/static/js/batch_progress.js")
    assert r.status_code == 200 and b"progress.json" not in r.data and b"data-progress-url" in r.data
    r.close()


def test_progress_endpoint_refused_to_other_roles(app, world):
    url = f"/admin/evaluations/{world['code']}/batch/progress.json"
    for username in ("p-js", "p-op0", "p-aud"):
        assert _as(app, username).get(url).status_code == 403
    r = app.test_client().get(url)
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"] and '"total"' not in r.get_data(as_text=True)
    assert _as(app, "p-admin").get("/admin/evaluations/nope/batch/progress.json").status_code == 404


def test_progress_without_any_job(app, world):
    with app.app_context():
        round_ = db.session.scalar(select(EvaluationRound).where(EvaluationRound.code == world["code"]))
        other = make_round([make_perf_base()], code="perf-u")
        db.session.commit()
        code = other.code
        assert round_ is not None
    assert _progress(_as(app, "p-admin"), code) == {"job": None, "finished": True}
