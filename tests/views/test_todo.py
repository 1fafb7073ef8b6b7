"""Work lists (待办) on every role's home page: counts from the data, links that open for that user,
deadlines in Beijing time with the days left at a frozen time, jurisdiction scoping, and a number of
queries that does not grow with the data."""
from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import url_for
from sqlalchemy import event, select

from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import (AccountState, Assignment, BatchJob, Call, ComplianceFlag, FlagState, JobState,
                            OrganisationState, Proposal, ReviewerProfile, ReviewerState, Role, ScoreSheet, SheetState,
                            User)
from evalsys.services import audit
from evalsys.services import todo_query as tq
from evalsys.services.summaries import open_collection
from tests.conftest import login
from tests.evalutil import advance, make_perf_base, make_round
from tests.factories import make_application, make_call, make_org, make_user
from tests.fundsutil import make_allocation, make_base, make_entry
from tests.reviewutil import make_applications, make_reviewer, make_run
from tests.reviewutil import make_call as make_review_call

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Beijing time


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False):
        yield


def _titles(items):
    return {i.title % i.params: i for i in items}


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


@pytest.fixture
def scene(app, frozen):
    """江苏 (320000) and 浙江 (330000) with work waiting for each role."""
    with app.app_context():
        admin = make_user(Role.ADMIN, username="t-admin", commit=False)
        admin2 = make_user(Role.ADMIN, username="t-admin2", commit=False)
        make_user(Role.SECADMIN, username="t-sec", commit=False)
        make_user(Role.AUDITOR, username="t-aud", commit=False)
        js = make_user(Role.AUTHORITY, username="t-js", authority_code="320000", commit=False)
        make_user(Role.AUTHORITY, username="t-zj", authority_code="330000", commit=False)
        # Organisations to verify: two in 江苏, one in 浙江.
        make_org(state=OrganisationState.UNVERIFIED)
        make_org(state=OrganisationState.UNVERIFIED)
        make_org(state=OrganisationState.UNVERIFIED, authority_code="330000", region="330100")
        # A call closing in 5 days, recommendations due in 10; quota 8.
        call = make_call(title="二零一五测试批次")
        call_b = make_call(title="另一测试批次")
        org = make_org(name="待办测试有限公司")
        me = make_user(Role.APPLICANT, username="t-app", organisation=org, commit=False)
        make_application(call, org, complete=False)  # a draft without attachments
        make_application(call_b, org, ApplicationState.RETURNED)
        for _ in range(3):
            make_application(call, make_org(), ApplicationState.SUBMITTED)
        make_application(call, make_org(), ApplicationState.RECOMMENDED)  # uses one place of 江苏's quota
        make_application(call, make_org(authority_code="330000", region="330100"), ApplicationState.SUBMITTED)
        # Funds: a pending entry in a forbidden category (a flag) in 江苏, two pending entries in 浙江.
        alloc = make_allocation(make_base())
        make_entry(alloc, category="X-BLD", explanation="楼堂馆所")
        zj_alloc = make_allocation(make_base(authority_code="330000", region="330100"))
        make_entry(zj_alloc)
        make_entry(zj_alloc)
        # Evaluations: one self-evaluated in 江苏 (the authority's turn), one in draft of 江苏 whose operator
        # is the applicant above, one self-evaluated in 浙江.
        a = make_perf_base()
        b = make_perf_base()
        c = make_perf_base(authority_code="330000", region="330100")
        b.organisation_id = org.id
        round_ = make_round([a, b, c])
        ev_a, _, ev_c = round_.evaluations
        op_a = make_user(Role.APPLICANT, organisation=a.operator, commit=False)
        op_c = make_user(Role.APPLICANT, organisation=c.operator, commit=False)
        zj = _user("t-zj")
        advance(ev_a, fraction="0.9", to="self_evaluated", operator=op_a, authority=js, admin=admin)
        advance(ev_c, fraction="0.9", to="self_evaluated", operator=op_c, authority=zj, admin=admin)
        db.session.add(BatchJob(round_id=round_.id, state=JobState.RUNNING, backend="thread", total=4, done=1))
        # The annual summary, due 2026-03-04 (24:00 Beijing).
        open_collection(2025, dt.date(2026, 3, 4), title="2025年度工作总结", actor=admin)
        # Review: a window ending in 2 days; the reviewer has three assignments: none, a draft, a submitted
        # sheet; another submitted sheet is flagged for divergence.
        rcall = make_review_call(ends=timedelta(days=2, hours=1))
        rapps = make_applications(rcall, 4)
        rv = make_reviewer(username="t-rv")
        other = make_reviewer()
        asg = [Assignment(call_id=rcall.id, application_id=x.id, reviewer_id=rv.id) for x in rapps[:3]]
        asg.append(Assignment(call_id=rcall.id, application_id=rapps[3].id, reviewer_id=other.id))
        db.session.add_all(asg)
        db.session.flush()
        db.session.add_all([ScoreSheet(assignment_id=asg[1].id, state=SheetState.DRAFT),
                            ScoreSheet(assignment_id=asg[2].id, state=SheetState.SUBMITTED, divergence_flagged=True),
                            ScoreSheet(assignment_id=asg[3].id, state=SheetState.SUBMITTED)])
        # A proposal of the other admin awaiting a second one.
        run = make_run(rcall)
        db.session.add(Proposal(call_id=rcall.id, run_id=run.id, application_ids="[]", expected_ids="[]",
                                differs=True, reason="理由", proposed_by_id=admin2.id))
        # Accounts: an expert awaiting activation, a locked account.
        db.session.add(ReviewerProfile(name="待激活专家", home_authority_code="110000", state=ReviewerState.PENDING))
        make_user(Role.APPLICANT, username="t-locked", commit=False).locked_until = T0 + timedelta(minutes=10)
        db.session.commit()
        audit.chain_pending()
        return {"call": call.code, "call_b": call_b.code, "rcall": rcall.code, "round": round_.code,
                "ev_a": ev_a.id, "ev_b": round_.evaluations[1].id, "asg": [x.id for x in asg]}


