"""Content the system writes itself, in English mode: notifications, the funds workbooks, the import
templates and the expert scoring guidance carry no Chinese (names and titles typed by users stay as written)."""
from __future__ import annotations

import html
import io
import re

import pytest
from openpyxl import load_workbook

from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import Allocation, Assignment, Notification, Role
from evalsys.services.applications import state_notice, system_of
from evalsys.services.funds_import import COLUMNS
from evalsys.services.notify import notify, notify_authority
from evalsys.services.summaries import DUE_NOTICE
from tests.conftest import login, post
from tests.factories import make_org, make_user
from tests.fundsutil import make_entry
from tests.views.test_funds import client_for, world  # noqa: F401 (a fixture)

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _notices(client, lang: str) -> str:
    client.set_cookie("lang", lang)
    return html.unescape(client.get("/auth/notifications").get_data(as_text=True))


def test_notifications_read_in_the_readers_language_with_their_values(app, client):
    from datetime import date

    from evalsys.domain.notices import day

    with app.app_context():
        org = make_org()
        user = make_user(Role.APPLICANT, organisation=org, username="reader")
        make_user(Role.AUTHORITY, username="auth-reader", authority_code="320000")
        notify(user, *state_notice("电商示范批次", ApplicationState.RETURNED, "商务部", "材料不全"), link="/applicant/")
        notify_authority("320000", DUE_NOTICE, {"due": day(date(2026, 3, 31)), "title": "年度总结"})
        db.session.add(Notification(user_id=user.id, message="旧的通知文字"))  # a row from before templates
        db.session.commit()
        stored = db.session.scalars(db.select(Notification.message).order_by(Notification.id)).all()
    # The stored text stays Chinese (the email, older readers).
    assert stored[0] == "您的申报《电商示范批次》状态变更为“退回修改”（商务部）。理由：材料不全"
    assert stored[1] == "请于2026年03月31日前报送年度总结"
    login(client, "reader")
    page = _notices(client, "en")
    assert 'Your application to "电商示范批次" is now "Return for revision" (Ministry of Commerce). Reason: 材料不全' in page
    assert "旧的通知文字" in page  # no template: shown as stored
    assert "状态变更为" not in page
    assert "状态变更为“退回修改”（商务部）。理由：材料不全" in _notices(client, "zh")
    other = app.test_client()
    login(other, "auth-reader")
    assert "Please submit 年度总结 by 2026-03-31" in _notices(other, "en")


# --- the funds workbooks ----------------------------------------------------------------------------------------

def _sheets(data: bytes) -> dict[str, list[list[object]]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def _cjk(values) -> list[str]:
    return [str(v) for v in values if v is not None and CJK.search(str(v))]


def test_funds_workbooks_in_english_have_english_labels(app, world):
    with app.app_context():
        a = db.session.get(Allocation, world["a_ours"])
        make_entry(a, category="X-BLD", voucher_no="JZ-2")  # flagged: the alert column is filled
        db.session.commit()
    op = client_for(app, "op-ours")
    op.set_cookie("lang", "en")
    r = op.get(f"/applicant/funds/bases/{world['ours']}/export.xlsx?year=2013")
    sheets = _sheets(r.data)
    assert list(sheets) == ["Overview", "Spending details"] and "funds.xlsx" in r.headers["Content-Disposition"]
    overview, entries = sheets["Overview"], sheets["Spending details"]
    assert not _cjk(overview[0] + [row[0] for row in overview])
    assert not _cjk(entries[0]) and entries[0][4] == "Amount (yuan)"
    labels = [v for row in entries[1:] for i, v in enumerate(row) if i in (3, 7, 8, 10, 11)]  # category … alerts
    assert not _cjk(labels) and any(v for row in entries[1:] for v in row[11:12])
    adm = client_for(app, "ministry")
    adm.set_cookie("lang", "en")
    sheets = _sheets(adm.get("/admin/funds/summary.xlsx?year=2013").data)
    assert list(sheets) == ["Summary (Year 2013)", "Spending by category"]
    assert not _cjk(list(sheets) + [h for rows in sheets.values() for h in rows[0]])
    adm.set_cookie("lang", "zh")
    assert "汇总（2013年度）" in _sheets(adm.get("/admin/funds/summary.xlsx?year=2013").data)


# --- import templates: written in the reader's language, read back in either -------------------------------------

def _changed(data: bytes, header: str, value) -> tuple[list, bytes]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index(header) + 1).value = value
    out = io.BytesIO()
    wb.save(out)
    return headers, out.getvalue()


