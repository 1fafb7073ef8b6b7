"""A whole programme from an empty install, through the web interface only: on a migrated, empty
database where `create-user` made the first admin and security admin, people create the accounts,
a call and a first-batch base with its plan targets; an applicant applies and is recommended,
checked, reviewed, ranked, proposed, publicised and announced; the base spends, is verified,
self-evaluates and is evaluated; the ministry issues the signed report, which verifies publicly.

Forms are read from each page and submitted as a browser would (lxml parses them; the Flask test
client sends them), so a renamed field or a missing button fails here. The clock moves with
time-machine between the phases. No demo code is used, and no browser is needed (the
Playwright journeys sit next to this file)."""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal

import lxml.html
import pytest
import time_machine
from PIL import Image

from evalsys.domain.uscc import make as make_uscc
from tests.conftest import TEST_PASSWORD

PASSWORD = TEST_PASSWORD
BJ = dt.timezone(dt.timedelta(hours=8))
CALL = "fi-2015-base"
EXPERT_REGIONS = ("110000", "310000", "330000", "440000", "420000")  # none from the applicant's 江苏

# The base-2015-b2 form's figures, typed as a person would.
FIGURES = {
    "operator_clear": "yes", "opened_on": "2011-03-01", "floor_area": "86000", "occupied_area": "72000",
    "tenant_firms": "420", "ecommerce_firms": "260", "major_violation": "no",
    "transactions_last_year": "8650000000", "transactions_prev_year": "6200000000", "employees": "5200",
    "training_person_times": "6800", "incubated_firms": "85", "rd_centres": "6", "matching_funds": "30000000",
    "jobs_created": "1500", "complaints": "12",
}