def _items(app, username):
    with app.app_context():
        return tq.todo_for(_user(username))


def _urls(app, items):
    with app.test_request_context():
        return [url_for(i.endpoint, **i.args) for i in items]


def _follow_all(app, username, items):
    """Every link of the list opens for its user."""
    c = app.test_client()
    assert login(c, username).status_code == 302
    for url in _urls(app, items):
        assert c.get(url).status_code == 200, url
    return c


def test_applicant(app, scene):
    items = _items(app, "t-app")
    by = _titles(items)
    draft = by["完成并提交申报：二零一五测试批次"]
    assert (draft.count, draft.deadline, draft.days_left) == (1, T0 + timedelta(days=5), 5)
    returned = by["按退回意见修改后重新提交：另一测试批次"]
    assert (returned.count, returned.deadline, returned.days_left) == (1, T0 + timedelta(days=10), 10)
    missing = by["上传缺少的附件：二零一五测试批次"]
    assert missing.count == 4 and missing.endpoint == "applicant.application_detail"
    selfev = by["填报绩效自评：测试绩效评价批次"]
    assert (selfev.count, selfev.endpoint, selfev.args) == (1, "applicant.evaluation", {"evaluation_id": scene["ev_b"]})
    assert len(items) == 4  # the returned application has all its attachments
    _follow_all(app, "t-app", items)


def test_applicant_main_account_is_asked_to_approve_new_accounts_and_no_other(app, scene):
    with app.app_context():
        main = _user("t-app")
        make_user(Role.APPLICANT, username="t-app-new", organisation=main.organisation, is_org_main=False,
                  state=AccountState.PENDING, commit=False)
        make_user(Role.APPLICANT, username="t-app-second", organisation=main.organisation, is_org_main=False)
    approve = "审批本单位新增账户"
    assert _titles(_items(app, "t-app"))[approve].count == 1
    assert approve not in _titles(_items(app, "t-app-second"))  # only the main account approves
    assert len(_items(app, "t-app-second")) == 4  # the rest of the organisation's work is the same


