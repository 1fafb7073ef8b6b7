"""The front half of a base application in a real browser, every step checked on screen:
register → the authority verifies the organisation → fill, upload, submit → letter and
recommendation → formal check passed → the applicant sees it. Data built here, never demo data."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.e2e

CALL_CODE = "e2e-base"
AUTHORITY, ADMIN = "e2e-authority-320000", "e2e-admin"
ORG_NAME = "苏州星湖电子商务产业园运营管理有限公司"
APPLICANT = "e2e-applicant"

# One value per figure the base form asks (typed as a person would: yuan, m², counts, dates).
FIGURES = {
    "operator_clear": "yes", "opened_on": "2012-03-01", "floor_area": "86000", "occupied_area": "72000",
    "tenant_firms": "420", "ecommerce_firms": "260", "major_violation": "no",
    "transactions_last_year": "8650000000", "transactions_prev_year": "6200000000", "employees": "5200",
    "training_person_times": "6800", "incubated_firms": "85", "rd_centres": "6", "matching_funds": "30000000",
    "jobs_created": "1500", "complaints": "12",
}


@pytest.fixture(scope="module")
def journey_data(live_server):
    """An open base call, an authority account of 江苏 and an admin, created through the services."""
    from evalsys.domain import uscc
    from evalsys.extensions import db
    from evalsys.models import CallKind, Role
    from evalsys.models.types import utcnow
    from evalsys.services.accounts import create_user
    from evalsys.services.calls import CallData, create_call
    from evalsys.services.criteria import system

    now = utcnow()
    with live_server.app.app_context():
        admin = create_user(ADMIN, Role.ADMIN, TEST_PASSWORD, actor=None, display_name="商务部审查员")
        create_user(AUTHORITY, Role.AUTHORITY, TEST_PASSWORD, actor=None, authority_code="320000",
                    display_name="江苏省商务厅经办人")
        create_call(CallData(code=CALL_CODE, kind=CallKind.BASE, title="浏览器测试示范基地批次", year_from=2015,
                             year_to=2015, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10),
                             recommend_deadline=now + timedelta(days=20), review_starts_at=None,
                             review_ends_at=None, criteria_id="base-2015-b2", criteria_version=1,
                             quota_per_authority=3, places_total=5), actor=admin)
        db.session.commit()
        asked = {f.id for f in system("base-2015-b2", 1).fields if f.source == "form" and not f.derived}
    assert asked == set(FIGURES), f"the base form asks other figures now: {sorted(asked ^ set(FIGURES))}"
    return {"uscc": uscc.make("91", "320500", "MA1E2E7X8")}


def _pdf(title: str) -> bytes:
    from evalsys.demo.application_documents import document_pdf

    return document_pdf(title, ORG_NAME, [("", f"{ORG_NAME}{title}（浏览器测试）")], footer="e2e")


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _login(page, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("body")).not_to_contain_text("用户名或密码错误")
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


def _confirm(scope, label: str) -> None:
    """The no-JavaScript confirmation: open the <details> button, then press 确认."""
    scope.locator("summary", has_text=label).click()
    scope.get_by_role("button", name="确认").click()


def test_base_application_from_registration_to_formal_check(new_page, journey_data):
    from playwright.sync_api import expect

    applicant, authority, admin = new_page(), new_page(), new_page()

    # 1. The applicant registers its organisation (authority defaults from the USCC: 江苏) and logs in.
    applicant.goto("/auth/register")
    for name, value in {"org_name": ORG_NAME, "uscc": journey_data["uscc"], "contact_name": "周敏",
                        "phone": "0512-66881234", "email": "zhoumin@example.com", "username": APPLICANT,
                        "password": TEST_PASSWORD, "password2": TEST_PASSWORD}.items():
        applicant.fill(f'[name="{name}"]', value)
    applicant.get_by_role("button", name="注册").click()
    expect(applicant.locator(".alert-success")).to_contain_text("注册申请已受理")
    _login(applicant, APPLICANT)
    applicant.goto("/applicant/")
    expect(applicant.locator("h1")).to_have_text(ORG_NAME)
    expect(applicant.locator("body")).to_contain_text("江苏省商务厅")
    expect(applicant.locator("body")).to_contain_text("待核验")

    # 2. The authority of 江苏 verifies it against the business licence.
    _login(authority, AUTHORITY)
    authority.goto("/authority/organisations")
    row = authority.locator("tr", has_text=ORG_NAME)
    _confirm(row, "核验通过")
    expect(authority.locator(".alert-success")).to_contain_text(f"已核验通过：{ORG_NAME}")
    expect(authority.locator("tr", has_text=ORG_NAME)).to_contain_text("已核验")

    # 3. The applicant starts the base application, fills every figure and section, saves the draft.
    applicant.goto("/applicant/")
    expect(applicant.locator("body")).to_contain_text("已核验")
    call_row = applicant.locator("tr", has_text="浏览器测试示范基地批次")
    call_row.get_by_role("button", name="开始申报").click()
    expect(applicant).to_have_url(re.compile(r"/applicant/applications/\d+/edit$"))
    app_id = int(re.search(r"/applications/(\d+)/", applicant.url).group(1))
    applicant.fill('[name="legal_representative"]', "陈刚")
    applicant.fill('[name="address"]', "苏州市工业园区星湖街328号")
    for name, value in FIGURES.items():
        field = applicant.locator(f'[name="fig_{name}"]')
        if value in ("yes", "no"):
            field.select_option(value)
        else:
            field.fill(value)
    sections = applicant.locator('textarea[name^="sec_"]')
    assert sections.count() == 7
    for i in range(sections.count()):
        sections.nth(i).fill(f"{ORG_NAME}第{i + 1}部分：园区建筑面积8.6万平方米，入驻电子商务企业260家。")
    applicant.get_by_role("button", name="保存草稿").click()
    expect(applicant.locator(".alert-success")).to_contain_text("草稿已保存")
    expect(applicant.locator("body")).to_contain_text("未上传：营业执照")

    # 4. It uploads the licence (an image) and the other required documents (PDFs).
    uploads = [("licence", "营业执照.png", "image/png", _png()), ("report", "创建工作方案.pdf", None, None),
               ("accounts", "2014年度审计报告.pdf", None, None), ("sealed_form", "申报表盖章扫描件.pdf", None, None)]
    for kind, filename, mime, data in uploads:
        applicant.select_option('select[name="kind"]', kind)
        applicant.set_input_files('input[name="file"]', files=[{
            "name": filename, "mimeType": mime or "application/pdf", "buffer": data or _pdf(filename[:-4])}])
        applicant.get_by_role("button", name="上传", exact=True).click()
        expect(applicant.locator(".alert-success")).to_contain_text("已上传")
        expect(applicant.get_by_role("link", name=filename)).to_be_visible()
    expect(applicant.locator("body")).not_to_contain_text("提交前还需完成")

    # 5. It submits: the application locks.
    _confirm(applicant.locator("main, body").first, "提交申报")
    expect(applicant.locator(".alert-success")).to_contain_text("申报已提交")
    expect(applicant.locator("p strong").first).to_have_text("已提交")
    expect(applicant.get_by_role("link", name="填写/修改申报表")).to_have_count(0)

    # 6. The authority uploads its sealed recommendation letter and recommends the application.
    authority.goto(f"/authority/applications?call={CALL_CODE}")
    authority.set_input_files('input[name="file"]', files=[{
        "name": "推荐函.pdf", "mimeType": "application/pdf", "buffer": _pdf("推荐函")}])
    authority.get_by_role("button", name="上传推荐函").click()
    expect(authority.locator(".alert-success")).to_contain_text("推荐函已上传")
    authority.get_by_role("link", name=ORG_NAME).click()
    expect(authority.locator("h1")).to_have_text(ORG_NAME)
    authority.fill('input[name="order"]', "1")
    authority.get_by_role("button", name="推荐", exact=True).click()
    expect(authority.locator(".alert-success")).to_contain_text("已推荐")
    expect(authority.locator("p strong").first).to_have_text("已推荐")
    expect(authority.locator("body")).to_contain_text("已用推荐名额 1 / 3")

    # 7. The ministry (admin) passes the formal check.
    _login(admin, ADMIN)
    admin.goto(f"/admin/calls/{CALL_CODE}")
    admin.get_by_role("link", name=ORG_NAME).click()
    expect(admin).to_have_url(re.compile(rf"/admin/calls/{CALL_CODE}/applications/{app_id}$"))
    admin.select_option('select[name="decision"]', "pass")
    admin.get_by_role("button", name="确认审查结论").click()
    expect(admin.locator(".alert-success")).to_contain_text("形式审查通过")
    expect(admin.locator("p strong").first).to_have_text("形式审查通过")

    # 8. The applicant sees the result on its application page, with the acting units in the timeline.
    applicant.goto(f"/applicant/applications/{app_id}")
    expect(applicant.locator("p strong").first).to_have_text("形式审查通过")
    timeline = applicant.locator("ol.list-group")
    expect(timeline).to_contain_text("江苏省商务厅")
    expect(timeline).to_contain_text("商务部")
    expect(timeline).not_to_contain_text("商务部审查员")  # applicants see the unit, never the official