def at(text: str) -> dt.datetime:
    """A Beijing wall-clock time as an aware datetime (for time-machine)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=BJ)


def pdf(title: str) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 760, f"fresh install test: {title}")
    c.save()
    return buf.getvalue()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Web:
    """One person at a browser: pages are fetched, forms are read from them and submitted."""

    app: object
    name: str
    client: object = None
    last: str = ""
    credentials: tuple | None = None

    def __post_init__(self):
        self.client = self.app.test_client()

    def get(self, url: str, status: int = 200) -> str:
        r = self.client.get(url)
        if r.status_code == 302 and "/auth/login" in r.headers["Location"] and self.credentials:
            self.login(*self.credentials)  # the session timed out between phases: log in again
            r = self.client.get(url)
        assert r.status_code == status, f"{self.name}: GET {url} → {r.status_code}\n{_text(r)[:1500]}"
        self.last = r.get_data(as_text=True)
        return self.last

    def submit(self, url: str, *, action: str | None = None, button: str | None = None, data: dict | None = None,
               files: dict | None = None, expect: int | tuple = 302) -> object:
        """Fill the form on `url` (the one whose action contains `action`, or that has `button`) and send it."""
        doc = lxml.html.fromstring(self.get(url))
        candidates = []
        for form in doc.forms:
            if (form.get("method") or "get").lower() != "post":
                continue
            target = form.get("action") or url
            if action is None and target.startswith(("/public/lang/", "/auth/logout")):
                continue  # the top bar's language and logout buttons are never the page's form
            buttons = form.xpath(".//button|.//input[@type='submit']")
            labels = [(b.text_content() or b.get("value") or "").strip() for b in buttons]
            if action is not None and action not in target:
                continue
            if button is not None and not any(button == lab or button in lab for lab in labels):
                continue
            candidates.append((form, target, buttons, labels))
        assert candidates, (f"{self.name}: no form (action={action!r}, button={button!r}) on {url}\n"
                            f"{_plain(self.last)[:2000]}")
        form, target, buttons, labels = candidates[0]
        values = dict(form.form_values())
        if button is not None:
            for b, lab in zip(buttons, labels, strict=True):
                if (button == lab or button in lab) and b.get("name"):
                    values[b.get("name")] = b.get("value") or ""
        values.update(data or {})
        for name, (content, filename) in (files or {}).items():
            values[name] = (io.BytesIO(content), filename)
        r = self.client.post(target, data=values, content_type="multipart/form-data" if files else None)
        expected = expect if isinstance(expect, tuple) else (expect,)
        assert r.status_code in expected, (f"{self.name}: POST {target} → {r.status_code}\n"
                                           f"{_plain(_text(r))[:3000]}")
        self.last = _text(r)
        return r

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.credentials = None
        self.client = self.app.test_client()
        r = self.submit("/auth/login", button="登录", data={"username": username, "password": password})
        assert "/auth/login" not in r.headers["Location"], f"{self.name}: login refused"
        self.credentials = (username, password)


def _text(r) -> str:
    return r.get_data(as_text=True) if r.mimetype.startswith("text/") else f"<{r.mimetype}>"


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    from evalsys.reporting.signing import create_self_signed

    material = create_self_signed(tmp_path_factory.getbasetemp() / "fresh-signing")
    app_config.update(SIGNING_KEY_PATH=material.key_path, SIGNING_CERT_PATH=material.cert_path)
    return app_config


def test_fresh_install_to_a_verified_report(app, runner):
    from evalsys.extensions import db
    from evalsys.models import User

    # 0. An empty install: only the command line creates the first admin and security admin.
    with app.app_context():
        assert db.session.query(User).count() == 0
    for username, role in (("admin1", "admin"), ("secadmin", "secadmin")):
        result = runner.invoke(args=["create-user", username, "--role", role, "--display-name", username,
                                     "--password-stdin"], input=f"{PASSWORD}\n{PASSWORD}\n")
        assert result.exit_code == 0, result.output

    # 1. March 2015: accounts, experts, the call, and the first-batch base with its plan targets.
    with time_machine.travel(at("2015-03-02 09:00"), tick=True):
        sec = Web(app, "security admin")
        sec.login("secadmin")
        for username, role, extra in (("admin2", "admin", {}),
                                      ("js-authority", "authority", {"authority_code": "320000"})):
            sec.submit("/security/users/new", button="创建账户",
                       data={"username": username, "display_name": f"{username}经办人", "role": role,
                             "password": PASSWORD, **extra})
        admin = Web(app, "admin")
        admin.login("admin1")
        experts = []
        for n, region in enumerate(EXPERT_REGIONS, start=1):
            r = admin.submit("/admin/review/reviewers/new", button="保存",
                             data={"name": f"专家{n}", "home_authority_code": region, "field_tags": "电子商务",
                                   "organisation_name": f"第{n}研究院"})
            profile_id = int(re.search(r"/reviewers/(\d+)$", r.headers["Location"]).group(1))
            sec.submit(f"/security/reviewers/{profile_id}/activate", button="启用专家账户",
                       data={"username": f"expert{n}", "password": PASSWORD})
            experts.append(f"expert{n}")
        admin.submit("/admin/calls/new", button="保存", data={
            "code": CALL, "kind": "base", "title": "2015年国家电子商务示范基地（新装测试）", "year_from": "2015",
            "year_to": "2015", "opens_at": "2015-03-05T09:00", "closes_at": "2015-04-30T17:00",
            "recommend_deadline": "2015-05-15T17:00", "review_starts_at": "2015-05-20T09:00",
            "review_ends_at": "2015-06-10T17:00", "criteria": "base-2015-b2:1", "quota_per_authority": "3",
            "places_total": "1", "reviewers_per_application": str(len(EXPERT_REGIONS)), "publicity_days": "7",
            "blind": "y"})
        assert CALL in admin.get("/admin/calls")

        # The operator of the first-batch base and the applicant register; the authority verifies both.
        orgs = {"operator": ("苏州工业园区电子商务产业基地运营管理有限公司", make_uscc("91", "320500", "713425601"),
                             "sz-base"),
                "applicant": ("苏州星湖电子商务产业园运营管理有限公司", make_uscc("91", "320500", "717788992"),
                              "xinghu")}
        for org_name, code, username in orgs.values():
            Web(app, username).submit("/auth/register", button="注册", data={
                "org_name": org_name, "uscc": code, "contact_name": "周敏", "phone": "0512-66881234",
                "email": f"{username}@example.com", "username": username, "password": PASSWORD,
                "password2": PASSWORD}, expect=(200, 302))
        authority = Web(app, "authority")
        authority.login("js-authority")
        for org_name, _code, _username in orgs.values():
            page = authority.get("/authority/organisations")
            row = next(tr for tr in lxml.html.fromstring(page).xpath("//tr") if org_name in tr.text_content())
            action = next(f.get("action") for f in row.xpath(".//form") if f.get("action", "").endswith("/verify"))
            authority.submit("/authority/organisations", action=action)
        assert "已核验" in _plain(authority.get("/authority/organisations"))

        r = admin.submit("/admin/funds/bases/new", button="登记基地", data={
            "code": "B1-01", "name": "苏州工业园区电子商务产业基地", "city": "苏州", "authority_code": "320000",
            "operator_uscc": orgs["operator"][1]})
        base_url = r.headers["Location"]
        base_id = int(base_url.rstrip("/").rsplit("/", 1)[-1])
        targets = {"plan_arrival_rate": "100", "plan_execution_rate": "90", "plan_compliant_share": "100",
                   "plan_tasks": "10", "plan_service_reach": "20000", "plan_acceptance_rate": "95",
                   "plan_on_time_rate": "90", "plan_budget": "8000000", "plan_transaction_growth": "30",
                   "plan_firm_growth": "20", "plan_leverage": "3.1", "plan_new_jobs": "1500",
                   "plan_incubated_trained": "3000", "plan_satisfaction": "90"}
        admin.submit(f"{base_url}/targets", button="保存目标值", data=targets)
        base_page = _plain(admin.get(base_url))
        assert "3.1 元/元" in base_page and "90.00%" in base_page and "1,500 人" in base_page

    # 2. March–May 2015: the applicant applies, the authority recommends, the ministry checks.
    with time_machine.travel(at("2015-03-10 10:00"), tick=True):
        applicant = Web(app, "applicant")
        applicant.login("xinghu")
        r = applicant.submit("/applicant/", action=f"/applicant/calls/{CALL}/apply")
        edit_url = r.headers["Location"]
        app_id = int(re.search(r"/applications/(\d+)/edit", edit_url).group(1))
        page = lxml.html.fromstring(applicant.get(edit_url))
        sections = {t.get("name"): f"第{i + 1}部分：园区建筑面积8.6万平方米，入驻电子商务企业260家。"
                    for i, t in enumerate(page.xpath('//textarea[starts-with(@name, "sec_")]'))}
        assert len(sections) == 7
        applicant.submit(edit_url, button="保存草稿", data={
            "legal_representative": "陈刚", "address": "苏州市工业园区星湖街328号",
            **{f"fig_{k}": v for k, v in FIGURES.items()}, **sections})
        detail_url = f"/applicant/applications/{app_id}"
        for kind, filename, content in (("licence", "营业执照.png", png()), ("report", "创建工作方案.pdf", pdf("plan")),
                                        ("accounts", "2014年度审计报告.pdf", pdf("accounts")),
                                        ("sealed_form", "申报表盖章扫描件.pdf", pdf("form"))):
            applicant.submit(detail_url, action="/attachments", data={"kind": kind}, files={"file": (content, filename)})
        applicant.submit(detail_url, action=f"/applications/{app_id}/submit")
        assert "已提交" in _plain(applicant.get(detail_url))

    with time_machine.travel(at("2015-05-08 10:00"), tick=True):
        authority.submit(f"/authority/applications?call={CALL}", action=f"/calls/{CALL}/letter",
                         files={"file": (pdf("letter"), "推荐函.pdf")})
        authority.submit(f"/authority/applications/{app_id}", action="/recommend", data={"order": "1"})
        assert "已推荐" in _plain(authority.get(f"/authority/applications/{app_id}"))

    with time_machine.travel(at("2015-05-18 10:00"), tick=True):
        admin.submit(f"/admin/calls/{CALL}/applications/{app_id}", action="/check", data={"decision": "pass"})
        assert "形式审查通过" in _plain(admin.get(f"/admin/calls/{CALL}/applications/{app_id}"))

    # 3. Late May 2015: the experts are assigned, confirm, and score; the ministry closes the review.
    with time_machine.travel(at("2015-05-21 09:00"), tick=True):
        admin.submit(f"/admin/review/calls/{CALL}", action="/assign", button="自动分配")
        for username in experts:
            expert = Web(app, username)
            expert.login(username)
            home = lxml.html.fromstring(expert.get("/review/"))
            links = sorted({a.get("href") for a in home.xpath("//a[contains(@href, '/review/assignments/')]")})
            assert len(links) == 1, links
            url = links[0]
            assert "利益冲突确认" in _plain(expert.get(url))  # blind call: no conflict is confirmed first
            expert.submit(url, action="/confirm")
            page = lxml.html.fromstring(expert.get(url))
            scores = {}
            for inp in page.xpath('//input[starts-with(@name, "score_")]'):
                label = page.xpath(f'//label[@for="{inp.get("id")}"]')[0].text_content()
                maximum = Decimal(re.search(r"满分([\d.]+)分", label).group(1))
                scores[inp.get("name")] = str((maximum * Decimal("0.85")).quantize(Decimal("0.1")))
            assert scores
            expert.submit(url, action="/sheet", button="提交评分", data={**scores, "comment": "材料完整，特色鲜明。"})

    # 4. June 2015: review closed, ranking run, proposal, publicity and announcement.
    with time_machine.travel(at("2015-06-11 09:00"), tick=True):
        admin.submit(f"/admin/review/calls/{CALL}", action="/close")
        admin.submit(f"/admin/calls/{CALL}/ranking", action="/ranking/run")
        run_url = re.search(rf'href="(/admin/calls/{CALL}/ranking/runs/\d+)"', admin.get(f"/admin/calls/{CALL}/ranking"))
        assert "苏州星湖电子商务产业园运营管理有限公司" in _plain(admin.get(run_url.group(1)))
        decisions = f"/admin/calls/{CALL}/decisions"
        admin.submit(decisions, action="/propose/")
        if "待另一位管理员批准" in _plain(admin.get(decisions)):  # the list differs from the ranking
            second = Web(app, "second admin")
            second.login("admin2")
            second.submit(decisions, action="/approve")
        admin.submit(decisions, action="/decisions/publicity")
        public = Web(app, "public")
        assert "苏州星湖电子商务产业园运营管理有限公司" in _plain(public.get(f"/public/calls/{CALL}/publicity"))

    with time_machine.travel(at("2015-06-22 09:00"), tick=True):
        admin.submit(decisions, action="/decisions/announce")
        assert "结果已于" in _plain(admin.get(decisions))
        status = lxml.html.fromstring(applicant.get(f"/applicant/applications/{app_id}")).xpath("//p/strong")[0]
        assert status.text_content().strip() == "已公布"

    # 5. 2015: the first-batch base receives central funds, spends them, and the authority verifies.
    operator = Web(app, "base operator")
    with time_machine.travel(at("2015-07-01 09:00"), tick=True):
        r = admin.submit(f"{base_url}/allocations/new", button="下达资金", data={
            "year": "2015", "amount": "5,000,000", "document_no": "财建〔2015〕188号",
            "purpose": "公共服务平台与人才培训"})
        allocation_id = int(re.search(r"/allocations/(\d+)/tranches/new",
                                      admin.get(base_url)).group(1))
        admin.submit(f"/admin/funds/allocations/{allocation_id}/tranches/new", button="登记到位资金",
                     data={"date": "2015-07-10", "amount": "5000000", "document_no": "拨付〔2015〕12号"})
        operator.login("sz-base")
        entries = []
        for day, project, category, amount in (("2015-08-05", "公共服务平台运营维护", "PSP", "3000000"),
                                               ("2015-09-15", "电商人才培训", "TRN", "1600000")):
            r = operator.submit(f"/applicant/funds/allocations/{allocation_id}/expenditures/new", button="登记支出",
                                data={"date": day, "project": project, "category": category, "amount": amount,
                                      "payee": "苏州数联信息技术有限公司", "voucher_no": f"JZ{day}"},
                                files={"voucher": (pdf(f"voucher {day}"), f"凭证{day}.pdf")})
            entries.append(int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]))
    with time_machine.travel(at("2015-10-09 09:00"), tick=True):
        for entry_id in entries:
            authority.submit(f"/authority/funds/expenditures/{entry_id}", action="/verify")
        assert "4,600,000.00" in _plain(admin.get(base_url))

    # 6. January 2016: the 2015 round opens (the targets lock), the base self-evaluates.
    with time_machine.travel(at("2016-01-05 09:00"), tick=True):
        admin.submit("/admin/evaluations/new", action="/admin/evaluations/new", data={
            "code": "perf-2015", "title": "2015年度首批示范基地绩效评价", "year": "2015",
            "criteria": "perf-base-b1:1", "self_deadline": "2016-02-29T17:00",
            "authority_deadline": "2016-03-31T17:00", "bases": str(base_id)})
        assert "目标值已锁定" in _plain(admin.get(f"{base_url}/targets"))
        home = operator.get("/applicant/evaluations")
        eval_id = int(re.search(r"/applicant/evaluations/(\d+)", home).group(1))
        own = f"/applicant/evaluations/{eval_id}"
        page = lxml.html.fromstring(operator.get(own))
        narratives = {t.get("name"): "按创建方案推进，完成年度任务。"
                      for t in page.xpath('//textarea[starts-with(@name, "narrative_")]')}
        figures = {"tasks_completed": "10", "service_reach": "21000", "projects_total": "20",
                   "projects_accepted": "19", "projects_on_time": "18", "project_cost": "7800000",
                   "transactions_current": "11000000000", "transactions_base_year": "8650000000",
                   "firms_current": "480", "firms_base_year": "400", "social_investment": "15500000",
                   "new_jobs": "1500", "incubated_trained": "3000", "tenant_satisfaction": "91"}
        operator.submit(own, action=own, data={**{f"figure_{k}": v for k, v in figures.items()}, **narratives})
        assert "3.1 元/元" in _plain(operator.get(own))  # leverage = 15.5 million / 5 million received
        operator.submit(own, action="/submit")

    # 7. March 2016: the authority evaluates; April: the ministry accepts and issues the signed report.
    with time_machine.travel(at("2016-03-10 09:00"), tick=True):
        item = f"/authority/evaluations/{eval_id}"
        page = lxml.html.fromstring(authority.get(item))
        points = {}
        for inp in page.xpath('//input[starts-with(@name, "points_")]'):
            label = page.xpath(f'//label[@for="{inp.get("id")}"]')[0].text_content()
            maximum = Decimal(re.search(r"0–([\d.]+)分", label).group(1))
            points[inp.get("name")] = str((maximum * Decimal("0.9")).quantize(Decimal("0.1")))
        assert points
        authority.submit(item, action=item, data={**points, "conclusions": "完成创建目标。", "problems": "无重大问题。",
                                                  "recommendations": "继续支持。"})
        authority.submit(item, action="/submit")

    with time_machine.travel(at("2016-04-06 09:00"), tick=True):
        item = f"/admin/evaluations/item/{eval_id}"
        admin.submit(item, action="/accept")
        admin.submit(item, action="/issue")
        page = admin.get(item)
        serial = re.search(r"PERF-2015-\d{4}-[2-9A-Z]{10}", page).group(0)
        report_url = re.search(rf'href="(/admin/evaluations/item/{eval_id}/reports/\d+)"', page).group(1)
        signed = admin.client.get(report_url)
        assert signed.status_code == 200 and signed.data.startswith(b"%PDF")

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(signed.data)).pages)
    assert serial in text and "苏州工业园区电子商务产业基地" in text
    assert "3.1 元/元" in text and "31000" not in text  # the target typed on the base's page, in its unit

    # 8. Anyone verifies the report by its serial.
    verified = _plain(Web(app, "public").get(f"/public/verify/{serial}"))
    assert serial in verified and "苏州工业园区电子商务产业基地" in verified