def test_authority_counts_exclude_other_jurisdictions(app, scene):
    js, zj = _titles(_items(app, "t-js")), _titles(_items(app, "t-zj"))
    assert js["核验申报单位"].count == 2 and zj["核验申报单位"].count == 1
    rec = js["审核推荐申报：二零一五测试批次"]
    assert (rec.count, rec.note_params, rec.days_left) == (3, {"used": 1, "left": 7}, 10)
    assert rec.args == {"call": scene["call"], "state": "submitted"}
    assert zj["审核推荐申报：二零一五测试批次"].count == 1
    assert zj["审核推荐申报：二零一五测试批次"].note_params == {"used": 0, "left": 8}
    assert js["核实专项资金支出"].count == 1 and zj["核实专项资金支出"].count == 2
    with app.app_context():
        flags = {"320000": 0, "330000": 0}
        for flag in db.session.scalars(select(ComplianceFlag).where(ComplianceFlag.state == FlagState.OPEN)):
            flags[flag.expenditure.allocation.base.authority_code] += 1
    assert flags["320000"] > flags["330000"] > 0  # the forbidden category adds one in 江苏
    assert (js["处理资金合规提示"].count, zj["处理资金合规提示"].count) == (flags["320000"], flags["330000"])
    assert js["开展绩效评价：测试绩效评价批次"].args == {"evaluation_id": scene["ev_a"]}
    assert zj["开展绩效评价：测试绩效评价批次"].count == 1
    summary = js["报送年度工作总结：2025年度工作总结"]
    # Due 2026-03-04, i.e. until 2026-03-05 00:00 Beijing = 03-04 16:00 UTC: 2 days 6 hours away → 3.
    assert summary.deadline == datetime(2026, 3, 4, 16, 0, tzinfo=UTC) and summary.days_left == 3
    _follow_all(app, "t-js", _items(app, "t-js"))


def test_reviewer(app, scene):
    items = _items(app, "t-rv")
    by = _titles(items)
    score = next(i for t, i in by.items() if t.startswith("评分："))
    assert (score.count, score.endpoint, score.args, score.days_left) == (2, "review.home", {}, 3)
    comment = next(i for t, i in by.items() if t.startswith("说明评分差异："))
    assert (comment.count, comment.endpoint, comment.args) == (1, "review.assignment", {"assignment_id": scene["asg"][2]})
    assert len(items) == 2
    _follow_all(app, "t-rv", items)


def test_admin(app, scene):
    items = _items(app, "t-admin")
    by = _titles(items)
    assert by["形式审查：二零一五测试批次"].count == 1
    assert next(i for t, i in by.items() if t.startswith("评分差异待专家说明：")).count == 1
    assert next(i for t, i in by.items() if t.startswith("审批其他管理员提出的拟入选名单：")).count == 1
    batch = by["批量出具报告进行中：测试绩效评价批次"]
    assert batch.note_params == {"done": 1, "total": 4, "failed": 0}
    assert by["资金合规提示待处理"].count >= 1
    _follow_all(app, "t-admin", items)
    # The proposer is not asked to approve its own proposal.
    assert not any(t.startswith("审批其他管理员") for t in _titles(_items(app, "t-admin2")))


def test_security_admin_and_auditor(app, scene):
    by = _titles(_items(app, "t-sec"))
    assert by["激活评审专家账户"].count == 1 and by["已被临时锁定的账户"].count == 1
    _follow_all(app, "t-sec", _items(app, "t-sec"))
    aud = _items(app, "t-aud")
    by = _titles(aud)
    chain = by["审计链：链头完整"]
    assert chain.count is None and chain.note_params["n"] == 0 and chain.note_params["linked"] > 10
    assert "审计归档：尚无归档" in by
    _follow_all(app, "t-aud", aud)


