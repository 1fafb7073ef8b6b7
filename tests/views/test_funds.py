"""Fund pages: who sees which base, crafted POSTs with another base's ids, verification through the
page (stale, refused), entry form with voucher, Excel import table, exports, charts, sorting."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from evalsys.domain.funds import ExpenditureStatus
from evalsys.extensions import db
from evalsys.models import ComplianceFlag, Expenditure, FlagState, FundAccount, Role
from evalsys.services import funds, funds_ledger
from evalsys.services.funds_import import HEADERS
from tests.conftest import audit_events, csrf_token, login
from tests.factories import make_user
from tests.fundsutil import make_allocation, make_base, make_entry
from tests.services.test_funds import voucher_file

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def world(app):
    """Two bases: ours (江苏, 苏州) and theirs (浙江, 杭州), each with an operator and an authority."""
    with app.app_context():
        ours = make_base(code="B1-11", authority_code="320000", region="320500")
        theirs = make_base(code="B1-01", authority_code="330000", region="330100")
        a_ours = make_allocation(ours, year=2013, amount_fen=1_000_000_00, received_fen=500_000_00)
        a_theirs = make_allocation(theirs, year=2013, amount_fen=1_000_000_00)
        e_ours = make_entry(a_ours, amount_fen=100_000_00, voucher_no="JZ-1")
        e_theirs = make_entry(a_theirs, amount_fen=50_000_00, category="X-BLD", voucher_no="JZ-9")
        flag_theirs = next(f for f in e_theirs.flags if f.code == "forbidden_category")
        ids = dict(ours=ours.id, theirs=theirs.id, a_ours=a_ours.id, a_theirs=a_theirs.id, e_ours=e_ours.id,
                   e_theirs=e_theirs.id, flag_theirs=flag_theirs.id, ours_org=ours.organisation_id,
                   theirs_org=theirs.organisation_id)
        db.session.commit()
        from evalsys.models import Organisation
        make_user(Role.APPLICANT, username="op-ours", organisation=db.session.get(Organisation, ids["ours_org"]))
        make_user(Role.APPLICANT, username="op-theirs", organisation=db.session.get(Organisation, ids["theirs_org"]))
        make_user(Role.AUTHORITY, username="au-js", authority_code="320000")
        make_user(Role.AUTHORITY, username="au-zj", authority_code="330000")
        make_user(Role.ADMIN, username="ministry")
    return ids


def client_for(app, username):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def token(c):
    return csrf_token(c, "/auth/password")


def entry_state(app, entry_id):
    with app.app_context():
        e = db.session.get(Expenditure, entry_id)
        return e.status, e.version_id, e.voucher_file_id


# --- who sees what -----------------------------------------------------------------------------------

def test_operator_sees_only_its_base(app, world):
    c = client_for(app, "op-ours")
    r = c.get("/applicant/funds")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/applicant/funds/bases/{world['ours']}")
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "B1-11" in html and "B1-01" not in html
    for url in (f"/applicant/funds/bases/{world['theirs']}", f"/applicant/funds/expenditures/{world['e_theirs']}",
                f"/applicant/funds/bases/{world['theirs']}/export.xlsx?year=2013",
                f"/applicant/funds/allocations/{world['a_theirs']}/expenditures/new",
                f"/applicant/funds/allocations/{world['a_theirs']}/import"):
        assert c.get(url).status_code == 403, url
    assert c.get(f"/applicant/funds/expenditures/{world['e_ours']}").status_code == 200


def test_an_applicant_of_another_organisation_sees_no_base(app, world):
    with app.app_context():
        make_user(Role.APPLICANT, username="stranger")
    c = client_for(app, "stranger")
    assert "不是首批示范基地的运营单位" in c.get("/applicant/funds").get_data(as_text=True)
    assert c.get(f"/applicant/funds/bases/{world['ours']}").status_code == 403


def test_authority_sees_only_its_jurisdiction(app, world):
    c = client_for(app, "au-js")
    html = c.get("/authority/funds").get_data(as_text=True)
    assert "B1-11" in html and "B1-01" not in html
    assert c.get(f"/authority/funds/bases/{world['theirs']}").status_code == 403
    assert c.get(f"/authority/funds/expenditures/{world['e_theirs']}").status_code == 403
    entries = c.get("/authority/funds/expenditures").get_data(as_text=True)
    assert f"/authority/funds/expenditures/{world['e_ours']}" in entries
    assert f"/authority/funds/expenditures/{world['e_theirs']}" not in entries
    flags = c.get("/authority/funds/flags").get_data(as_text=True)
    assert f"/authority/funds/expenditures/{world['e_theirs']}" not in flags


def test_ministry_sees_every_base_sorted_by_query_parameters(app, world):
    with app.app_context():
        funds_ledger.verify_expenditure(db.session.get(Expenditure, world["e_ours"]))
        db.session.commit()
    c = client_for(app, "ministry")
    html = c.get("/admin/funds?sort=execution&dir=desc").get_data(as_text=True)
    assert html.index("B1-11") < html.index("B1-01")  # 0.2000 before 0.0000
    html = c.get("/admin/funds?sort=execution&dir=asc").get_data(as_text=True)
    assert html.index("B1-01") < html.index("B1-11")
    html = c.get("/admin/funds?sort=code").get_data(as_text=True)
    assert html.index("B1-01") < html.index("B1-11")
    assert c.get("/admin/funds?sort=nonsense&year=abc").status_code == 200


# --- crafted POSTs with another base's ids change nothing ---------------------------------------------------

def test_crafted_posts_change_nothing(app, world):
    before = entry_state(app, world["e_theirs"])
    op = client_for(app, "op-ours")
    t = token(op)
    with app.app_context():
        count = db.session.scalar(select(func.count(Expenditure.id)))
    r = op.post(f"/applicant/funds/allocations/{world['a_theirs']}/expenditures/new",
                data={"csrf_token": t, "date": "2014-03-01", "project": "x", "category": "PSP", "amount": "1",
                      "payee": "y"})
    assert r.status_code == 403
    assert op.post(f"/applicant/funds/expenditures/{world['e_theirs']}/reverse",
                   data={"csrf_token": t, "date": "2014-03-01", "reason": "x"}).status_code == 403
    assert op.post(f"/applicant/funds/expenditures/{world['e_theirs']}/voucher",
                   data={"csrf_token": t, "version": "1"}).status_code == 403
    au = client_for(app, "au-js")
    t = token(au)
    for action in ("verify", "reject"):
        r = au.post(f"/authority/funds/expenditures/{world['e_theirs']}/{action}",
                    data={"csrf_token": t, "version": str(before[1]), "reason": "越权"})
        assert r.status_code == 403
    assert au.post(f"/authority/funds/flags/{world['flag_theirs']}/resolve",
                   data={"csrf_token": t, "version": "1", "reason": "越权"}).status_code == 403
    # The other base's operator's import into our allocation, and our operator's into theirs.
    for user, allocation in (("op-theirs", world["a_ours"]), ("op-ours", world["a_theirs"])):
        c = client_for(app, user)
        r = c.post(f"/applicant/funds/allocations/{allocation}/import",
                   data={"csrf_token": token(c), "file": (io.BytesIO(xlsx(GOOD)), "支出.xlsx")},
                   content_type="multipart/form-data")
        assert r.status_code == 403
    # An authority cannot reopen, an operator cannot verify its own entry.
    assert au.post(f"/admin/funds/flags/{world['flag_theirs']}/reopen",
                   data={"csrf_token": t, "version": "1", "reason": "x"}).status_code == 403
    assert op.post(f"/authority/funds/expenditures/{world['e_ours']}/verify",
                   data={"csrf_token": token(op), "version": "1"}).status_code == 403
    assert entry_state(app, world["e_theirs"]) == before
    assert entry_state(app, world["e_ours"])[0] == ExpenditureStatus.PENDING
    with app.app_context():
        assert db.session.scalar(select(func.count(Expenditure.id))) == count
        assert db.session.get(ComplianceFlag, world["flag_theirs"]).state == FlagState.OPEN


# --- verification through the pages ---------------------------------------------------------------------------

def test_authority_verifies_rejects_and_resolves(app, world):
    au = client_for(app, "au-js")
    t = token(au)
    _, version, _ = entry_state(app, world["e_ours"])
    stale = au.post(f"/authority/funds/expenditures/{world['e_ours']}/verify",
                    data={"csrf_token": t, "version": str(version - 1)})
    entry_page = f"/authority/funds/expenditures/{world['e_ours']}"
    assert stale.status_code == 302 and stale.headers["Location"].endswith(entry_page)  # back on the entry
    assert "数据已被他人修改" in au.get(entry_page).get_data(as_text=True)
    for garbled in ("", "abc", "1.0"):  # a missing or garbled version never skips the stale check
        r = au.post(f"/authority/funds/expenditures/{world['e_ours']}/verify",
                    data={"csrf_token": t, "version": garbled}, follow_redirects=True)
        assert "页面已过期" in r.get_data(as_text=True)
        assert entry_state(app, world["e_ours"])[0] == ExpenditureStatus.PENDING
    r = au.post(f"/authority/funds/expenditures/{world['e_ours']}/verify", data={"csrf_token": t,
                                                                                  "version": str(version)})
    assert r.status_code == 302
    assert entry_state(app, world["e_ours"])[0] == ExpenditureStatus.VERIFIED
    # A verified entry cannot be rejected afterwards.
    au.post(f"/authority/funds/expenditures/{world['e_ours']}/reject",
            data={"csrf_token": t, "version": str(version + 1), "reason": "x"})
    assert entry_state(app, world["e_ours"])[0] == ExpenditureStatus.VERIFIED
    with app.app_context():
        flag = db.session.scalar(select(ComplianceFlag).where(ComplianceFlag.expenditure_id == world["e_ours"]))
        flag_id, flag_version = flag.id, flag.version_id
    au.post(f"/authority/funds/flags/{flag_id}/resolve", data={"csrf_token": t, "version": str(flag_version),
                                                              "reason": "凭证已补交纸质件"})
    adm = client_for(app, "ministry")
    with app.app_context():
        assert db.session.get(ComplianceFlag, flag_id).state == FlagState.RESOLVED
        flag_version = db.session.get(ComplianceFlag, flag_id).version_id
    adm.post(f"/admin/funds/flags/{flag_id}/reopen", data={"csrf_token": token(adm), "version": str(flag_version),
                                                          "reason": "纸质件不能替代扫描件"})
    with app.app_context():
        assert db.session.get(ComplianceFlag, flag_id).state == FlagState.OPEN
    assert "纸质件不能替代扫描件" in adm.get(f"/admin/funds/expenditures/{world['e_ours']}").get_data(as_text=True)
    reopened = audit_events(app, event="fund_flag_reopened")
    assert [(r.object_id, r.outcome) for r in reopened] == [(str(flag_id), "success")]
    assert "纸质件不能替代扫描件" in str(reopened[0].detail)
    assert [r.object_id for r in audit_events(app, event="fund_flag_resolved")] == [str(flag_id)]
    # The ministry sees the flags of every base; the entry's flag is open again.
    flags = adm.get("/admin/funds/flags").get_data(as_text=True)
    assert f"/admin/funds/expenditures/{world['e_theirs']}" in flags
    assert f"/admin/funds/expenditures/{world['e_ours']}" in flags


def test_verification_above_received_is_refused_on_the_page(app, world):
    with app.app_context():
        big = make_entry(db.session.get(funds.Allocation, world["a_ours"]), amount_fen=450_000_00)
        funds_ledger.verify_expenditure(db.session.get(Expenditure, world["e_ours"]))
        big_id, version = big.id, big.version_id
        db.session.commit()
    au = client_for(app, "au-js")
    r = au.post(f"/authority/funds/expenditures/{big_id}/verify", data={"csrf_token": token(au),
                                                                         "version": str(version)},
                follow_redirects=True)
    assert "超过已到位资金" in r.get_data(as_text=True)
    assert entry_state(app, big_id)[0] == ExpenditureStatus.PENDING
    with app.app_context():
        assert db.session.get(FundAccount, world["a_ours"]).verified_spent_fen == 100_000_00


# --- the operator's entry form ----------------------------------------------------------------------------

def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 72, "voucher")
    c.save()
    return buf.getvalue()


def form_token(c, url):
    """The one-time token the entry form was issued with."""
    import re

    html = c.get(url).get_data(as_text=True)
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', html).group(1)


def test_operator_records_an_entry_with_a_voucher(app, world):
    op = client_for(app, "op-ours")
    url = f"/applicant/funds/allocations/{world['a_ours']}/expenditures/new"
    data = {"csrf_token": token(op), "form_token": form_token(op, url), "date": "2014-05-06", "project": "电商人才培训", "category": "TRN",
            "amount": "１,234.56", "payee": "中商培训咨询有限公司", "voucher_no": "JZ-77",
            "voucher": (io.BytesIO(_pdf()), "记账凭证.pdf")}
    r = op.post(url, data=data, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        e = db.session.scalar(select(Expenditure).where(Expenditure.voucher_no == "JZ-77"))
        assert (e.amount_fen, e.status, e.voucher_file.original_name) == (123456, ExpenditureStatus.PENDING,
                                                                          "记账凭证.pdf")
        assert {f.code for f in e.flags} == set()


@pytest.mark.parametrize("field, value, message", [
    ("amount", "12.345", "两位小数"), ("amount", "1e3", "金额格式不正确"), ("date", "2014-13-01", "日期格式"),
    ("category", "OTH", "其他"), ("project", "a\x00b", "控制字符"),
])
def test_entry_form_errors_are_chinese_and_save_nothing(app, world, field, value, message):
    op = client_for(app, "op-ours")
    url = f"/applicant/funds/allocations/{world['a_ours']}/expenditures/new"
    data = {"csrf_token": token(op), "form_token": form_token(op, url), "date": "2014-05-06", "project": "电商人才培训",
            "category": "TRN", "amount": "100", "payee": "某公司", "voucher_no": "JZ-78", field: value}
    r = op.post(url, data=data)
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Expenditure).where(Expenditure.voucher_no == "JZ-78")) is None


def test_the_entry_page_offers_exactly_the_actions_the_server_accepts(app, world):
    entry = world["e_ours"]
    au, op, adm = client_for(app, "au-js"), client_for(app, "op-ours"), client_for(app, "ministry")
    verify, reject = f"/authority/funds/expenditures/{entry}/verify", f"/authority/funds/expenditures/{entry}/reject"
    voucher, reverse = f"/applicant/funds/expenditures/{entry}/voucher", f"/applicant/funds/expenditures/{entry}/reverse"

    def offered(client, area):
        page = client.get(f"/{area}/funds/expenditures/{entry}").get_data(as_text=True)
        return {url for url in (verify, reject, voucher, reverse) if f'action="{url}"' in page}

    # Pending: the authority decides, the operator may still attach its voucher; the ministry only reads.
    assert offered(au, "authority") == {verify, reject}
    assert offered(op, "applicant") == {voucher}
    assert offered(adm, "admin") == set()
    r = op.post(reverse, data={"csrf_token": token(op), "date": "2014-06-01", "reason": "x"}, follow_redirects=True)
    assert "只能冲销已核实的支出" in r.get_data(as_text=True)  # not offered, and refused
    _, version, _ = entry_state(app, entry)
    au.post(verify, data={"csrf_token": token(au), "version": str(version)})
    assert entry_state(app, entry)[0] == ExpenditureStatus.VERIFIED
    # Verified: nothing left to decide, the voucher is frozen, the operator may reverse it.
    assert offered(au, "authority") == set()
    assert offered(op, "applicant") == {reverse}
    r = au.post(reject, data={"csrf_token": token(au), "version": str(version + 1), "reason": "x"},
                follow_redirects=True)
    assert "该支出已处理，不能驳回" in r.get_data(as_text=True)
    r = op.post(voucher, data={"csrf_token": token(op), "version": str(version + 1),
                               "voucher": (io.BytesIO(_pdf()), "凭证.pdf")},
                content_type="multipart/form-data", follow_redirects=True)
    assert "已核实或已驳回的支出不能再修改凭证" in r.get_data(as_text=True)
    assert entry_state(app, entry)[2] is None


def test_operator_reverses_a_verified_entry_and_attaches_vouchers(app, world):
    with app.app_context():
        funds_ledger.verify_expenditure(db.session.get(Expenditure, world["e_ours"]))
        pending = make_entry(db.session.get(funds.Allocation, world["a_ours"]))
        pending_id, version = pending.id, pending.version_id
        db.session.commit()
    op = client_for(app, "op-ours")
    t = token(op)
    r = op.post(f"/applicant/funds/expenditures/{world['e_ours']}/reverse",
                data={"csrf_token": t, "date": "2014-06-01", "reason": "金额录入错误"})
    assert r.status_code == 302
    with app.app_context():
        rev = db.session.scalar(select(Expenditure).where(Expenditure.reverses_id == world["e_ours"]))
        assert rev.amount_fen == -100_000_00 and rev.status == ExpenditureStatus.PENDING
        rev_id = rev.id
    page = op.get(f"/applicant/funds/expenditures/{world['e_ours']}").get_data(as_text=True)
    assert f"/applicant/funds/expenditures/{rev_id}\"" in page and "金额录入错误" in page
    assert f"/applicant/funds/expenditures/{world['e_ours']}/reverse" not in page  # one live reversal only
    r = op.post(f"/applicant/funds/expenditures/{pending_id}/voucher",
                data={"csrf_token": t, "version": str(version), "voucher": (io.BytesIO(b"MZ\x90\x00exe"), "凭证.pdf")},
                content_type="multipart/form-data", follow_redirects=True)
    assert "文件" in r.get_data(as_text=True) and entry_state(app, pending_id)[2] is None
    op.post(f"/applicant/funds/expenditures/{pending_id}/voucher",
            data={"csrf_token": t, "version": str(version), "voucher": (io.BytesIO(_pdf()), "凭证.pdf")},
            content_type="multipart/form-data")
    assert entry_state(app, pending_id)[2] is not None
    assert op.get(f"/applicant/funds/expenditures/{pending_id}/voucher").data[:4] == b"%PDF"


# --- Excel import ------------------------------------------------------------------------------------------

def xlsx(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = [["2014-03-01", "公共服务平台运营", "PSP", "12,345.60", "华东云服务科技有限公司", "IMP-1", ""],
        [dt.datetime(2014, 4, 2), "人才培训", "trn", 8000, "中商培训咨询有限公司", 1002, ""],
        ["2014/05/03", "展会场地", "OTH", 2500.5, "会展中心", "IMP-3", "网货交易会场地租赁"]]


def upload(c, allocation_id, data: bytes, name="支出.xlsx"):
    return c.post(f"/applicant/funds/allocations/{allocation_id}/import",
                  data={"csrf_token": token(c), "file": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                  follow_redirects=True)


def imported(app, allocation_id) -> list[tuple[str, int]]:
    with app.app_context():
        return [(e.voucher_no, e.amount_fen) for e in db.session.scalars(
            select(Expenditure).where(Expenditure.allocation_id == allocation_id, Expenditure.import_key.is_not(None))
            .order_by(Expenditure.id))]


def test_template_download_is_the_header_row(app, world):
    op = client_for(app, "op-ours")
    r = op.get("/applicant/funds/template.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS


def test_good_file_imports_every_row_and_again_nothing(app, world):
    op = client_for(app, "op-ours")
    r = upload(op, world["a_ours"], xlsx(GOOD))
    assert "新增 3 条" in r.get_data(as_text=True)
    assert imported(app, world["a_ours"]) == [("IMP-1", 1234560), ("1002", 800000), ("IMP-3", 250050)]
    r = upload(op, world["a_ours"], xlsx(GOOD))
    assert "新增 0 条，已存在跳过 3 条" in r.get_data(as_text=True)
    assert len(imported(app, world["a_ours"])) == 3
    # A re-saved file with one new row adds only that row.
    r = upload(op, world["a_ours"], xlsx(GOOD + [["2014-06-01", "推广", "PRO", "100", "某公司", "IMP-4", ""]]))
    assert "新增 1 条，已存在跳过 3 条" in r.get_data(as_text=True)


def test_a_file_with_bad_rows_imports_nothing_and_reports_each_cell(app, world):
    bad = GOOD + [
        ["2014-02-30", "x", "PSP", "1", "p", "B-1", ""],           # row 5: date
        ["2014-03-01", "x", "ABC", "1.234", "p", "B-2", ""],       # row 6: category and amount
        ["2014-03-01", "", "OTH", 12.345, "p", "B-3", ""],         # row 7: project, OTH, sub-fen number
        ["2014-03-01", "x", "PSP", True, "", "B-4", ""],           # row 8: amount, payee
        GOOD[0],                                                   # row 9: the same as row 2
    ]
    op = client_for(app, "op-ours")
    html = upload(op, world["a_ours"], xlsx(bad)).get_data(as_text=True)
    assert "未导入任何记录" in html
    expected = [("5", "支出日期", "日期格式不正确"), ("6", "支出类别代码", "支出类别无效"), ("6", "金额（元）", "两位小数"),
                ("7", "项目名称", "请填写项目名称"), ("7", "说明", "其他"), ("7", "金额（元）", "两位小数"),
                ("8", "金额（元）", "请填写金额"), ("8", "收款单位", "请填写收款单位"), ("9", "整行", "与第2行完全相同")]
    for row, column, message in expected:
        assert f"<td>{row}</td><td>{column}</td><td>" in html and message in html, (row, column, message)
    assert imported(app, world["a_ours"]) == []


@pytest.mark.parametrize("data, name, message", [
    (xlsx(GOOD, headers=["日期", "项目", "类别", "金额", "收款人", "凭证", "备注"]), "old.xlsx", "模板不正确"),
    (b"%PDF-1.4 not a spreadsheet", "支出.xlsx", "不是有效的Excel"),
    (b"date,project\n2014-03-01,x\n", "支出.csv", "不是有效的Excel"),
    (xlsx([]), "empty.xlsx", "没有支出记录"),
])
def test_wrong_files_are_refused_with_a_message(app, world, data, name, message):
    op = client_for(app, "op-ours")
    html = upload(op, world["a_ours"], data, name).get_data(as_text=True)
    assert message in html
    assert imported(app, world["a_ours"]) == []


def test_row_and_size_limits_are_checked_before_parsing(app, world):
    app.config["FUNDS_IMPORT_MAX_ROWS"] = 3
    op = client_for(app, "op-ours")
    assert "行数过多" in upload(op, world["a_ours"], xlsx(GOOD)).get_data(as_text=True)
    app.config["FUNDS_IMPORT_MAX_ROWS"] = 100
    app.config["FUNDS_IMPORT_MAX_BYTES"] = 1000
    assert "文件过大" in upload(op, world["a_ours"], xlsx(GOOD)).get_data(as_text=True)
    assert imported(app, world["a_ours"]) == []


# --- exports and charts --------------------------------------------------------------------------------------

def test_exports(app, world):
    with app.app_context():
        a = db.session.get(funds.Allocation, world["a_ours"])
        make_entry(a, project="=HYPERLINK(\"http://evil\")", voucher=voucher_file())
        db.session.commit()
    adm = client_for(app, "ministry")
    r = adm.get("/admin/funds/summary.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [row[0] for row in rows] == ["B1-01", "B1-11"]
    assert str(rows[1][4]) == "1000000" and rows[1][7] == 0.5
    assert ws.cell(row=3, column=8).number_format == "0.00%"  # a rate is a number shown as a percentage
    op = client_for(app, "op-ours")
    r = op.get(f"/applicant/funds/bases/{world['ours']}/export.xlsx?year=2013")
    sheet = load_workbook(io.BytesIO(r.data))["支出明细"]
    cells = [row for row in sheet.iter_rows(min_row=2)]
    projects = [row[1] for row in cells]
    evil = next(c for c in projects if str(c.value).startswith("="))
    assert evil.data_type == "s"  # text, never a formula
    assert op.get(f"/applicant/funds/bases/{world['ours']}/export.xlsx?year=2020").status_code == 404
    au = client_for(app, "au-zj")
    sheet = load_workbook(io.BytesIO(au.get("/authority/funds/summary.xlsx").data)).worksheets[0]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["B1-01"]


@pytest.mark.parametrize("user, prefix", [("ministry", "/admin"), ("au-js", "/authority")])
def test_charts_are_png(app, world, user, prefix):
    with app.app_context():
        funds_ledger.verify_expenditure(db.session.get(Expenditure, world["e_ours"]))
        db.session.commit()
    c = client_for(app, user)
    for kind in ("execution", "categories"):
        r = c.get(f"{prefix}/funds/charts/{kind}.png?year=2013")
        assert r.status_code == 200 and r.mimetype == "image/png" and r.data.startswith(PNG)


def test_admin_allocates_and_records_a_tranche(app, world):
    adm = client_for(app, "ministry")
    t = token(adm)
    for bad, message in (({"year": "abc"}, "整数"), ({"amount": "0.001"}, "两位小数"), ({"amount": "-5"}, "金额"),
                         ({"period_start": "2015-01-01", "period_end": "2014-01-01"}, "开始日期不能晚于"),
                         ({"document_no": ""}, "请填写下达文号")):
        data = {"csrf_token": t, "year": "2014", "amount": "100", "document_no": "财建〔2014〕1号", **bad}
        r = adm.post(f"/admin/funds/bases/{world['theirs']}/allocations/new", data=data)
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and message in html and "Not a valid" not in html, bad
    r = adm.post(f"/admin/funds/bases/{world['theirs']}/allocations/new",
                 data={"csrf_token": t, "year": "2014", "amount": "6,000,000.00", "document_no": "财建〔2014〕88号",
                       "purpose": "平台建设", "period_start": "", "period_end": ""})
    assert r.status_code == 302
    with app.app_context():
        a = db.session.scalar(select(funds.Allocation).where(funds.Allocation.document_no == "财建〔2014〕88号"))
        assert (a.amount_fen, a.period_end) == (600_000_000, dt.date(2016, 12, 31))
        allocation_id = a.id
    r = adm.post(f"/admin/funds/allocations/{allocation_id}/tranches/new",
                 data={"csrf_token": t, "date": "2014-07-01", "amount": "6000000.01", "document_no": "x"})
    assert r.status_code == 200 and "不能超过下达金额" in r.get_data(as_text=True)
    r = adm.post(f"/admin/funds/allocations/{allocation_id}/tranches/new",
                 data={"csrf_token": t, "date": "2014-07-01", "amount": "3000000", "document_no": "x"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(FundAccount, allocation_id).received_fen == 300_000_000


def test_admin_registers_a_base_for_an_existing_operator(app, world):
    with app.app_context():
        from evalsys.models import Organisation
        from tests.factories import make_org

        org = make_org(authority_code="320000", region="320500", name="苏州新基地运营有限公司")
        db.session.commit()
        uscc = org.uscc
        theirs_uscc = db.session.get(Organisation, world["theirs_org"]).uscc
    adm = client_for(app, "ministry")
    t = token(adm)
    base = {"csrf_token": t, "code": "b1-35", "name": "苏州新基地", "city": "苏州", "authority_code": "320000",
            "operator_uscc": uscc.lower()}
    for bad, message in (({"operator_uscc": "91320500MA0000000X"}, "未找到该统一社会信用代码的单位"),
                         ({"code": "B1-01", "operator_uscc": theirs_uscc}, "已存在"),
                         ({"authority_code": "999999"}, "选择"), ({"name": "x\x07y"}, "控制字符")):
        r = adm.post("/admin/funds/bases/new", data={**base, **bad})
        assert r.status_code == 200 and message in r.get_data(as_text=True), bad
    r = adm.post("/admin/funds/bases/new", data=base)
    assert r.status_code == 302
    with app.app_context():
        from evalsys.models import FirstBatchBase

        created = db.session.scalar(select(FirstBatchBase).where(FirstBatchBase.code == "B1-35"))
        assert created.operator.uscc == uscc
        assert created.authority_code == "320000"
    assert [r.object_id for r in audit_events(app, event="fund_base_created")][-1] == str(created.id)


# --- one submit of the entry form is one entry ----------------------------------------------------------------

def _entries(app, voucher_no):
    with app.app_context():
        return db.session.scalars(select(Expenditure.id).where(Expenditure.voucher_no == voucher_no)).all()


def test_the_entry_form_token_works_once_and_must_be_the_forms(app, world):
    op = client_for(app, "op-ours")
    url = f"/applicant/funds/allocations/{world['a_ours']}/expenditures/new"
    data = {"csrf_token": token(op), "form_token": form_token(op, url), "date": "2014-05-06", "project": "培训",
            "category": "TRN", "amount": "100", "payee": "某公司", "voucher_no": "JZ-90"}
    first = op.post(url, data=data)
    assert first.status_code == 302 and len(_entries(app, "JZ-90")) == 1
    again = op.post(url, data=data)  # the browser's back button and submit again
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert "该表单已提交过" in op.get(again.headers["Location"]).get_data(as_text=True)
    assert len(_entries(app, "JZ-90")) == 1
    # No token, a forged one, or one issued for another allocation's form: nothing is recorded.
    other_url = f"/applicant/funds/allocations/{world['a_theirs']}/expenditures/new"
    for bad in ("", "forged", form_token(op, url)[:-2] + "xx"):
        r = op.post(url, data={**data, "form_token": bad, "voucher_no": "JZ-91"})
        assert r.status_code == 200 and "表单已过期或无效" in r.get_data(as_text=True)
    assert _entries(app, "JZ-91") == []
    assert op.get(other_url).status_code == 403


def _post_in_thread(app, cookie: str, url: str, data: dict, barrier, outcomes: list) -> None:
    c = app.test_client()
    c.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    try:
        barrier.wait()
        outcomes.append(c.post(url, data=data).status_code)
    except Exception as exc:  # recorded, so the test fails with the reason
        outcomes.append(f"error {type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_20_concurrent_identical_posts_of_the_entry_form_make_one_entry(app, world):
    import threading

    op = client_for(app, "op-ours")
    url = f"/applicant/funds/allocations/{world['a_ours']}/expenditures/new"
    data = {"csrf_token": token(op), "form_token": form_token(op, url), "date": "2014-05-06", "project": "推广活动",
            "category": "PRO", "amount": "2,000.00", "payee": "某会展公司", "voucher_no": "JZ-99"}
    cookie = op.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    barrier = threading.Barrier(20)
    outcomes: list = []
    threads = [threading.Thread(target=_post_in_thread, args=(app, cookie, url, data, barrier, outcomes), daemon=True)
               for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes == [302] * 20, outcomes  # every submit lands on the one entry
    assert len(_entries(app, "JZ-99")) == 1
    assert len([e for e in audit_events(app, event="fund_expenditure_recorded")
                if '"JZ-99"' in (e.detail or "")]) == 1


def test_a_poorly_graded_base_gets_an_allocation_only_through_two_admins(app):
    from evalsys.models import Allocation, AllocationOverride, OverrideState
    from tests.evalutil import advance, make_perf_base, make_round

    with app.app_context():
        base = make_perf_base()
        operator = make_user(Role.APPLICANT, organisation=base.operator, commit=False)
        authority = make_user(Role.AUTHORITY, authority_code=base.authority_code, commit=False)
        first = make_user(Role.ADMIN, username="adm-1", commit=False)
        advance(make_round([base], code="perf-v").evaluations[0], fraction="0.5", to="accepted",
                operator=operator, authority=authority, admin=first)
        base_id = base.id
        before = db.session.scalar(select(func.count(Allocation.id)).where(Allocation.base_id == base_id))
        db.session.commit()
        make_user(Role.ADMIN, username="adm-2")
    one, two = client_for(app, "adm-1"), client_for(app, "adm-2")
    url = f"/admin/funds/bases/{base_id}/allocations/new"
    page = one.get(url).get_data(as_text=True)
    assert "等级为“差”" in page
    data = {"csrf_token": csrf_token(one, url), "year": "2016", "amount": "2,000,000.00", "document_no": "财建〔2016〕9号"}
    r = one.post(url, data=data)
    assert r.status_code == 200 and "另一位管理员批准" in r.get_data(as_text=True)
    r = one.post(url, data={**data, "override_reason": "保障平台基本运转"})
    assert r.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(AllocationOverride).where(AllocationOverride.base_id == base_id))
        item_id = item.id
        assert item.state == OverrideState.PENDING
    approve = f"/admin/funds/overrides/{item_id}/approve"
    base_url = f"/admin/funds/bases/{base_id}"
    assert "待另一位管理员批准" in one.get(base_url).get_data(as_text=True)
    assert approve not in one.get(base_url).get_data(as_text=True)  # the proposer is offered no approval
    assert approve in two.get(base_url).get_data(as_text=True)
    r = one.post(approve, data={"csrf_token": csrf_token(one, base_url)}, follow_redirects=True)  # refused
    assert "提出人不能自己批准" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AllocationOverride, item_id).state == OverrideState.PENDING
        assert db.session.scalar(select(func.count(Allocation.id)).where(Allocation.base_id == base_id)) == before
    assert two.post(approve, data={"csrf_token": csrf_token(two, base_url)}).status_code == 302
    with app.app_context():
        assert db.session.get(AllocationOverride, item_id).state == OverrideState.APPROVED
        assert db.session.scalar(select(func.count(Allocation.id)).where(Allocation.base_id == base_id)) == before + 1
    assert len(audit_events(app, event="allocation_override_approved")) == 1
    # Decided: nobody is offered approval or withdrawal any more, and the server agrees.
    withdraw = f"/admin/funds/overrides/{item_id}/withdraw"
    for admin in (one, two):
        page = admin.get(base_url).get_data(as_text=True)
        assert approve not in page and withdraw not in page
    r = one.post(withdraw, data={"csrf_token": csrf_token(one, base_url), "reason": "晚了"}, follow_redirects=True)
    assert "不是待批准状态" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AllocationOverride, item_id).state == OverrideState.APPROVED
