"""Application pages: IDOR between applicants and between authorities, uploads, NUL bytes and
over-long text in every field, the stale edit, the timeline each audience sees, notifications,
and the XLSX export (formula-like text stays text, numbers stay numbers)."""
from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import func, select

from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.forms.applications import build_application_form
from evalsys.models import (Application, ApplicationAttachment, AuditRecord, Authority, CallKind, Notification,
                            QuotaCounter, Role, Transition, User)
from evalsys.services import applications as svc
from tests.conftest import audit_events, csrf_token, login
from tests.factories import make_application, make_call, make_letter, make_org, make_user, pdf_bytes, typed_figures

S = ApplicationState
FORMULA = '=HYPERLINK("http://x","y")'


@dataclass
class World:
    call: str
    call_id: int
    app_a: int  # draft of organisation A (江苏)
    app_a_sub: int  # submitted application of organisation A2 (江苏)
    app_c: int  # submitted application of organisation C (浙江)
    att_a: int  # an attachment of app_a
    att_c: int  # an attachment of app_c
    org_a_name: str
    org_c_name: str
    secret: str  # text only app_a's narrative holds


def build_world(app) -> World:
    """Two applicant organisations (A, B) and one more (A2) in 江苏, one (C) in 浙江; authorities X (江苏) and
    Y (浙江); an admin. Usernames: appa, appa2, appb, appc, authx, authy, adm."""
    with app.app_context():
        call = make_call()
        org_a, org_a2, org_b = make_org(), make_org(), make_org()
        org_c = make_org(region="330100", authority_code="330000")
        users = {}
        for name, org in (("appa", org_a), ("appa2", org_a2), ("appb", org_b), ("appc", org_c)):
            users[name] = make_user(Role.APPLICANT, username=name, organisation=org, commit=False)
        authx = make_user(Role.AUTHORITY, username="authx", authority_code="320000", commit=False)
        authy = make_user(Role.AUTHORITY, username="authy", authority_code="330000", commit=False)
        make_user(Role.ADMIN, username="adm", commit=False)
        make_letter(call, authx)
        make_letter(call, authy)
        secret = "仅A单位可见的机密叙述XYZ"
        app_a = make_application(call, org_a, actor=users["appa"])
        narrative = app_a.narrative_sections
        narrative["profile"] = secret
        app_a.narrative = json.dumps(narrative, ensure_ascii=False)
        app_a2 = make_application(call, org_a2, S.SUBMITTED, actor=users["appa2"])
        app_c = make_application(call, org_c, S.SUBMITTED, actor=users["appc"])
        make_application(call, org_b, actor=users["appb"])
        att = {a.application_id: a.id for a in db.session.scalars(select(ApplicationAttachment))}
        world = World(call.code, call.id, app_a.id, app_a2.id, app_c.id, att[app_a.id], att[app_c.id],
                      org_a.name, org_c.name, secret)
        db.session.commit()
        assert authy.id and authx.id
        return world


def client_for(app, username: str):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def token(c, path: str = "/auth/password") -> str:
    return csrf_token(c, path)


def state_of(app, app_id: int) -> tuple:
    """Everything a refused request must leave alone."""
    with app.app_context():
        row = db.session.get(Application, app_id)
        return (row.state, row.version_id, row.figures, row.narrative, row.address, row.recommend_order,
                db.session.scalar(select(func.count(Transition.id)).where(Transition.application_id == app_id)),
                db.session.scalar(select(func.count(ApplicationAttachment.id))
                                  .where(ApplicationAttachment.application_id == app_id)),
                db.session.scalar(select(func.sum(QuotaCounter.used))))


def no_leak(response, *texts: str) -> None:
    body = response.get_data(as_text=True)
    for text in texts:
        assert text not in body


# --- IDOR -------------------------------------------------------------------------------------------------------

