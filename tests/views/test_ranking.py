"""Ranking pages: settings lock, a run from the page, the run page with its chart and explanation,
comparison, the workbook, and a number of SQL queries that does not grow with the candidates."""
from __future__ import annotations

import io
import re
from contextlib import contextmanager

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from evalsys.extensions import db
from evalsys.models import Call, RankingRun, Role
from evalsys.services import runs
from tests.conftest import csrf_token, login, post
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
    for title in ("经营规模与成长", "创新能力", "名次区间", "进入名额概率", "校正口径"):
        assert title in html
    with app.app_context():
        run = db.session.get(RankingRun, run_id)
        first = run.results["mcda"]["results"][0]
        other = {r["id"]: r for r in run.results["companion"]["mcda"]["results"]}[first["id"]]
    row = re.search(rf"candidates/{first['id']}\">(.*?)</tr>", html, re.S).group(1)
    assert str(first["score"]) in row and str(other["score"]) in row
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
    r2 = post(client, f"{page}/run", {"category": "", "method": "topsis", "aggregation": "adjusted", "samples": "0",
                                      "seed": "1"}, token_from=page)
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
        assert (call.official_method, call.weight_rule, call.adjusted_aggregation) == ("topsis", "entropy", True)
        runs.lock_settings(call, actor=None)
        db.session.commit()
        version = call.version_id
    r = post(client, url, {"version": str(version), "official_method": "vikor", "weights": "default"},
             token_from=url)
    assert r.status_code == 409
    assert "已锁定" in client.get(url).get_data(as_text=True)


def test_run_refused_with_the_list(app, client, admin):
    code = _scored(app, n_apps=3, review_closed=False)
    page = f"/admin/calls/{code}/ranking"
    assert "暂不能排名" in client.get(page).get_data(as_text=True)
    r = post(client, f"{page}/run", {"category": "retail", "method": "", "aggregation": "", "samples": "0",
                                     "seed": "0"}, token_from=f"/admin/calls/{code}/ranking/settings")
    assert r.status_code == 409


def test_workbook_has_every_sheet_and_keeps_text_as_text(app, client, admin):
    code = _scored(app, n_apps=6, reviewers=5)
    _run(app, code, samples=10)
    r = client.get(f"/admin/calls/{code}/review-workbook.xlsx")
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["申报", "专家评分", "专家分汇总", "排名", "稳健性"]
    assert wb["专家评分"].max_row == 1 + 6 * 5 * 9
    assert wb["排名"].max_row == 1 + 6 and wb["稳健性"].max_row == 1 + 6
    assert all(isinstance(c.value, str) for c in wb["申报"]["C"][1:])  # USCC as text


def _page_queries(app, client, n: int) -> int:
    code = _scored(app, n_apps=n, categories=None, places=5, seed=n)
    run_id = _run(app, code, samples=5)[0]
    url = f"/admin/calls/{code}/ranking/runs/{run_id}"
    client.get(url)  # warm caches (criteria files, session)
    with count_queries(app) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def test_ranking_page_queries_do_not_grow_with_candidates(app, client, admin):
    small = _page_queries(app, client, 12)
    large = _page_queries(app, client, 240)
    assert small == large, (small, large)
    assert small <= 12
