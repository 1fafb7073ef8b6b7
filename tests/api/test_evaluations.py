"""Evaluations of a round (grades and scores, scoped like the web), the public report verification record
and the announced results of a call (public once announced, 404 before)."""
from __future__ import annotations

import warnings

import pytest

from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import CallAnnouncement, Role
from evalsys.services.api_tokens import create_token
from evalsys.services.evaluation_reports import issue_report
from tests.api.conftest import bearer
from tests.evalutil import advance, make_perf_base, make_round, signing_config
from tests.factories import make_application, make_call, make_org, make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    return app_config


@pytest.fixture
def perf(app):
    with app.app_context():
        a, b = make_perf_base(), make_perf_base()
        c = make_perf_base(authority_code="330000", region="330100")
        round_ = make_round([a, b, c], code="perf-api")
        ev_a, ev_b, ev_c = round_.evaluations
        people = {"admin": make_user(Role.ADMIN, username="pe-admin", commit=False),
                  "op_a": make_user(Role.APPLICANT, username="pe-op-a", organisation=a.operator, commit=False),
                  "js": make_user(Role.AUTHORITY, username="pe-js", authority_code="320000", commit=False),
                  "zj": make_user(Role.AUTHORITY, username="pe-zj", authority_code="330000", commit=False),
                  "reviewer": make_user(Role.REVIEWER, username="pe-rev", commit=False)}
        advance(ev_a, fraction="0.95", to="accepted", operator=people["op_a"], authority=people["js"],
                admin=people["admin"])
        with warnings.catch_warnings():  # pyHanko imports DSA names that cryptography ≥ 48 deprecates
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            report = issue_report(ev_a, actor=people["admin"])
        tokens = {k: create_token(u, actor=u).secret for k, u in people.items()}
        db.session.commit()
        return {"ids": (ev_a.id, ev_b.id, ev_c.id), "serial": report.serial, "sha": report.signed_sha256,
                "total": ev_a.total, "grade": ev_a.grade_label, "tokens": tokens}


def test_round_evaluations_are_scoped(app, client, perf):
    a, b, c = perf["ids"]

    def ids(name):
        r = client.get("/api/v1/rounds/perf-api/evaluations", headers=bearer(perf["tokens"][name]))
        assert r.status_code == 200, r.get_data(as_text=True)
        return [i["id"] for i in r.get_json()["items"]]

    assert ids("admin") == [a, b, c]
    assert ids("js") == [a, b]
    assert ids("zj") == [c]
    assert ids("op_a") == [a]
    item = client.get("/api/v1/rounds/perf-api/evaluations", headers=bearer(perf["tokens"]["admin"])).get_json()["items"][0]
    assert item["total"] == perf["total"] and item["grade_label"] == perf["grade"] and item["scores"]
    assert client.get("/api/v1/rounds/perf-api/evaluations",
                      headers=bearer(perf["tokens"]["reviewer"])).status_code == 403
    assert client.get("/api/v1/rounds/nope/evaluations", headers=bearer(perf["tokens"]["admin"])).status_code == 404


def test_report_verification_record_is_public_and_minimal(app, client, perf):
    r = client.get(f"/api/v1/reports/{perf['serial']}")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"serial", "issuer", "base", "round", "grade", "issued_at", "status", "sha256"}
    assert body["sha256"] == perf["sha"] and body["status"] == "valid" and body["grade"] == perf["grade"]
    r = client.get("/api/v1/reports/NO-SUCH-SERIAL")
    assert r.status_code == 404 and r.mimetype == PROBLEM
    # A presented token must be valid even on a public operation.
    assert client.get(f"/api/v1/reports/{perf['serial']}", headers=bearer("evs_nope")).status_code == 401


def test_results_are_public_once_announced(app, client):
    with app.test_request_context():
        call = make_call()
        admin = make_user(Role.ADMIN, commit=False)
        approved = make_application(call, make_org(), S.APPROVED)
        make_application(call, make_org(), S.REJECTED)
        code, approved_id, admin_id = call.code, approved.id, admin.id
        db.session.commit()
    r = client.get(f"/api/v1/calls/{code}/results")
    assert r.status_code == 404 and r.get_json()["detail"] == "该批次的评审结果尚未公布"
    with app.app_context():
        db.session.add(CallAnnouncement(call_id=db.session.scalar(
            db.select(db.text("id")).select_from(db.text("calls")).where(db.text("code = :c")).params(c=code)),
            announced_by_id=admin_id))
        db.session.commit()
    r = client.get(f"/api/v1/calls/{code}/results")
    assert r.status_code == 200
    body = r.get_json()
    assert [i["id"] for i in body["items"]] == [approved_id] and body["next"] is None and body["announced_at"]
    assert body["items"][0]["category_label"]
