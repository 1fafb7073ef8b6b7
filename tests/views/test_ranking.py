"""Ranking pages: settings lock, a run from the page (refused with the list), the run page with raw
beside adjusted, its chart and explanation, comparison, stale marks, the workbook (text stays text,
every reviewer's scores), permissions, and a number of SQL queries that does not grow with N."""
from __future__ import annotations

import io
import re
import zipfile
from contextlib import contextmanager
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from evalsys.extensions import db
from evalsys.models import (Application, Assignment, Call, Organisation, RankingRun, ReviewerProfile, Role,
                            Score, ScoreSheet)
from evalsys.services import runs
from evalsys.services.criteria import system as criteria_system
from tests.conftest import login, post
from tests.factories import make_user
from tests.rankutil import build_scored_call


def _scored(app, **kw) -> str:
    with app.app_context():
        built = build_scored_call(**kw)
        db.session.commit()
        return built.code


def _run(app, code: str, **kw) -> list[int]:
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == code))
        made = runs.run_call(call, actor=None, **kw)
        db.session.commit()
        return [r.id for r in made]


@pytest.fixture
def admin(app, client):
    with app.app_context():
        user = make_user(Role.ADMIN)
    login(client, user.username)
    return user


@contextmanager
def count_queries(app):
    """Count the SQL statements executed inside the block."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_run_page_shows_rank_subtotals_both_aggregations_and_robustness(app, client, admin):
    code = _scored(app, n_apps=10, seed=4)
    run_id = _run(app, code, samples=30)[0]
    html = client.get(f"/admin/calls/{code}/ranking/runs/{run_id}").get_data(as_text=True)
    for title in ("经营规模与成长", "创新能力", "名次区间", "进入名额概率", "得分（原始分）", "得分（偏差校正）"):
        assert title in html
    with app.app_context():
        run = db.session.get(RankingRun, run_id)
        first = run.results["mcda"]["results"][0]
        other = {r["id"]: r for r in run.results["companion"]["mcda"]["results"]}[first["id"]]
    assert not run.adjusted and run.results["companion"]["adjusted"] is True
    row = re.search(rf"candidates/{first['id']}\">(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    # raw rank/score first, then the bias-adjusted rank/score of the same candidate beside them
    assert cells[1] == str(first["score"]) and cells[-4:-2] == [str(other["rank"]), str(other["score"])]
    assert other["score"] != first["score"]  # the adjustment changed something: the columns differ
    assert f"{first['robustness']['rank_p05']}–{first['robustness']['rank_p95']}" in row
    png = client.get(f"/admin/calls/{code}/ranking/runs/{run_id}/chart.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    explained = client.get(f"/admin/calls/{code}/ranking/runs/{run_id}/candidates/{first['id']}")
    assert explained.status_code == 200 and "对总分的贡献" in explained.get_data(as_text=True)
    reproduced = client.get(f"/admin/calls/{code}/ranking/runs/{run_id}/reproduce", follow_redirects=True)
    assert "完全一致" in reproduced.get_data(as_text=True)


def test_run_from_the_page_and_compare(app, client, admin):
    code = _scored(app, n_apps=8, categories=None, places=3)
    page = f"/admin/calls/{code}/ranking"
    r = post(client, f"{page}/run", {"category": "", "method": "", "aggregation": "", "samples": "10",
                                     "seed": "1"}, token_from=page)
    assert r.status_code == 302
    r2 = post(client, f"{page}/run", {"category": "", "method": "topsis", "aggregation": "adjusted",
                                      "samples": "0", "seed": "1"}, token_from=page)
    with app.app_context():
        official, other = db.session.scalars(select(RankingRun).order_by(RankingRun.id)).all()
        assert official.official and not other.official and other.method == "topsis"
    assert r2.headers["Location"].endswith(f"/runs/{other.id}")
    html = client.get(f"{page}/compare?a={official.id}&b={other.id}").get_data(as_text=True)
    assert html.count("<tr>") == 1 + 8


def test_settings_editable_until_locked(app, client, admin):
    code = _scored(app, n_apps=4)
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == code))
        call.settings_locked_at = None
        db.session.commit()
        version = call.version_id
    url = f"/admin/calls/{code}/ranking/settings"
    r = post(client, url, {"version": str(version), "official_method": "topsis", "weights": "rule:entropy",
                           "adjusted_aggregation": "y"}, token_from=url)
    assert r.status_code == 302
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == code))
        settings = (call.official_method, call.weight_rule, call.adjusted_aggregation)
        assert settings == ("topsis", "entropy", True)
        runs.lock_settings(call, actor=None)
        db.session.commit()
        version = call.version_id
    r = post(client, url, {"version": str(version), "official_method": "vikor", "weights": "default"},
             token_from=url)
    assert r.status_code == 409
    assert "已锁定" in client.get(url).get_data(as_text=True)


def test_run_refused_with_the_list_of_missing_sheets(app, client, admin):
    code = _scored(app, n_apps=3, review_closed=False)
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == code))
        first = db.session.scalar(select(Application).where(Application.call_id == call.id)
                                  .order_by(Application.id))
        # one application lacks two of its sheets
        sheets = db.session.scalars(select(ScoreSheet).join(Assignment).where(
            Assignment.application_id == first.id).order_by(ScoreSheet.id)).all()
        for sheet in sheets[:2]:
            db.session.execute(Score.__table__.delete().where(Score.sheet_id == sheet.id))
            db.session.delete(sheet)
        name, app_id, call_id = first.organisation.name, first.id, call.id
        db.session.commit()
    page = f"/admin/calls/{code}/ranking"
    assert "暂不能排名" in client.get(page).get_data(as_text=True)
    r = post(client, f"{page}/run", {"category": "retail", "method": "", "aggregation": "", "samples": "0",
                                     "seed": "0"}, token_from=f"{page}/settings")
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "评审窗口关闭后才能排名" in html and f"{name}（申报编号 {app_id}）仅有 3 份已提交评分表" in html
    with app.app_context():
        assert db.session.scalar(select(RankingRun.id).where(RankingRun.call_id == call_id)) is None


def test_bad_run_input_is_refused_in_chinese(app, client, admin):
    code = _scored(app, n_apps=4)
    page = f"/admin/calls/{code}/ranking"
    r = post(client, f"{page}/run", {"category": "nope", "method": "magic", "aggregation": "",
                                     "samples": "abc", "seed": "-1"}, token_from=page)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "稳健性抽样次数应为整数" in html and "随机种子无效" in html
    with app.app_context():
        assert db.session.scalar(select(RankingRun.id)) is None


def test_comparison_and_stale_runs_are_marked(app, client, admin):
    code = _scored(app, n_apps=6, categories=None)
    official = _run(app, code, samples=0)[0]
    comparison = _run(app, code, samples=0, method="vikor")[0]
    page = f"/admin/calls/{code}/ranking"
    html = client.get(page).get_data(as_text=True)
    rows = {int(m.group(1)): m.group(2) for m in re.finditer(r"runs/(\d+)\">#\d+</a>(.*?)</tr>", html, re.S)}
    assert "正式" in rows[official] and "比较" not in rows[official]
    assert "比较" in rows[comparison] and "已失效" not in rows[comparison]
    assert "比较结果（不能用于拟入选）" in client.get(f"{page}/runs/{comparison}").get_data(as_text=True)
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == code))
        runs.mark_call_runs_stale(call, reason="重新打开评分表：测试", actor=None)
        db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert html.count("已失效") == 2 and "重新打开评分表：测试" in html
    assert "已失效" in client.get(f"{page}/runs/{official}").get_data(as_text=True)


def test_workbook_keeps_formula_like_text_as_text_and_has_every_reviewers_scores(app, client, admin):
    code = _scored(app, n_apps=6, reviewers=5)
    evil = "=HYPERLINK(\"http://evil.example\",\"点击\")"
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == code))
        org = db.session.scalar(select(Organisation).join(Application).where(Application.call_id == call.id)
                                .order_by(Application.id))
        org.name = evil
        reviewer = db.session.scalar(select(ReviewerProfile).join(Assignment)
                                     .where(Assignment.call_id == call.id).order_by(ReviewerProfile.id))
        reviewer.name = "@SUM(1+1)"
        system = criteria_system(call.criteria_id, call.criteria_version)
        titles = {i.id: f"{i.title}（满分{i.max:g}）" for i in system.indicators}
        expected = {(a, r, titles[j]): Decimal(t) / 10 for a, r, j, t in db.session.execute(
            select(Assignment.application_id, ReviewerProfile.name, Score.indicator_id, Score.tenths)
            .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .join(Score, Score.sheet_id == ScoreSheet.id)
            .join(ReviewerProfile, ReviewerProfile.id == Assignment.reviewer_id)
            .where(Assignment.call_id == call.id))}
        db.session.commit()
    _run(app, code, samples=10)
    r = client.get(f"/admin/calls/{code}/review-workbook.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if n.endswith(".xml"))
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["申报", "专家评分", "专家分汇总", "排名", "稳健性"]
    apps_sheet = wb["申报"]
    cell = next(c for c in apps_sheet["B"] if c.value == evil)
    assert cell.data_type == "s" and cell.quotePrefix
    assert all(isinstance(c.value, str) for c in apps_sheet["C"][1:])  # USCC as text
    assert any(row[6] == evil for row in wb["排名"].iter_rows(min_row=2, values_only=True))
    scores = wb["专家评分"]
    header = [c.value for c in scores[1]]
    indicator_columns = {h: k for k, h in enumerate(header) if "满分" in h}  # headed by name, not id
    assert len(indicator_columns) == 9
    got = {}
    for row in scores.iter_rows(min_row=2, values_only=True):  # one row per reviewer's sheet
        for indicator, k in indicator_columns.items():
            got[(row[0], row[1], indicator)] = Decimal(str(row[k]))
    assert got == expected and scores.max_row == 1 + 6 * 5
    assert len({k[1] for k in got}) >= 5 and "@SUM(1+1)" in {k[1] for k in got}
    ranking = wb["排名"]
    head = [c.value for c in ranking[1]]
    assert {"原始分得分", "偏差校正得分", "经营规模与成长小计"} <= set(head)
    assert ranking.max_row == 1 + 6 and wb["稳健性"].max_row == 1 + 6
    assert wb["专家分汇总"].max_row == 1 + 6


@pytest.mark.parametrize("role", [Role.AUTHORITY, Role.APPLICANT, Role.REVIEWER, Role.SECADMIN, Role.AUDITOR])
def test_only_the_admin_reaches_ranking_pages_and_exports(app, client, role):
    with app.app_context():  # before the bulk build: it inserts explicit ids (PostgreSQL sequences lag)
        user = make_user(role, authority_code="320000" if role == Role.AUTHORITY else None)
    code = _scored(app, n_apps=4)
    made = _run(app, code, samples=0)
    run_id = made[0]
    with app.app_context():
        app_id = db.session.scalar(select(Application.id).where(Application.authority_code == "320000")
                                   .order_by(Application.id.desc()))
    base = f"/admin/calls/{code}"
    urls = [f"{base}/ranking", f"{base}/ranking/settings", f"{base}/ranking/runs/{run_id}",
            f"{base}/ranking/runs/{run_id}/chart.png", f"{base}/ranking/runs/{run_id}/candidates/{app_id}",
            f"{base}/ranking/runs/{run_id}/reproduce", f"{base}/ranking/runs/{run_id}/matrix.csv",
            f"{base}/ranking/compare?a={run_id}&b={run_id}", f"{base}/review-workbook.xlsx"]
    for url in urls:  # anonymous: to the login page
        r = client.get(url)
        assert r.status_code == 302 and "/auth/login" in r.headers["Location"], url
    login(client, user.username)
    for url in urls:
        r = client.get(url)
        assert r.status_code == 403, (url, r.status_code)
        assert b"PK" not in r.data[:2] and b"matrix" not in r.data[:200].lower()
    r = post(client, f"{base}/ranking/run", {"category": "", "method": "", "aggregation": "", "samples": "0",
                                             "seed": "0"})
    assert r.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RankingRun)) == len(made)


def test_objects_of_another_call_are_not_found(app, client, admin):
    code_a = _scored(app, n_apps=4, categories=None)
    code_b = _scored(app, n_apps=4, categories=None)
    run_b = _run(app, code_b, samples=0)[0]
    run_a = _run(app, code_a, samples=0)[0]
    assert client.get(f"/admin/calls/{code_a}/ranking/runs/{run_b}").status_code == 404
    assert client.get(f"/admin/calls/{code_a}/ranking/compare?a={run_a}&b={run_b}").status_code == 404
    assert client.get(f"/admin/calls/{code_a}/ranking/runs/{run_a}/candidates/999999").status_code == 404
    assert client.get("/admin/calls/no-such-call/ranking").status_code == 404


def _page_queries(app, client, n: int) -> tuple[int, int]:
    code = _scored(app, n_apps=n, categories=None, places=5, seed=n)
    run_id = _run(app, code, samples=5)[0]
    _run(app, code, samples=0, method="topsis")  # a second stored run listed on both pages
    counts = []
    for url in (f"/admin/calls/{code}/ranking/runs/{run_id}", f"/admin/calls/{code}/ranking"):
        client.get(url)  # warm caches (criteria files, session)
        with count_queries(app) as seen:
            r = client.get(url)
        assert r.status_code == 200 and f"#{run_id}" in r.get_data(as_text=True)
        counts.append(len(seen))
    return counts[0], counts[1]


def test_ranking_page_queries_do_not_grow_with_candidates(app, client, admin):
    small = _page_queries(app, client, 15)
    large = _page_queries(app, client, 150)
    assert small == large, (small, large)
    assert max(small) <= 15, small