def test_auditor_sees_a_tampered_chain_head(app, scene):
    with app.app_context():
        db.session.execute(db.text("UPDATE audit_head SET seq = seq - 1"))
        db.session.commit()
    assert "审计链：链头校验失败" in _titles(_items(app, "t-aud"))


def test_days_left_and_home_page_countdown(app, scene):
    assert tq.days_left(T0 + timedelta(days=2, minutes=1), T0) == 3
    assert tq.days_left(T0 + timedelta(days=2), T0) == 2
    assert tq.days_left(T0 - timedelta(hours=1), T0) == 0
    assert tq.days_left(T0 - timedelta(days=1, hours=1), T0) == -1
    c = app.test_client()
    login(c, "t-app")
    html = c.get("/applicant/").get_data(as_text=True)
    section = html[html.index('id="todo-heading"'):]
    section = section[:section.index("</section>")]
    # closes_at = T0 + 5 days = 2026-03-07 10:00 Beijing
    assert "2026-03-07 10:00" in section and "还剩 5 天" in section and "还剩 10 天" in section
    assert "完成并提交申报：二零一五测试批次" in section


@pytest.mark.parametrize("username, path", [("t-app", "/applicant/"), ("t-js", "/authority/"), ("t-rv", "/review/"),
                                            ("t-admin", "/admin/"), ("t-sec", "/security/"), ("t-aud", "/audit/")])
def test_every_home_page_shows_its_work_list(app, scene, username, path):
    items = _items(app, username)
    urls = _urls(app, items)
    c = app.test_client()
    login(c, username)
    html = c.get(path).get_data(as_text=True)
    section = html[html.index('id="todo-heading"'):]
    section = section[:section.index("</section>")]
    for item, url in zip(items, urls):
        assert f'href="{url}"' in section.replace("&amp;", "&")
        if item.count is not None:
            assert f">{item.count}</span>" in section


def test_number_of_queries_does_not_grow_with_the_data(app, scene):
    def count_queries(username):
        with app.app_context():
            user = _user(username)
            statements = []
            listener = lambda *a: statements.append(a[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                tq.todo_for(user)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(statements)

    users = ["t-app", "t-js", "t-rv", "t-admin", "t-sec", "t-aud"]
    before = {u: count_queries(u) for u in users}
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == scene["call"]))
        for _ in range(5):
            make_application(call, make_org(), ApplicationState.SUBMITTED)
            make_application(call, make_org(), ApplicationState.RECOMMENDED)
            make_org(state=OrganisationState.UNVERIFIED)
        rv = db.session.scalar(select(ReviewerProfile).join(User, User.id == ReviewerProfile.user_id)
                               .where(User.username == "t-rv"))
        rcall_id = db.session.get(Assignment, scene["asg"][0]).call_id
        for x in make_applications(db.session.get(Call, rcall_id), 3):
            db.session.add(Assignment(call_id=rcall_id, application_id=x.id, reviewer_id=rv.id))
        db.session.commit()
    after = {u: count_queries(u) for u in users}
    assert after == before
    assert _titles(_items(app, "t-js"))["审核推荐申报：二零一五测试批次"].count == 8
    assert next(i for t, i in _titles(_items(app, "t-rv")).items() if t.startswith("评分：")).count == 5


def test_work_list_in_english(app, scene):
    c = app.test_client()
    login(c, "t-js")
    c.set_cookie("lang", "en")
    html = c.get("/authority/").get_data(as_text=True)
    assert '<h1 class="h4 mb-3" translate="no">江苏省商务厅</h1>' in html  # the jurisdiction's own name heads the page
    section = html[html.index('id="todo-heading"'):]
    section = section[:section.index("</section>")]
    assert "To do" in html and "Review applications for recommendation: 二零一五测试批次" in section
    assert "Recommendation quota: 1 used, 7 left" in section and "10 days left" in section
    assert "Beijing time" in section and "还剩" not in section
