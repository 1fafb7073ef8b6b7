"""/admin/calls: creating and editing a call through the form — Beijing time in, UTC stored; the time rules;
NUL bytes and over-long text in every field are form errors (never a 500); the stale edit; the authority's
sealed recommendation letter; the applicant's printable form."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import AuditRecord, Call, RecommendationLetter, Role
from tests.conftest import audit_events, csrf_token, login
from tests.factories import make_application, make_call, make_org, make_user, pdf_bytes

VALID = {
    "code": "t-new-call", "kind": "enterprise", "title": "2017年度电子商务示范企业", "year_from": "2017",
    "year_to": "2017", "opens_at": "2017-03-01T09:00", "closes_at": "2017-03-31T17:30",
    "recommend_deadline": "2017-04-15T00:00", "review_starts_at": "2017-05-01T08:00",
    "review_ends_at": "2017-05-20T23:59", "criteria": "enterprise-2015-2016:1", "quota_per_authority": "8",
    "places_total": "", "categories": ["retail", "service"], "places_by_category": "retail=5\nservice=3",
    "reviewers_per_application": "5", "blind": "y", "publicity_days": "7",
}


def _admin(app):
    with app.app_context():
        make_user(Role.ADMIN, username="adm")
    c = app.test_client()
    assert login(c, "adm").status_code == 302
    return c


def _calls(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Call.id)))


def test_create_a_call_in_beijing_time(app):
    c = _admin(app)
    r = c.post("/admin/calls/new", data={**VALID, "csrf_token": csrf_token(c, "/admin/calls/new")})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/calls/t-new-call")
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == "t-new-call"))
        # 09:00 Beijing is 01:00 UTC; midnight Beijing is 16:00 UTC the day before.
        assert call.opens_at.replace(tzinfo=UTC) == datetime(2017, 3, 1, 1, 0, tzinfo=UTC)
        assert call.closes_at.replace(tzinfo=UTC) == datetime(2017, 3, 31, 9, 30, tzinfo=UTC)
        assert call.recommend_deadline.replace(tzinfo=UTC) == datetime(2017, 4, 14, 16, 0, tzinfo=UTC)
        assert (call.places, call.category_codes, call.blind, call.reviewers_per_application) == \
            ({"retail": 5, "service": 3}, ["retail", "service"], True, 5)
    assert len(audit_events(app, event="call_created")) == 1
    # The edit form shows the times in Beijing time again.
    html = c.get("/admin/calls/t-new-call/edit").get_data(as_text=True)
    assert 'value="2017-03-01T09:00"' in html and 'value="2017-04-15T00:00"' in html


@pytest.mark.parametrize(("changes", "message"), [
    ({"closes_at": "2017-02-28T09:00"}, "晚于"),
    ({"recommend_deadline": "2017-03-30T09:00"}, "推荐截止"),
    ({"reviewers_per_application": "4"}, "不少于5人"),
    ({"year_from": "2018"}, "起始年度不能晚于截止年度"),
    ({"criteria": "base-2015-b2:1"}, "指标体系与申报类别不一致"),
    ({"places_by_category": "retail=5"}, "分类别名额须覆盖"),
    ({"places_by_category": "retail=five"}, "类别代码=名额"),
    ({"criteria": "no-such:9"}, "不是有效"),
    ({"opens_at": "2017-02-30T09:00"}, "有效"),
], ids=["closes-before-opens", "recommend-before-close", "four-reviewers", "years", "kind-mismatch",
        "places-cover", "places-format", "unknown-criteria", "no-such-day"])
def test_call_rules_are_form_errors(app, changes, message):
    c = _admin(app)
    r = c.post("/admin/calls/new", data={**VALID, **changes, "csrf_token": csrf_token(c, "/admin/calls/new")})
    assert r.status_code == 200
    assert message in r.get_data(as_text=True)
    assert _calls(app) == 0


def _field_names(app) -> list[str]:
    from evalsys.forms.calls import CallForm

    with app.test_request_context():
        return [f.name for f in CallForm() if f.type not in ("CSRFTokenField", "SubmitField")]


def assert_field_error(response, name: str) -> None:
    """The form came back with the banner and the error beside the field (the hidden version: in the banner)."""
    body = response.get_data(as_text=True)
    assert "表单有错误" in body, name
    if name == "version":
        assert "表单版本无效" in body
    else:
        assert re.search(rf'<(input|select|textarea)[^>]*class="[^"]*is-invalid[^"]*"[^>]*name="{name}"'
                         rf'|<(input|select|textarea)[^>]*name="{name}"[^>]*class="[^"]*is-invalid', body), name


@pytest.mark.parametrize("bad", ["12\x0034", "1" * 2001], ids=["nul", "too-long"])
def test_every_call_field_refuses_nul_and_overlong_text(app, bad):
    c = _admin(app)
    names = _field_names(app)
    assert set(names) - {"version"} == set(VALID)
    t = csrf_token(c, "/admin/calls/new")
    for name in names:
        r = c.post("/admin/calls/new", data={**VALID, "csrf_token": t, name: bad})
        assert r.status_code == 200, (name, r.status_code)
        assert_field_error(r, name)
    assert _calls(app) == 0
    # The same on the edit page, where nothing changes either.
    with app.app_context():
        code = make_call().code
        db.session.commit()
        before = db.session.scalar(select(Call.version_id).where(Call.code == code))
    edit = f"/admin/calls/{code}/edit"
    for name in names:
        r = c.post(edit, data={**VALID, "code": code, "version": str(before), "csrf_token": t, name: bad})
        assert r.status_code == 200, (name, r.status_code)
        assert_field_error(r, name)
    with app.app_context():
        assert db.session.scalar(select(Call.version_id).where(Call.code == code)) == before
    assert audit_events(app, event="call_updated") == []


def test_stale_call_edit_is_refused_and_nothing_is_overwritten(app):
    c = _admin(app)
    with app.app_context():
        code = make_call().code
        db.session.commit()
    edit = f"/admin/calls/{code}/edit"
    tabs = [re.search(r'name="version" type="hidden" value="(\d+)"', c.get(edit).get_data(as_text=True)).group(1)
            for _ in range(2)]
    t = csrf_token(c, edit)
    r = c.post(edit, data={**VALID, "code": code, "title": "第一个标签页", "version": tabs[0], "csrf_token": t})
    assert r.status_code == 302
    r = c.post(edit, data={**VALID, "code": code, "title": "第二个标签页", "version": tabs[1], "csrf_token": t})
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "数据已被他人修改，请刷新后重试" in body and "第二个标签页" in body
    with app.app_context():
        assert db.session.scalar(select(Call.title).where(Call.code == code)) == "第一个标签页"
    assert len(audit_events(app, event="call_updated")) == 1
    assert len(audit_events(app, event="stale_edit")) == 1


# --- the authority's sealed letter, the applicant's printable form ----------------------------------------------

def _js_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_recommendation_letter_upload_and_download(app):
    with app.app_context():
        code = make_call().code
        make_user(Role.AUTHORITY, username="authx", authority_code="320000")
        make_user(Role.AUTHORITY, username="authy", authority_code="330000")
    x = app.test_client()
    login(x, "authx")
    t = csrf_token(x)
    url = f"/authority/calls/{code}/letter"

    def letters() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count(RecommendationLetter.id)))

    for data, name, message in ((_js_pdf(), "推荐函.pdf", "脚本"), (b"MZ\x90\x00" + b"\x00" * 64, "推荐函.pdf", "文件类型"),
                                (b"", "推荐函.pdf", "文件为空")):
        r = x.post(url, data={"csrf_token": t, "file": (io.BytesIO(data), name)},
                   content_type="multipart/form-data", follow_redirects=True)
        assert r.status_code == 200 and message in r.get_data(as_text=True), message
    r = x.post(url, data={"csrf_token": t}, content_type="multipart/form-data", follow_redirects=True)
    assert "请选择要上传的文件" in r.get_data(as_text=True)
    assert letters() == 0
    letter = pdf_bytes("sealed letter")
    r = x.post(url, data={"csrf_token": t, "file": (io.BytesIO(letter), "江苏省推荐函.pdf")},
               content_type="multipart/form-data", follow_redirects=True)
    assert "推荐函已上传" in r.get_data(as_text=True) and letters() == 1
    r = x.get(f"/authority/calls/{code}/letter/download")
    assert r.status_code == 200 and r.data == letter
    assert "filename*=UTF-8''%E6%B1%9F%E8%8B%8F" in r.headers["Content-Disposition"]
    # Another authority has no letter of its own and never gets this one.
    y = app.test_client()
    login(y, "authy")
    r = y.get(f"/authority/calls/{code}/letter/download")
    assert r.status_code == 404 and letter not in r.data
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.event.like("%letter%"))) >= 1


def test_applicant_downloads_the_filled_form_as_pdf(app):
    with app.app_context():
        call = make_call()
        org = make_org(name="南京青禾电子商务有限公司")
        make_user(Role.APPLICANT, username="appl", organisation=org, commit=False)
        app_id = make_application(call, org).id
        db.session.commit()
    c = app.test_client()
    login(c, "appl")
    r = c.get(f"/applicant/applications/{app_id}/form.pdf")
    assert r.status_code == 200 and r.data[:5] == b"%PDF-" and r.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    assert "南京青禾电子商务有限公司" in text


def test_authority_list_is_filtered_by_call_and_state(app):
    from evalsys.domain.workflow import ApplicationState as S

    with app.app_context():
        first, second = make_call(), make_call()
        names = {}
        for call, state, key in ((first, S.SUBMITTED, "first-submitted"), (first, S.RETURNED, "first-returned"),
                                 (second, S.SUBMITTED, "second-submitted"), (first, S.DRAFT, "first-draft")):
            org = make_org()
            make_application(call, org, state)
            names[key] = org.name
        other = make_org(region="330100", authority_code="330000")
        make_application(first, other, S.SUBMITTED)
        names["other-jurisdiction"] = other.name
        codes = (first.code, second.code)
        make_user(Role.AUTHORITY, username="authx", authority_code="320000")
    x = app.test_client()
    login(x, "authx")

    def shown(query: str) -> set[str]:
        r = x.get(f"/authority/applications?{query}")
        assert r.status_code == 200
        body = r.get_data(as_text=True)
        return {key for key, name in names.items() if name in body}

    assert shown("") == {"first-submitted", "first-returned", "second-submitted"}  # never drafts, never 浙江
    assert shown(f"call={codes[0]}") == {"first-submitted", "first-returned"}
    assert shown(f"call={codes[0]}&state=returned") == {"first-returned"}
    assert shown(f"call={codes[1]}&state=submitted") == {"second-submitted"}
    assert shown("call=%00&state=%00") == shown("")  # hostile filters are ignored, never a 500


class TestAFieldAddedToTheCriteriaFile:
    """A field added to a criteria file appears on the application form and is stored — no code change."""

    @pytest.fixture
    def app_config(self, tmp_path_factory):
        import shutil

        from evalsys.domain.criteria import default_criteria_dir

        folder = tmp_path_factory.mktemp("criteria")
        shutil.copytree(default_criteria_dir(), folder, dirs_exist_ok=True)
        with open(folder / "enterprise-2015-2016.v1.toml", "a", encoding="utf-8") as fh:
            fh.write('\n[[fields]]\nid = "warehouse_area"\nlabel = "自有仓储面积"\nkind = "integer"\n'
                     'unit = "平方米"\nmin = 0\nmax = 5000000\n')
        return {"CRITERIA_DIR": str(folder)}

    def test_the_new_field_is_asked_validated_and_stored(self, app):
        import json

        from evalsys.models import Application
        from tests.views.test_applications import _valid_application_post

        with app.app_context():
            call = make_call()
            org = make_org()
            make_user(Role.APPLICANT, username="appl", organisation=org, commit=False)
            app_id = make_application(call, org).id
            db.session.commit()
        c = app.test_client()
        login(c, "appl")
        edit = f"/applicant/applications/{app_id}/edit"
        html = c.get(edit).get_data(as_text=True)
        assert 'name="fig_warehouse_area"' in html and "自有仓储面积" in html and "平方米" in html
        valid, fields = _valid_application_post(app, app_id)
        assert "fig_warehouse_area" in dict(fields)
        t = csrf_token(c, edit)
        r = c.post(edit, data={**valid, "fig_warehouse_area": "5000001", "csrf_token": t})
        assert r.status_code == 200 and "表单有错误" in r.get_data(as_text=True)  # the file's bound
        r = c.post(edit, data={**valid, "fig_warehouse_area": "12000", "csrf_token": t})
        assert r.status_code == 302
        with app.app_context():
            assert json.loads(db.session.get(Application, app_id).figures)["warehouse_area"] == 12000


def test_call_codes_with_a_nul_byte_are_404_on_every_call_page(app):
    """A NUL byte in a call code is a database error on PostgreSQL unless it is caught first."""
    with app.app_context():
        make_user(Role.ADMIN, username="adm", commit=False)
        make_user(Role.AUTHORITY, username="authx", authority_code="320000", commit=False)
        make_user(Role.APPLICANT, username="appl")
    clients = {}
    for name in ("adm", "authx", "appl"):
        clients[name] = app.test_client()
        login(clients[name], name)
    bad = ("%00", "t-enterprise%00", "x" * 41)
    for code in bad:
        for who, method, path in (("adm", "get", f"/admin/calls/{code}"), ("adm", "get", f"/admin/calls/{code}/edit"),
                                  ("adm", "get", f"/admin/calls/{code}/export.xlsx"),
                                  ("adm", "get", f"/admin/calls/{code}/applications/1"),
                                  ("authx", "get", f"/authority/calls/{code}/export.xlsx"),
                                  ("authx", "get", f"/authority/calls/{code}/letter/download"),
                                  ("authx", "post", f"/authority/calls/{code}/letter"),
                                  ("appl", "post", f"/applicant/calls/{code}/apply")):
            c = clients[who]
            data = {"csrf_token": csrf_token(c)} if method == "post" else None
            r = getattr(c, method)(path, data=data)
            assert r.status_code == 404, (path, r.status_code)


def test_the_quota_table_has_37_rows_prefilled_and_saves_per_authority_figures(app):
    from evalsys.models import QuotaCounter

    c = _admin(app)
    with app.app_context():
        call = make_call(quota_per_authority=8)
        code, call_id = call.code, call.id
        db.session.commit()
    url = f"/admin/calls/{code}/quotas"
    html = c.get(url).get_data(as_text=True)
    values = re.findall(r'name="quota-(\d{6})"[^>]*value="(\d+)"', html)
    assert len(values) == 37 and {v for _, v in values} == {"8"}
    form = {f"quota-{a}": v for a, v in values}
    r = c.post(url, data={**form, "csrf_token": csrf_token(c, url), "quota-320000": "12", "quota-440300": "3"})
    assert r.status_code == 302
    with app.app_context():
        own = dict(db.session.execute(select(QuotaCounter.authority_code, QuotaCounter.quota).where(
            QuotaCounter.call_id == call_id, QuotaCounter.quota.is_not(None))).all())
    assert own == {"320000": 12, "440300": 3}
    assert len(audit_events(app, event="call_quotas_set")) == 1
    html = c.get(url).get_data(as_text=True)
    assert 'name="quota-320000" inputmode="numeric" maxlength="6" value="12"' in html
    # Bad figures are form errors and change nothing.
    r = c.post(url, data={**form, "csrf_token": csrf_token(c, url), "quota-320000": "-1", "quota-330000": "五"})
    assert r.status_code == 422 and "请填写0或正整数" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(QuotaCounter.quota).where(QuotaCounter.call_id == call_id,
                                                                  QuotaCounter.authority_code == "320000")) == 12
    with app.app_context():
        make_user(Role.AUTHORITY, username="au-q", authority_code="320000")
    authority = app.test_client()
    login(authority, "au-q")
    assert authority.get(url).status_code == 403
