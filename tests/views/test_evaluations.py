"""Evaluation pages: who sees what, the forms, the ministry's steps, batch issuing from the page,
and the public verify page revealing only its listed fields."""
from __future__ import annotations

import hashlib
import io
import re
import time

import pytest
from sqlalchemy import select

from evalsys.domain.evaluation import EvaluationState, RectificationState
from evalsys.extensions import db
from evalsys.models import (AuditRecord, BatchJob, Evaluation, FundRecovery, IssuedReport, JobState,
                            ReportStatus, Role, StoredFile, User)
from evalsys.services.evaluation_reports import issue_report, report_path
from tests.conftest import csrf_token, login, post
from tests.evalutil import NARRATIVES, advance, inputs_at, make_perf_base, make_round, signing_config, stored_texts
from tests.factories import make_user


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    app_config.update({"VERIFY_MAX_BYTES": 200_000})
    return app_config


@pytest.fixture
def world(app):
    """Two bases in 江苏 (one accepted and issued, one draft) and one in 浙江, with their people."""
    with app.app_context():
        a, b = make_perf_base(), make_perf_base()
        c = make_perf_base(authority_code="330000", region="330100")
        round_ = make_round([a, b, c])
        ev_a, ev_b, ev_c = round_.evaluations
        admin = make_user(Role.ADMIN, username="w-admin", commit=False)
        op_a = make_user(Role.APPLICANT, username="w-op-a", organisation=a.operator, commit=False)
        make_user(Role.APPLICANT, username="w-op-b", organisation=b.operator, commit=False)
        js = make_user(Role.AUTHORITY, username="w-js", authority_code="320000", commit=False)
        make_user(Role.AUTHORITY, username="w-zj", authority_code="330000", commit=False)
        advance(ev_a, fraction="0.95", to="accepted", operator=op_a, authority=js, admin=admin)
        report = issue_report(ev_a, actor=admin)
        db.session.commit()
        return {"a": ev_a.id, "b": ev_b.id, "c": ev_c.id, "report": report.id, "serial": report.serial,
                "sha": report.signed_sha256, "path": str(report_path(report)), "base_a": a.name,
                "operator_a": a.operator.name, "unsigned": report.unsigned_sha256, "total": ev_a.total}


def _users(*names):
    return [db.session.scalar(select(User).where(User.username == n)) for n in names]


def _version_in(html: str, action: str) -> str:
    """The version carried by the form posting to `action`."""
    form = html[html.index(f'action="{action}"'):]
    return re.search(r'name="version"[^>]*value="(\d+)"', form[:form.index("</form>")]).group(1)


def _prefilled(html: str, prefix: str) -> dict[str, str]:
    """The values a browser would send back for the page's text inputs named prefix…."""
    out = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and name.group(1).startswith(prefix):
            out[name.group(1)] = value.group(1) if value else ""
    return out