def test_applicant_cannot_reach_another_organisations_application(app):
    w = build_world(app)
    b = client_for(app, "appb")
    t = token(b)
    before = state_of(app, w.app_a)
    base = f"/applicant/applications/{w.app_a}"
    for path in (base, f"{base}/edit", f"{base}/form.pdf", f"{base}/attachments/{w.att_a}"):
        r = b.get(path)
        assert r.status_code == 403, path
        no_leak(r, w.org_a_name, w.secret)
    for path, data in ((f"{base}/edit", {"save": "1", "version": "1", "address": "篡改"}),
                       (f"{base}/submit", {}), (f"{base}/withdraw", {}),
                       (f"{base}/attachments", {"kind": "licence",
                                                "file": (io.BytesIO(pdf_bytes()), "x.pdf")})):
        r = b.post(path, data={"csrf_token": t, **data}, content_type="multipart/form-data")
        assert r.status_code == 403, path
        no_leak(r, w.org_a_name, w.secret)
    # Its own application id with A's attachment id: the attachment is not part of it.
    with app.app_context():
        own = db.session.scalar(select(Application.id).join(User, User.organisation_id == Application.organisation_id)
                                .where(User.username == "appb"))
    r = b.get(f"/applicant/applications/{own}/attachments/{w.att_a}")
    assert r.status_code == 404
    assert b.get("/applicant/applications/999999").status_code == 404
    # Lists and notifications show nothing of A.
    for path in ("/applicant/", "/auth/notifications"):
        no_leak(b.get(path), w.org_a_name, w.secret)
    assert state_of(app, w.app_a) == before
    assert audit_events(app, event="access_denied")


def test_authority_cannot_reach_another_jurisdiction(app):
    w = build_world(app)
    x = client_for(app, "authx")
    t = token(x)
    before = state_of(app, w.app_c)
    base = f"/authority/applications/{w.app_c}"
    for path in (base, f"{base}/attachments/{w.att_c}"):
        r = x.get(path)
        assert r.status_code == 403, path
        no_leak(r, w.org_c_name)
    for path, data in ((f"{base}/recommend", {"order": "1"}), (f"{base}/return", {"reason": "退回"}),
                       (f"{base}/not-recommend", {"reason": "不推荐"}), (f"{base}/take-back", {})):
        r = x.post(path, data={"csrf_token": t, **data})
        assert r.status_code == 403, path
        no_leak(r, w.org_c_name)
    assert state_of(app, w.app_c) == before
    # Its list and its export hold its own jurisdiction only.
    listing = x.get(f"/authority/applications?call={w.call}")
    assert listing.status_code == 200
    no_leak(listing, w.org_c_name)
    rows = export_rows(x.get(f"/authority/calls/{w.call}/export.xlsx"))
    assert rows and {r["推荐单位代码"] for r in rows} == {"320000"}
    assert w.org_c_name not in {r["单位名称"] for r in rows}
    # …and the same for the other authority the other way round.
    y = client_for(app, "authy")
    assert y.get(f"/authority/applications/{w.app_a_sub}").status_code == 403
    assert {r["推荐单位代码"] for r in export_rows(y.get(f"/authority/calls/{w.call}/export.xlsx"))} == {"330000"}


def test_admin_pages_refuse_an_application_of_another_call(app):
    w = build_world(app)
    with app.app_context():
        other = make_call().code
        db.session.commit()
    m = client_for(app, "adm")
    assert m.get(f"/admin/calls/{other}/applications/{w.app_c}").status_code == 404
    assert m.get(f"/admin/calls/{other}/applications/{w.app_c}/attachments/{w.att_c}").status_code == 404
    r = m.post(f"/admin/calls/{other}/applications/{w.app_c}/check",
               data={"csrf_token": token(m), "decision": "pass"})
    assert r.status_code == 404


# --- uploads ----------------------------------------------------------------------------------------------------

def upload(c, app_id: int, data: bytes, name: str, kind: str = "report"):
    return c.post(f"/applicant/applications/{app_id}/attachments",
                  data={"csrf_token": token(c), "kind": kind, "file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data", follow_redirects=True)


def attachment_count(app, app_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ApplicationAttachment.id))
                                 .where(ApplicationAttachment.application_id == app_id))


