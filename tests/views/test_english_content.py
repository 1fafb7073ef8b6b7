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


# --- the application form and the publicity list (PDFs made on request) ------------------------------------------

def _pdf_text(data: bytes) -> str:
    """The text of every page, lines joined by single spaces (a table cell may wrap)."""
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


FORM_ZH = ("基本信息", "单位名称", "指标数据", "申报批次", "申报单位", "推荐单位", "单位盖章（公章）", "法定代表人签字",
           "本单位承诺", "申报编号：", "申报类别", "生成时间：", "第 1 页 共")
FORM_EN = ("Basic information", "Organisation name", "Indicator data", "Call", "Applicant", "Recommending authority",
           "Seal of the organisation", "Signature of the legal representative", "We declare that",
           "Application no.", "Application category", "Generated: ", "Page 1 of")


def test_application_form_pdf_in_the_readers_language(app, client):
    from urllib.parse import unquote

    from tests.factories import make_application, make_call

    with app.app_context():
        org = make_org(name="Lakeside Commerce Ltd")
        make_user(Role.APPLICANT, username="form-reader", organisation=org, commit=False)
        app_id = make_application(make_call(), org).id
        db.session.commit()
    login(client, "form-reader")
    client.set_cookie("lang", "en")
    r = client.get(f"/applicant/applications/{app_id}/form.pdf")
    text = _pdf_text(r.data)
    assert "Lakeside Commerce Ltd" in text
    assert [label for label in FORM_EN if label not in text] == []
    assert [label for label in FORM_ZH if label in text] == []
    assert "Date (year / month / day)" in text and "日期" not in text  # the date line to fill in by hand
    assert "application-form-Lakeside Commerce Ltd.pdf" in unquote(r.headers["Content-Disposition"])
    client.set_cookie("lang", "zh")
    r = client.get(f"/applicant/applications/{app_id}/form.pdf")
    text = _pdf_text(r.data)
    assert [label for label in FORM_ZH if label not in text] == [] and "Basic information" not in text
    assert f"申报编号：{app_id}" in text
    assert "申报表-Lakeside Commerce Ltd.pdf" in unquote(r.headers["Content-Disposition"])


def test_publicity_pdf_in_the_readers_language(app, client):
    from urllib.parse import unquote

    from tests.views.test_decisions import _announce_ready, _setup

    from evalsys.models import Call
    from evalsys.services.criteria import system_of

    data = _setup(app)
    _announce_ready(app, data)
    with app.app_context():
        retail = system_of(db.session.get(Call, data["call_id"])).category("retail")
    login(client, "admin-a")
    url = f"/admin/calls/{data['code']}/publicity.pdf"
    client.set_cookie("lang", "en")
    r = client.get(url)
    text = _pdf_text(r.data)
    for label in ("No.", "Organisation name", "Recommending authorities", "Category", "Publicity period",
                  ": publicity of the proposed selection", "The following organisations are proposed",
                  "The publicity period counts calendar days", " to ", retail.label_en):
        assert label in text, label
    for label in ("序号", "单位名称", "公示期", "拟入选名单公示", "现予公示", "自然日", " 至 ", retail.label):
        assert label not in text, label
    assert f"{data['code']}-publicity-list.pdf" in unquote(r.headers["Content-Disposition"])
    client.set_cookie("lang", "zh")
    r = client.get(url)
    text = _pdf_text(r.data)
    for label in ("序号", "单位名称", "推荐单位", "类别", "公示期", "拟入选名单公示", "现予公示", "自然日", " 至 ",
                  retail.label):
        assert label in text, label
    assert "Publicity period" not in text
    assert f"{data['code']}-公示名单.pdf" in unquote(r.headers["Content-Disposition"])


def test_figures_carry_their_units_and_yes_no_in_the_readers_language(app, client):
    """An application's figures: the same digits in both languages, the unit and yes/no in the reader's."""
    import json

    from tests.factories import make_application, make_call

    with app.app_context():
        org = make_org(name="Unit Reader Ltd")
        make_user(Role.APPLICANT, username="unit-reader", organisation=org, commit=False)
        application = make_application(make_call(), org)
        system = system_of(application)
        money = next(f for f in system.fields if f.kind == "money" and f.unit == "元" and not f.derived
                     and f.source != "plan")
        flag = next((f for f in system.fields if f.kind == "boolean" and not f.derived), None)
        values = {money.id: 123456789}
        if flag is not None:
            values[flag.id] = True
        application.figures = json.dumps(values)
        app_id = application.id
        db.session.commit()
    login(client, "unit-reader")
    client.set_cookie("lang", "en")
    page = html.unescape(client.get(f"/applicant/applications/{app_id}").get_data(as_text=True))
    assert "1,234,567.89 yuan" in page and "1,234,567.89 元" not in page
    client.set_cookie("lang", "zh")
    page = html.unescape(client.get(f"/applicant/applications/{app_id}").get_data(as_text=True))
    assert "1,234,567.89 元" in page


def test_display_human_translates_only_the_words():
    from evalsys.domain.criteria import Field
    from evalsys.domain.figures import display_human

    english = {"元": "yuan", "是": "Yes", "否": "No", "人": "persons"}.get
    tr = lambda s: english(s) or s  # noqa: E731
    money = Field(id="m", label="金额", kind="money", unit="元")
    assert display_human(money, 123456789, tr) == "1,234,567.89 yuan"
    assert display_human(money, 123456789) == "1,234,567.89 元"
    assert display_human(Field(id="b", label="是否", kind="boolean", unit=""), False, tr) == "No"
    assert display_human(Field(id="p", label="人数", kind="integer", unit="人"), 1200, tr) == "1,200 persons"