def _as(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_operator_sees_only_its_own_base(app, world):
    c = _as(app, "w-op-a")
    assert c.get(f"/applicant/evaluations/{world['a']}").status_code == 200
    assert c.get(f"/applicant/evaluations/{world['b']}").status_code == 403
    r = c.get(f"/applicant/evaluations/{world['a']}/reports/{world['report']}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert hashlib.sha256(r.data).hexdigest() == world["sha"]
    listing = c.get("/applicant/evaluations").get_data(as_text=True)
    assert world["base_a"] in listing
    other = _as(app, "w-op-b")
    assert other.get(f"/applicant/evaluations/{world['a']}/reports/{world['report']}").status_code == 403
    assert other.get(f"/applicant/evaluations/{world['b']}/reports/{world['report']}").status_code == 404
    assert world["base_a"] not in other.get("/applicant/evaluations").get_data(as_text=True)


def test_authority_sees_only_its_jurisdiction(app, world):
    js, zj = _as(app, "w-js"), _as(app, "w-zj")
    assert js.get(f"/authority/evaluations/{world['a']}").status_code == 200
    assert js.get(f"/authority/evaluations/{world['a']}/reports/{world['report']}").status_code == 200
    assert zj.get(f"/authority/evaluations/{world['a']}").status_code == 403
    assert zj.get(f"/authority/evaluations/{world['a']}/reports/{world['report']}").status_code == 403
    assert zj.get(f"/authority/evaluations/{world['c']}").status_code == 200
    assert world["base_a"] not in zj.get("/authority/evaluations").get_data(as_text=True)


def test_crafted_posts_with_another_bases_id_change_nothing(app, world):
    c = _as(app, "w-op-a")
    r = post(c, f"/applicant/evaluations/{world['b']}", {"figure_new_jobs": "5"}, token_from="/applicant/evaluations")
    assert r.status_code == 403
    assert post(c, f"/applicant/evaluations/{world['b']}/submit", token_from="/applicant/evaluations").status_code == 403
    zj = _as(app, "w-zj")
    assert post(zj, f"/authority/evaluations/{world['b']}/return_self", {"reason": "x"},
                token_from="/authority/evaluations").status_code == 403
    with app.app_context():
        ev = db.session.get(Evaluation, world["b"])
        assert ev.state == EvaluationState.DRAFT and ev.values == []


def test_operator_fills_and_submits_then_authority_returns(app, world):
    with app.app_context():
        ev = db.session.get(Evaluation, world["b"])
        texts = stored_texts(__import__("evalsys.services.evaluations", fromlist=["x"]).system_of(ev.round),
                             inputs_at("1"))
    c = _as(app, "w-op-b")
    page = c.get(f"/applicant/evaluations/{world['b']}").get_data(as_text=True)
    assert "10000000.00" in page  # funds allocated, prefilled from the fund records
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    data = {"version": version, **{f"figure_{k}": v for k, v in texts.items()},
            **{f"narrative_{k}": v for k, v in NARRATIVES.items()}}
    r = post(c, f"/applicant/evaluations/{world['b']}", data, token_from="/applicant/evaluations")
    assert r.status_code == 302
    stale = post(c, f"/applicant/evaluations/{world['b']}", data, token_from="/applicant/evaluations")
    assert stale.status_code == 409  # the form carried the version it was loaded with
    page = c.get(f"/applicant/evaluations/{world['b']}").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    r = post(c, f"/applicant/evaluations/{world['b']}/submit", {"version": version}, token_from="/applicant/evaluations")
    assert r.status_code == 302
    js = _as(app, "w-js")
    assert post(js, f"/authority/evaluations/{world['b']}/return_self", {"reason": ""},
                token_from="/authority/evaluations").status_code == 400
    assert post(js, f"/authority/evaluations/{world['b']}/return_self", {"reason": "补充佐证材料"},
                token_from="/authority/evaluations").status_code == 302
    with app.app_context():
        ev = db.session.get(Evaluation, world["b"])
        assert ev.state == EvaluationState.DRAFT and ev.return_reason == "补充佐证材料"
        assert [e.action for e in ev.events] == ["submit_self", "return_self"]


def test_dashboard_and_charts_for_the_ministry_only(app, world):
    admin = _as(app, "w-admin")
    page = admin.get("/admin/evaluations/perf-t").get_data(as_text=True)
    assert world["serial"] in page and "评价等级分布" in page
    text = _visible_text(page)
    assert "优 良 中 差 1 0 0 0" in text  # the grade table under the chart
    assert f"{world['total']} 1" in text  # the authority's mean over its one graded base
    for name in ("grades", "authorities", "execution"):
        r = admin.get(f"/admin/evaluations/perf-t/chart/{name}.png")
        assert r.status_code == 200 and r.data.startswith(b"\x89PNG")
    assert _as(app, "w-js").get("/admin/evaluations/perf-t").status_code == 403


def test_batch_from_the_page_runs_in_the_background_and_shows_progress(app, world):
    with app.app_context():
        admin, op, auth = _users("w-admin", "w-op-b", "w-js")
        advance(db.session.get(Evaluation, world["b"]), fraction="0.8", to="accepted", operator=op, authority=auth,
                admin=admin)
        db.session.commit()
    c = _as(app, "w-admin")
    r = post(c, "/admin/evaluations/perf-t/batch", token_from="/admin/evaluations/perf-t")
    assert r.status_code == 302
    deadline = time.monotonic() + 60
    state = None
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.scalar(select(BatchJob))
            state = job.state
        if state == JobState.DONE:
            break
        time.sleep(0.1)
    assert state == JobState.DONE
    assert "已出具 1 / 1 份" in c.get("/admin/evaluations/perf-t").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Evaluation, world["b"]).state == EvaluationState.ISSUED
    assert post(c, "/admin/evaluations/perf-t/batch", token_from="/admin/evaluations/perf-t").status_code == 302


def _visible_text(html: str) -> str:
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_verify_page_shows_only_the_listed_fields(app, world):
    c = app.test_client()
    r = c.get(f"/public/verify/{world['serial']}")
    assert r.status_code == 200
    text = _visible_text(r.get_data(as_text=True))
    for shown in (world["serial"], world["sha"], world["base_a"], "测试绩效评价批次", "优", "有效"):
        assert shown in text
    for hidden in (world["total"], world["operator_a"], world["unsigned"], "结论", "问题", "建议", "资金"):
        assert hidden not in text
    assert c.get("/public/verify/PERF-T-0001-AAAAAAAAAA").status_code == 404


def test_verify_upload_is_hashed_never_stored_and_size_limited(app, world):
    with app.app_context():
        files_before = db.session.scalar(select(db.func.count()).select_from(StoredFile))
    with open(world["path"], "rb") as fh:
        good = fh.read()
    c = app.test_client()
    url = f"/public/verify/{world['serial']}"
    token = csrf_token(c, url)
    r = c.post(url, data={"csrf_token": token, "file": (io.BytesIO(good), "报告.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 200 and "上传的文件与登记的报告一致" in r.get_data(as_text=True)
    bad = good[:-5] + b"%%EOX"
    r = c.post(url, data={"csrf_token": token, "file": (io.BytesIO(bad), "报告.pdf")},
               content_type="multipart/form-data")
    assert "不一致" in r.get_data(as_text=True) and hashlib.sha256(bad).hexdigest() in r.get_data(as_text=True)
    big = b"%PDF-" + b"0" * 300_000
    r = c.post(url, data={"csrf_token": token, "file": (io.BytesIO(big), "big.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 413
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(StoredFile)) == files_before


class TestVerifyThrottle:
    @pytest.fixture
    def app_config(self, app_config):
        app_config.update({"RATELIMIT_ENABLED": True, "VERIFY_RATE_LIMIT": "3 per minute"})
        return app_config

    def test_verify_page_is_rate_limited(self, app, world):
        c = app.test_client()
        codes = [c.get(f"/public/verify/{world['serial']}").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        assert "请求过于频繁" in c.get(f"/public/verify/{world['serial']}").get_data(as_text=True)


def test_ministry_accepts_issues_and_reissues_from_the_page(app, world):
    with app.app_context():
        admin, op, auth = _users("w-admin", "w-op-b", "w-js")
        advance(db.session.get(Evaluation, world["b"]), fraction="0.85", to="evaluated", operator=op, authority=auth,
                admin=admin)
        db.session.commit()
    c = _as(app, "w-admin")
    url = f"/admin/evaluations/item/{world['b']}"
    page = c.get(url).get_data(as_text=True)
    accept = f"{url}/accept"
    assert post(c, accept, {"version": "0"}, token_from=url).status_code == 409  # stale version: nothing changes
    assert f'action="{accept}"' in page
    assert post(c, accept, token_from=url).status_code == 302  # the button posts no version: the state decides
    assert post(c, accept, token_from=url).status_code == 409  # accepted already
    assert f'action="{url}/issue"' in c.get(url).get_data(as_text=True)
    assert post(c, f"{url}/issue", token_from=url).status_code == 302
    with app.app_context():
        first = db.session.scalar(select(IssuedReport).where(IssuedReport.evaluation_id == world["b"]))
        first_id, first_serial = first.id, first.serial
        assert db.session.get(Evaluation, world["b"]).grade_label == "良"
    page = c.get(url).get_data(as_text=True)
    assert first_serial in page
    reissue = f"{url}/reissue"
    assert post(c, reissue, {"version": _version_in(page, reissue), "reason": ""}, token_from=url).status_code == 400
    assert post(c, reissue, {"version": _version_in(page, reissue), "reason": "更正错别字"},
                token_from=url).status_code == 302
    with app.app_context():
        reports = db.session.scalars(select(IssuedReport).where(IssuedReport.evaluation_id == world["b"])
                                     .order_by(IssuedReport.sequence)).all()
        assert [r.status for r in reports] == [ReportStatus.SUPERSEDED, ReportStatus.VALID]
        assert reports[1].supersedes_id == first_id
        new_serial = reports[1].serial
    old = app.test_client().get(f"/public/verify/{first_serial}").get_data(as_text=True)
    assert "已被替代" in old
    assert "有效" in app.test_client().get(f"/public/verify/{new_serial}").get_data(as_text=True)


def test_rectification_path_through_the_pages_to_revocation_and_recovery(app, world):
    with app.app_context():
        admin, op, auth = _users("w-admin", "w-op-b", "w-js")
        advance(db.session.get(Evaluation, world["b"]), fraction="0.5", to="accepted", operator=op, authority=auth,
                admin=admin)
        db.session.commit()
    ministry, operator, authority = _as(app, "w-admin"), _as(app, "w-op-b"), _as(app, "w-js")
    admin_url, op_url, auth_url = (f"/admin/evaluations/item/{world['b']}", f"/applicant/evaluations/{world['b']}",
                                   f"/authority/evaluations/{world['b']}")
    assert "差" in ministry.get(admin_url).get_data(as_text=True)
    assert post(ministry, f"{admin_url}/rectification", {"requirement": ""}, token_from=admin_url).status_code == 400
    r = post(ministry, f"{admin_url}/rectification", {"requirement": "限期完善资金管理制度"}, token_from=admin_url)
    assert r.status_code == 302
    page = operator.get(op_url).get_data(as_text=True)
    assert "限期完善资金管理制度" in page and "整改中" in page
    action = f"{op_url}/rectification"
    r = post(operator, action, {"version": _version_in(page, action), "report": "已建立资金管理办法"},
             token_from=op_url, content_type="multipart/form-data")
    assert r.status_code == 302
    # the other operator and the other authority cannot act on it
    assert post(_as(app, "w-op-a"), action, {"report": "x"}, token_from="/applicant/evaluations").status_code == 403
    assert post(_as(app, "w-zj"), f"{auth_url}/recheck", {"outcome": "failed", "result": "x"},
                token_from="/authority/evaluations").status_code == 403
    page = authority.get(auth_url).get_data(as_text=True)
    assert "已建立资金管理办法" in page
    recheck = f"{auth_url}/recheck"
    assert post(authority, recheck, {"version": _version_in(page, recheck), "outcome": "failed",
                                     "result": "整改不到位"}, token_from=auth_url).status_code == 302
    page = ministry.get(admin_url).get_data(as_text=True)
    assert "整改不到位" in page
    revoke = f"{admin_url}/revoke"
    version = _version_in(page, revoke)
    assert post(ministry, revoke, {"version": version, "amount": "1,000,000.00", "reason": "撤销称号",
                                   "document_no": "商电函〔2016〕1号"}, token_from=admin_url).status_code == 400  # unconfirmed
    assert post(ministry, revoke, {"version": version, "amount": "一百万", "reason": "撤销称号", "confirm": "y"},
                token_from=admin_url).status_code == 400
    assert post(ministry, revoke, {"version": version, "amount": "1000000.00", "reason": "撤销称号并收回资金",
                                   "document_no": "商电函〔2016〕1号", "confirm": "y"},
                token_from=admin_url).status_code == 302
    with app.app_context():
        ev = db.session.get(Evaluation, world["b"])
        assert ev.rectification.state == RectificationState.REVOKED
        recoveries = db.session.scalars(select(FundRecovery).where(FundRecovery.base_id == ev.base_id)).all()
        # Itemised: the rules' lines (unspent balances, forbidden spending) plus the further amount typed.
        assert [r.document_no for r in recoveries] == ["商电函〔2016〕1号"]
        assert recoveries[0].amount_fen == sum(i.amount_fen for i in recoveries[0].items)
        assert [i.amount_fen for i in recoveries[0].items if i.kind == "other"] == [1_000_000_00]
        assert any(i.kind == "unspent" for i in recoveries[0].items)
        actions = set(db.session.scalars(select(AuditRecord.event)))
        assert {"rectification_required", "rectification_reported", "rectification_rechecked",
                "base_title_revoked"} <= actions
    page = operator.get(op_url).get_data(as_text=True)
    assert "称号已撤销" in page and "1,000,000.00" in page and "整改不到位" in page
    dashboard = _visible_text(ministry.get("/admin/evaluations/perf-t").get_data(as_text=True))
    assert "整改情况" in dashboard and "已撤销称号" in dashboard


def test_evidence_upload_is_checked_and_seen_only_by_who_may(app, world):
    from tests.factories import pdf_bytes

    c = _as(app, "w-op-b")
    url = f"/applicant/evaluations/{world['b']}"
    data = pdf_bytes("佐证")
    r = post(c, f"{url}/evidence", {"label": "项目验收报告", "file": (io.BytesIO(data), "验收.pdf")},
             token_from=url, content_type="multipart/form-data")
    assert r.status_code == 302
    r = post(c, f"{url}/evidence", {"label": "伪装", "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.pdf")},
             token_from=url, content_type="multipart/form-data")
    assert r.status_code == 302 and r.headers["Location"].endswith(url)  # refused on the page of the action
    assert "alert-danger" in c.get(url).get_data(as_text=True)
    with app.app_context():
        items = db.session.get(Evaluation, world["b"]).attachments
        assert [i.label for i in items] == ["项目验收报告"]
        attachment = items[0].id
    assert "项目验收报告" in c.get(url).get_data(as_text=True)
    assert c.get(f"{url}/evidence/{attachment}").data == data
    assert _as(app, "w-js").get(f"/authority/evaluations/{world['b']}/evidence/{attachment}").data == data
    assert _as(app, "w-zj").get(f"/authority/evaluations/{world['b']}/evidence/{attachment}").status_code == 403
    assert _as(app, "w-op-a").get(f"{url}/evidence/{attachment}").status_code == 403
    assert _as(app, "w-op-a").get(f"/applicant/evaluations/{world['a']}/evidence/{attachment}").status_code == 404


def test_admin_creates_a_round_with_beijing_deadlines(app, world):
    from datetime import UTC, datetime

    from evalsys.models import EvaluationRound

    with app.app_context():
        base_ids = [str(db.session.get(Evaluation, world[k]).base_id) for k in ("a", "c")]
    c = _as(app, "w-admin")
    form = {"code": "perf-2016", "title": "首批国家电子商务示范基地绩效评估（2016）", "year": "2016",
            "criteria": "perf-base-b1:1", "self_deadline": "2016-10-31T17:00", "authority_deadline": "2016-11-30T17:00",
            "bases": base_ids}
    r = post(c, "/admin/evaluations/new", form, token_from="/admin/evaluations/new")
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/evaluations/perf-2016")
    with app.app_context():
        round_ = db.session.scalar(select(EvaluationRound).where(EvaluationRound.code == "perf-2016"))
        assert round_.self_deadline.astimezone(UTC) == datetime(2016, 10, 31, 9, 0, tzinfo=UTC)  # 17:00 in Beijing
        assert sorted(str(e.base_id) for e in round_.evaluations) == sorted(base_ids)
        assert all(e.state == EvaluationState.DRAFT for e in round_.evaluations)
    again = post(c, "/admin/evaluations/new", form, token_from="/admin/evaluations/new")
    assert again.status_code == 200 and "批次代码已存在" in again.get_data(as_text=True)  # refused, shown again
    empty = post(c, "/admin/evaluations/new", {**form, "code": "perf-x", "bases": []}, token_from="/admin/evaluations/new")
    assert empty.status_code == 200 and "请至少选择一个基地" in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(EvaluationRound)) == 2
    assert _as(app, "w-js").get("/admin/evaluations/new").status_code == 403


def test_authority_scores_corrects_with_reason_and_submits(app, world):
    from evalsys.services import evaluations as svc

    with app.app_context():
        admin, op, auth = _users("w-admin", "w-op-b", "w-js")
        ev = advance(db.session.get(Evaluation, world["b"]), fraction="1", to="self_evaluated", operator=op,
                     authority=auth, admin=admin)
        e_max = {i.id: i.max for i in svc.system_of(ev.round).scored_indicators if i.type == "E"}
        db.session.commit()
    js = _as(app, "w-js")
    url = f"/authority/evaluations/{world['b']}"
    page = js.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page[page.index('<form method="post" class="card'):]).group(1)
    data = {"version": version, "conclusions": "总体良好", "problems": "进度滞后", "recommendations": "加快验收",
            "bonus": "3", **{f"points_{k}": f"{m:g}" for k, m in e_max.items()},
            **{f"comment_{k}": "符合要求" for k in e_max}, **_prefilled(page, "figure_"), "figure_new_jobs": "1000"}
    r = post(js, url, data, token_from=url)
    assert r.status_code == 400 and "理由" in r.get_data(as_text=True)  # a correction needs a reason
    r = post(js, url, {**data, "reason_new_jobs": "与社保缴纳记录不符"}, token_from=url)
    assert r.status_code == 302, re.findall(r'alert-danger">(.*?)</div></div>', r.get_data(as_text=True), re.S)
    text = _visible_text(js.get(url).get_data(as_text=True))
    assert "与社保缴纳记录不符" in text and "2000" in text.replace(",", "")  # the operator's figure is kept
    assert "加分（单列，不计入等级）：3" in text
    r = post(js, f"{url}/submit", token_from=url)
    assert r.status_code == 302
    with app.app_context():
        ev = db.session.get(Evaluation, world["b"])
        assert ev.state == EvaluationState.EVALUATED
        assert ev.total == str(svc.current_score(ev).total) == "98.00" and ev.grade_label == "优"  # new_jobs 2 of 4
        assert svc.values_of(ev)["new_jobs"].original == "2000"
    r = post(js, url, data, token_from=url)  # submitted: no more edits, said on the (read-only) page
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    assert "当前状态下不能修改评价" in js.get(url).get_data(as_text=True)