def js_pdf() -> bytes:
    """A valid PDF whose catalog runs JavaScript when opened."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run"


@pytest.mark.parametrize(("data", "name", "message"), [
    (EXE, "申报书.pdf", "文件类型不被接受"),
    (None, "申报书.pdf", "脚本"),
    (b"", "空.pdf", "请选择要上传的文件"),
], ids=["exe-renamed", "pdf-with-javascript", "empty"])
def test_refused_uploads(app, data, name, message):
    w = build_world(app)
    a = client_for(app, "appa")
    before = attachment_count(app, w.app_a)
    r = upload(a, w.app_a, js_pdf() if data is None else data, name)
    assert r.status_code == 200
    assert message in r.get_data(as_text=True) or (not data and "文件为空" in r.get_data(as_text=True))
    assert attachment_count(app, w.app_a) == before


LIMIT = 4096


@pytest.mark.parametrize("app_config", [{"UPLOAD_MAX_BYTES": LIMIT}])
def test_size_limit_plus_one_byte(app, app_config):
    w = build_world(app)
    a = client_for(app, "appa")
    exact = pdf_bytes() + b"\n" * (LIMIT - len(pdf_bytes()))
    assert len(exact) == LIMIT
    before = attachment_count(app, w.app_a)
    r = upload(a, w.app_a, exact + b"\n", "大文件.pdf")
    assert "文件过大" in r.get_data(as_text=True)
    assert attachment_count(app, w.app_a) == before
    r = upload(a, w.app_a, exact, "刚好.pdf")
    assert "已上传" in r.get_data(as_text=True)
    assert attachment_count(app, w.app_a) == before + 1


def test_chinese_file_name_round_trip_and_tampering_detected(app):
    w = build_world(app)
    a = client_for(app, "appa")
    name = "营业执照（副本）2015年.pdf"
    data = pdf_bytes("licence scan")
    assert "已上传" in upload(a, w.app_a, data, name, kind="licence").get_data(as_text=True)
    with app.app_context():
        att = db.session.scalars(select(ApplicationAttachment).where(ApplicationAttachment.application_id == w.app_a)
                                 .order_by(ApplicationAttachment.id.desc()).limit(1)).one()
        att_id, stored_id = att.id, att.file_id
        path = Path(app.config["UPLOAD_DIR"]) / att.file.storage_name
        assert att.file.original_name == name and name not in str(path)
    r = a.get(f"/applicant/applications/{w.app_a}/attachments/{att_id}")
    assert r.status_code == 200 and r.data == data
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(encoded) == name
    # The authority of the jurisdiction sees it too; a byte changed on disk is detected.
    x = client_for(app, "authx")
    tampered_bytes = bytearray(data)
    tampered_bytes[len(data) // 2] ^= 0x01  # one bit, inside the compressed page content
    path.write_bytes(bytes(tampered_bytes))
    for c, url in ((a, f"/applicant/applications/{w.app_a}/attachments/{att_id}"),
                   (x, f"/authority/applications/{w.app_a}/attachments/{att_id}")):
        r = c.get(url)
        assert r.status_code == 409 and "文件校验失败" in r.get_data(as_text=True)
        assert bytes(tampered_bytes) not in r.data
    tampered = audit_events(app, event="file_tampered")
    assert len(tampered) == 2 and all(e.object_id == str(stored_id) for e in tampered)


# --- NUL bytes and over-long text in every field ----------------------------------------------------------------

BAD_VALUES = {"nul": lambda limit: "12\x0034", "too-long": lambda limit: "1" * (limit + 1)}


def _fields_of(form) -> list:
    return [f for f in form if f.type not in ("CSRFTokenField", "SubmitField")]


def _limit(field) -> int:
    kw = field.render_kw or {}
    return int(kw.get("maxlength") or (20_000 if field.type == "TextAreaField" else 200))


def _valid_application_post(app, app_id: int) -> tuple[dict, list]:
    with app.test_request_context():
        row = db.session.get(Application, app_id)
        system = svc.system_of(row)
        cats = [(c.code, c.label) for c in system.categories if c.code in row.call.category_codes]
        form = build_application_form(system, svc.outline_of(row.call), cats)()
        data = {"version": str(row.version_id), "legal_representative": "王法人", "address": "南京市",
                "contact_name": "张三", "contact_phone": "025-12345678", "contact_email": "a@example.com",
                "parent_uscc": "", "save": "1"}
        if cats:
            data["category"] = cats[0][0]
        data.update({f"fig_{k}": v for k, v in typed_figures(system).items()})
        data.update({f"sec_{s.id}": "正文" for s in svc.outline_of(row.call)})
        fields = [(f.name, _limit(f)) for f in _fields_of(form)]
    assert set(data) - {"save"} == {name for name, _ in fields}
    return data, fields


@pytest.mark.parametrize("kind", [CallKind.ENTERPRISE, CallKind.BASE], ids=lambda k: k.value)
def test_every_application_field_refuses_nul_and_overlong_text(app, kind):
    with app.app_context():
        call = make_call(kind=kind)
        org = make_org()
        make_user(Role.APPLICANT, username="appk", organisation=org, commit=False)
        app_id = make_application(call, org).id
        db.session.commit()
    c = client_for(app, "appk")
    valid, fields = _valid_application_post(app, app_id)
    t = token(c)
    before = state_of(app, app_id)
    for name, limit in fields:
        for label, bad in BAD_VALUES.items():
            r = c.post(f"/applicant/applications/{app_id}/edit", data={**valid, "csrf_token": t, name: bad(limit)})
            assert r.status_code == 200, (name, label, r.status_code)
            assert "表单有错误" in r.get_data(as_text=True), (name, label)
    assert state_of(app, app_id) == before
    # A version that is not a number is a form error too, never a 500.
    for version in ("abc", "１", "-1", ""):
        r = c.post(f"/applicant/applications/{app_id}/edit", data={**valid, "csrf_token": t, "version": version})
        assert r.status_code == 200 and "表单有错误" in r.get_data(as_text=True), version
        assert "表单版本无效" in r.get_data(as_text=True), version
    assert state_of(app, app_id) == before
    # The valid post itself is accepted, so the refusals above are about the bad value.
    r = c.post(f"/applicant/applications/{app_id}/edit", data={**valid, "csrf_token": t})
    assert r.status_code == 302
    assert state_of(app, app_id) != before


def test_reason_forms_refuse_nul_and_overlong_text(app):
    w = build_world(app)
    x = client_for(app, "authx")
    t = token(x)
    before = state_of(app, w.app_a_sub)
    for decision in ("return", "not-recommend"):
        for bad in ("退回\x00理由", "理" * 2001):
            r = x.post(f"/authority/applications/{w.app_a_sub}/{decision}", data={"csrf_token": t, "reason": bad},
                       follow_redirects=True)
            assert r.status_code == 200
            body = r.get_data(as_text=True)
            assert "控制字符" in body or "不能超过" in body or "2000" in body
    assert state_of(app, w.app_a_sub) == before
    # The formal check's reason: the application must be recommended first.
    with app.app_context():
        row = db.session.get(Application, w.app_a_sub)
        row.state = S.RECOMMENDED
        db.session.commit()
    before = state_of(app, w.app_a_sub)
    m = client_for(app, "adm")
    tm = token(m)
    for bad in ("不通过\x00", "理" * 2001):
        r = m.post(f"/admin/calls/{w.call}/applications/{w.app_a_sub}/check",
                   data={"csrf_token": tm, "decision": "fail", "reason": bad}, follow_redirects=True)
        assert r.status_code == 200, r.status_code
        body = r.get_data(as_text=True)
        assert "控制字符" in body or "不能超过" in body
    assert state_of(app, w.app_a_sub) == before


# --- the stale edit ---------------------------------------------------------------------------------------------

def test_stale_edit_in_a_second_tab_is_refused(app):
    w = build_world(app)
    a = client_for(app, "appa")
    valid, _ = _valid_application_post(app, w.app_a)
    edit = f"/applicant/applications/{w.app_a}/edit"
    tabs = []
    for _ in range(2):
        html = a.get(edit).get_data(as_text=True)
        tabs.append(re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1))
    assert tabs[0] == tabs[1]
    t = token(a)
    r = a.post(edit, data={**valid, "csrf_token": t, "version": tabs[0], "address": "第一个标签页的地址"})
    assert r.status_code == 302
    r = a.post(edit, data={**valid, "csrf_token": t, "version": tabs[1], "address": "第二个标签页的地址"})
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "数据已被他人修改，请刷新后重试" in body
    assert "第二个标签页的地址" in body  # the input is kept for copying
    with app.app_context():
        assert db.session.get(Application, w.app_a).address == "第一个标签页的地址"
    assert audit_events(app, event="stale_edit")


# --- timeline, notifications ------------------------------------------------------------------------------------

def _display_name(app, username: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.display_name).where(User.username == username))


def _unit(app, code: str) -> str:
    with app.app_context():
        return db.session.get(Authority, code).full_name


def test_timeline_shows_staff_the_official_and_applicants_only_the_unit(app):
    w = build_world(app)
    x = client_for(app, "authx")
    r = x.post(f"/authority/applications/{w.app_a_sub}/return", data={"csrf_token": token(x), "reason": "请补充审计报告"})
    assert r.status_code == 302
    official = _display_name(app, "authx")
    unit = _unit(app, "320000")
    applicant_page = client_for(app, "appa2").get(f"/applicant/applications/{w.app_a_sub}").get_data(as_text=True)
    assert unit in applicant_page and "请补充审计报告" in applicant_page
    assert official not in applicant_page and "authx" not in applicant_page
    for c, url in ((x, f"/authority/applications/{w.app_a_sub}"),
                   (client_for(app, "adm"), f"/admin/calls/{w.call}/applications/{w.app_a_sub}")):
        page = c.get(url).get_data(as_text=True)
        assert official in page and unit in page and "请补充审计报告" in page


def _notifications(app, username: str) -> list[str]:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        return list(db.session.scalars(select(Notification.message).where(Notification.user_id == uid)
                                       .order_by(Notification.id)))


def test_every_state_change_notifies_the_applicant(app):
    w = build_world(app)
    a, x, m = client_for(app, "appa"), client_for(app, "authx"), client_for(app, "adm")
    ta, tx, tm = token(a), token(x), token(m)
    base_a, base_x = f"/applicant/applications/{w.app_a}", f"/authority/applications/{w.app_a}"
    steps = [
        (a, f"{base_a}/submit", {}, "已提交"),
        (a, f"{base_a}/withdraw", {}, "草稿"),
        (a, f"{base_a}/submit", {}, "已提交"),
        (x, f"{base_x}/return", {"reason": "请补充材料"}, "退回修改"),
        (a, f"{base_a}/submit", {}, "已提交"),
        (x, f"{base_x}/recommend", {"order": "1"}, "已推荐"),
        (x, f"{base_x}/take-back", {}, "已提交"),
        (x, f"{base_x}/recommend", {"order": "2"}, "已推荐"),
        (m, f"/admin/calls/{w.call}/applications/{w.app_a}/check", {"decision": "fail", "reason": "印章不清"},
         "形式审查未通过"),
    ]
    seen = len(_notifications(app, "appa"))
    for client, url, data, label in steps:
        t = {a: ta, x: tx, m: tm}[client]
        r = client.post(url, data={"csrf_token": t, **data})
        assert r.status_code == 302, (url, r.status_code)
        messages = _notifications(app, "appa")
        assert len(messages) == seen + 1, url
        assert f"“{label}”" in messages[-1]
        seen += 1
    assert "印章不清" in messages[-1] and "商务部" in messages[-1]
    page = a.get("/auth/notifications").get_data(as_text=True)
    assert "形式审查未通过" in page and "请补充材料" in page
    # not recommended, on another application
    before = len(_notifications(app, "appa2"))
    x.post(f"/authority/applications/{w.app_a_sub}/not-recommend", data={"csrf_token": tx, "reason": "不符合条件"})
    assert len(_notifications(app, "appa2")) == before + 1


def test_refused_transition_is_409_and_changes_nothing(app):
    w = build_world(app)
    a, x, m = client_for(app, "appa"), client_for(app, "authx"), client_for(app, "adm")
    before = state_of(app, w.app_a)  # a draft
    for client, url, data in (
            (a, f"/applicant/applications/{w.app_a}/withdraw", {}),
            (x, f"/authority/applications/{w.app_a}/recommend", {"order": "1"}),
            (x, f"/authority/applications/{w.app_a}/return", {"reason": "退回"}),
            (x, f"/authority/applications/{w.app_a}/take-back", {}),
            (m, f"/admin/calls/{w.call}/applications/{w.app_a}/check", {"decision": "pass"})):
        r = client.post(url, data={"csrf_token": token(client), **data})
        if r.status_code == 302:  # the view names the page of the action: the refusal is shown there
            assert r.headers["Location"].endswith(f"/applicant/applications/{w.app_a}"), url
            r = client.get(r.headers["Location"])
        else:
            assert r.status_code == 409, url
        assert "不能执行" in r.get_data(as_text=True)
    assert state_of(app, w.app_a) == before
    with app.app_context():
        assert not db.session.scalar(select(func.count(AuditRecord.id))
                                     .where(AuditRecord.event.like("application_withdraw%")))


# --- export -----------------------------------------------------------------------------------------------------

def export_rows(response) -> list[dict]:
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    ws = wb.active
    header = [c.value for c in ws[1]]
    return [dict(zip(header, [c.value for c in row])) for row in ws.iter_rows(min_row=2)]


def test_export_keeps_formula_like_text_as_text_and_numbers_numeric(app):
    w = build_world(app)
    with app.app_context():
        row = db.session.get(Application, w.app_a_sub)
        row.address = FORMULA
        narrative = row.narrative_sections
        narrative["plan"] = FORMULA
        row.narrative = json.dumps(narrative, ensure_ascii=False)
        db.session.commit()
    m = client_for(app, "adm")
    r = m.get(f"/admin/calls/{w.call}/export.xlsx")
    assert r.status_code == 200
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    header = [c.value for c in ws[1]]
    target = next(row for row in ws.iter_rows(min_row=2) if row[0].value == w.app_a_sub)
    cells = dict(zip(header, target))
    for title in ("通讯地址", "发展规划"):
        assert cells[title].value == FORMULA and cells[title].data_type == "s"
    revenue = cells["上年度营业收入（元）"]
    assert revenue.data_type == "n" and abs(revenue.value - 523456789.12) < 1e-6
    assert cells["上年度订单量（笔）"].data_type == "n" and cells["上年度订单量（笔）"].value == 1500000
    assert cells["状态"].value == "已提交"
    assert {c.value for c in ws["A"][1:]} >= {w.app_a_sub, w.app_c}  # the admin sees every jurisdiction