@pytest.mark.parametrize("written, read", [("zh", "zh"), ("en", "en"), ("en", "zh"), ("zh", "en")])
def test_plan_targets_template_round_trip_in_both_languages(app, written, read):
    from tests.views.test_plan_targets import _client, _value, _world

    base_id = _world(app)
    c = _client(app, "pt-admin")
    c.set_cookie("lang", written)
    r = c.get("/admin/funds/targets/template.xlsx")
    header = {"zh": "方案目标：新增就业人数（人）", "en": "Plan target: new jobs (persons)"}[written]
    headers, data = _changed(r.data, header, 2600)
    assert bool(_cjk(headers)) == (written == "zh")
    if written == "en":
        assert not _cjk(load_workbook(io.BytesIO(r.data)).sheetnames)
    c.set_cookie("lang", read)
    url = "/admin/funds/targets/import"
    r = post(c, url, {"file": (io.BytesIO(data), "t.xlsx")}, token_from=url, content_type="multipart/form-data")
    assert r.status_code == 302 and _value(app, base_id, "plan_new_jobs") == 2600


def _expenditure_file(template: bytes, rows: list[list]) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_expenditure_template_round_trip_in_both_languages(app, world, lang):
    from tests.views.test_funds import imported, upload

    op = client_for(app, "op-ours")
    op.set_cookie("lang", lang)
    template = op.get("/applicant/funds/template.xlsx").data
    sheets = _sheets(template)
    first = next(iter(sheets.values()))[0]
    assert first == [{"zh": zh, "en": en}[lang] for _, zh, en in COLUMNS]
    if lang == "en":
        assert not _cjk(list(sheets) + first + [v for rows in list(sheets.values())[1:] for row in rows
                                                for v in row])
    bad = _expenditure_file(template, [["2014-03-01", "平台运营", "PSP", "不是金额", "某公司", "V-1", ""]])
    page = html.unescape(upload(op, world["a_ours"], bad).get_data(as_text=True))
    assert {"zh": "金额（元）", "en": "Amount (yuan)"}[lang] in page  # the error names the column as the file does
    good = _expenditure_file(template, [["2014-03-01", "平台运营", "PSP", "12,345.60", "某公司", "V-1", ""]])
    upload(op, world["a_ours"], good)
    assert imported(app, world["a_ours"]) == [("V-1", 1_234_560)]


# --- the experts' scoring guidance --------------------------------------------------------------------------------

def test_scoring_guidance_in_english_on_the_score_sheet_and_the_criteria_page(app, client):
    from tests.views.test_review import _setup

    _code, mine, _apps, _ = _setup(app)
    reviewer = sorted(mine)[0]
    with app.app_context():
        system = system_of(db.session.get(Assignment, mine[reviewer][0]).application)
    expert = [i for i in system.indicators if i.guidance is not None]
    assert expert and all(i.guidance_en for i in expert)
    login(client, reviewer)
    client.set_cookie("lang", "en")
    page = html.unescape(client.get(f"/review/assignments/{mine[reviewer][0]}").get_data(as_text=True))
    for i in expert:
        assert i.guidance_en.full in page and i.guidance_en.low in page and i.guidance.full not in page
    client.set_cookie("lang", "zh")
    page = html.unescape(client.get(f"/review/assignments/{mine[reviewer][0]}").get_data(as_text=True))
    assert all(i.guidance.partial in page for i in expert)
    admin = app.test_client()
    login(admin, "rv-admin")
    admin.set_cookie("lang", "en")
    page = html.unescape(admin.get(f"/admin/criteria/{system.id}/{system.version}").get_data(as_text=True))
    assert all(i.guidance_en.partial in page and i.guidance.partial not in page for i in expert)
