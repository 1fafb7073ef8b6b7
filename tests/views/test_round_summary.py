"""The national summary on the round page: the ministry issues it (audited), downloads the signed PDF
and the XLSX, and anyone verifies it at /public/verify/<serial>; nobody else issues or downloads, and
a crafted summary id of another round is 404."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from evalsys.extensions import db
from evalsys.models import Role
from evalsys.models.round_summary import RoundSummaryReport
from evalsys.reporting.round_summary import GRADE_HEADERS
from evalsys.reporting.signing import validate_signed
from tests.conftest import audit_events, login, post
from tests.evalutil import make_perf_base, make_round, signing_config
from tests.factories import make_user
from tests.services.test_round_summaries import _build_round


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    return app_config


@pytest.fixture
def summary_round(app):
    """A round with final grades, an admin, an authority and an operator to log in as."""
    with app.app_context():
        round_, _ = _build_round()
        admin = make_user(Role.ADMIN, commit=False)
        authority = make_user(Role.AUTHORITY, authority_code="320000", commit=False)
        operator = make_user(Role.APPLICANT, organisation=round_.evaluations[0].base.operator, commit=False)
        other = make_round([make_perf_base()], code="perf-other")
        db.session.commit()
        return {"code": round_.code, "admin": admin.username, "authority": authority.username,
                "operator": operator.username, "other": other.code}


def test_admin_issues_downloads_and_anyone_verifies(app, client, summary_round):
    code = summary_round["code"]
    login(client, summary_round["admin"])
    page = f"/admin/evaluations/{code}"
    assert "出具全国汇总报告" in client.get(page).get_data(as_text=True)
    resp = post(client, f"/admin/evaluations/{code}/summary", token_from=page)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(page)
    with app.app_context():
        report = db.session.scalar(select(RoundSummaryReport))
        serial, summary_id = report.serial, report.id
        doc = json.loads(report.snapshot)
    html = client.get(page).get_data(as_text=True)
    assert serial in html and f"/summary/{summary_id}.pdf" in html and f"/summary/{summary_id}.xlsx" in html
    events = audit_events(app, event="round_summary_issued")
    assert len(events) == 1 and json.loads(events[0].detail)["serial"] == serial
    assert events[0].username == summary_round["admin"]

    pdf = client.get(f"/admin/evaluations/{code}/summary/{summary_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert validate_signed(pdf.data, Path(app.config["SIGNING_CERT_PATH"]).read_bytes()).valid
    xlsx = client.get(f"/admin/evaluations/{code}/summary/{summary_id}.xlsx")
    assert xlsx.status_code == 200 and serial in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data))["等级分布"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == GRADE_HEADERS and len(rows) == len(doc["by_authority"]) + 2

    public = app.test_client().get(f"/public/verify/{serial}")
    text = public.get_data(as_text=True)
    assert public.status_code == 200 and serial in text and "全国汇总" in text
    totals = [sum(a["counts"][i] for a in doc["by_authority"]) for i in range(4)]
    assert f"优 {totals[0]} · 良 {totals[1]} · 中 {totals[2]} · 差 {totals[3]}" in text
    wrong = serial[:-1] + ("2" if serial[-1] != "2" else "3")
    assert app.test_client().get(f"/public/verify/{wrong}").status_code == 404


def test_a_tampered_summary_file_is_not_served_and_is_recorded(app, client, summary_round):
    from evalsys.services.evaluation_reports import issued_root

    code = summary_round["code"]
    login(client, summary_round["admin"])
    post(client, f"/admin/evaluations/{code}/summary", token_from=f"/admin/evaluations/{code}")
    with app.app_context():
        report = db.session.scalar(select(RoundSummaryReport))
        summary_id = report.id
        (issued_root() / report.path).write_bytes(b"%PDF-1.7 altered")
    r = client.get(f"/admin/evaluations/{code}/summary/{summary_id}.pdf")
    assert r.status_code == 409 and r.mimetype == "text/html"
    assert "报告文件已丢失或与登记的摘要不符" in r.get_data(as_text=True)
    assert [e.outcome for e in audit_events(app, event="round_summary_mismatch")] == ["failure"]


def test_nobody_else_issues_or_downloads_and_crafted_ids_change_nothing(app, client, summary_round):
    code, other = summary_round["code"], summary_round["other"]
    login(client, summary_round["admin"])
    post(client, f"/admin/evaluations/{code}/summary", token_from=f"/admin/evaluations/{code}")
    with app.app_context():
        summary_id = db.session.scalar(select(RoundSummaryReport.id))
    # The summary belongs to its round: another round's address does not serve it.
    assert client.get(f"/admin/evaluations/{other}/summary/{summary_id}.pdf").status_code == 404
    assert client.get(f"/admin/evaluations/{code}/summary/{summary_id + 1}.xlsx").status_code == 404
    # A round without final grades refuses, with the reason, and issues nothing.
    resp = post(client, f"/admin/evaluations/{other}/summary", token_from=f"/admin/evaluations/{other}",
                follow_redirects=True)
    assert "尚无商务部审核确定等级的评价" in resp.get_data(as_text=True)
    for who in ("authority", "operator"):
        other_client = app.test_client()
        login(other_client, summary_round[who])
        assert other_client.get(f"/admin/evaluations/{code}/summary/{summary_id}.pdf").status_code == 403
        assert post(other_client, f"/admin/evaluations/{code}/summary").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(db.func.count(RoundSummaryReport.id))) == 1
