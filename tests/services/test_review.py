"""Expert review services: assignment, score validation, stale tabs, conflicts, closing, divergence, reopening."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from evalsys.domain.assignment import exclusion
from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import (Assignment, AssignmentState, RankingRun, ReviewerState, Role, Score, ScoreSheet,
                            SheetState, Transition, User)
from evalsys.models.types import utcnow
from evalsys.services import review_pool, review_sheets, run_readiness
from evalsys.services.applications import system_of
from evalsys.services.assignment import (AssignmentInfeasible, ReviewError, add_assignment, application_infos,
                                         assign_call, propose_replacements, remove_assignment, reviewer_infos)
from tests.factories import make_user
from tests.reviewutil import make_applications, make_call, make_pool, make_reviewer, make_run, sheet_values


@pytest.fixture
def ctx(app):
    # A request context: workflow notifications build links with url_for.
    with app.test_request_context():
        yield make_user(Role.ADMIN, commit=False)


def _assigned(call, admin, n_apps=6, n_reviewers=8, **kw):
    apps = make_applications(call, n_apps, **kw)
    pool = make_pool(n_reviewers)
    result = assign_call(call, seed=7, actor=admin)
    return apps, pool, result


def _assignments(call):
    return list(db.session.scalars(select(Assignment).where(Assignment.call_id == call.id,
                                                            Assignment.state == AssignmentState.ACTIVE)
                                   .order_by(Assignment.id)))


def _actor(assignment):
    return db.session.get(User, assignment.reviewer.user_id)


def _submit(assignment, points, **kw):
    system = system_of(assignment.application)
    sheet = review_sheets.sheet_of(assignment)
    return review_sheets.submit_sheet(assignment, review_sheets.SheetInput(scores=sheet_values(system, points), **kw),
                            actor=_actor(assignment), expected_version=sheet.version_id if sheet else 0)


# --- assignment --------------------------------------------------------------------------------

def test_assign_call_gives_k_eligible_reviewers_balances_moves_to_review_and_locks(ctx):
    admin = ctx
    call = make_call(k=5)
    # 青岛 applicants and a 山东 expert, a Corps applicant and a 新疆 expert: both must be excluded.
    apps = make_applications(call, 8, authorities=("370200", "660000", "320000", "110000"))
    pool = make_pool(7) + [make_reviewer("370000"), make_reviewer("650000")]
    result = assign_call(call, seed=3, actor=admin)
    assert result.created == 40 and result.plan.balanced
    rows = _assignments(call)
    infos = {i.id: i for i in application_infos(apps)}
    revs = {r.id: r for r in reviewer_infos(pool)}
    assert all(exclusion(revs[a.reviewer_id], infos[a.application_id]) is None for a in rows)
    assert set(Counter(a.application_id for a in rows).values()) == {5}
    loads = Counter(a.reviewer_id for a in rows)
    assert max(loads.values()) - min(loads.values()) <= 1
    assert all(a.state == ApplicationState.UNDER_REVIEW for a in apps)
    assert db.session.scalar(select(func.count()).select_from(Transition).where(
        Transition.action == "start_review")) == 8
    assert call.settings_locked_at is not None


def test_infeasible_call_explains_and_stores_nothing(ctx):
    call = make_call(k=5)
    apps = make_applications(call, 2, authorities=("320000",))
    make_pool(3) + [make_reviewer("320000")]  # 4 people, one of them excluded: 3 eligible of 5 needed
    with pytest.raises(AssignmentInfeasible) as e:
        assign_call(call, seed=1, actor=ctx)
    assert "缺2名" in str(e.value) and "至少还需增补2名" in str(e.value)
    assert _assignments(call) == []
    assert all(a.state == ApplicationState.PASSED for a in apps) and call.settings_locked_at is None


def test_manual_add_refuses_an_excluded_reviewer_and_remove_needs_a_reason(ctx):
    call = make_call(k=5)
    apps, pool, _ = _assigned(call, ctx, n_apps=2, authorities=("440300",))
    guangdong = make_reviewer("440000")  # 深圳 is inside 广东
    with pytest.raises(ReviewError, match="回避"):
        add_assignment(apps[0], guangdong, reason="补充", actor=ctx)
    extra = make_reviewer("120000")
    row = add_assignment(apps[0], extra, reason="补充一名专家", actor=ctx)
    assert row.source == "manual" and row.state == AssignmentState.ACTIVE
    with pytest.raises(ReviewError, match="理由"):
        remove_assignment(row, reason="  ", actor=ctx)
    remove_assignment(row, reason="误分配", actor=ctx)
    assert row.state == AssignmentState.REMOVED


# --- score validation --------------------------------------------------------------------------

@pytest.mark.parametrize("typed, message", [
    ("9", "不能超过"),  # innovation has a maximum of 8
    ("8.1", "不能超过"),
    ("-1", "请输入数字"),
    ("7.55", "0.1"),
    ("NaN", "请输入数字"),
    ("inf", "请输入数字"),
    ("1e0", "请输入数字"),
    ("七", "请输入数字"),
    ("７", "请输入数字"),  # full-width digit
    ("5\x00", "请输入数字"),
    ("", "请评分"),
])
def test_score_validation_refuses_and_stores_nothing(ctx, typed, message):
    call = make_call(k=5)
    _assigned(call, ctx, n_apps=1, n_reviewers=5)
    assignment = _assignments(call)[0]
    scores = sheet_values(system_of(assignment.application), 3)
    scores["innovation"] = typed
    with pytest.raises(review_sheets.SheetErrors) as e:
        review_sheets.submit_sheet(assignment, review_sheets.SheetInput(scores=scores), actor=_actor(assignment), expected_version=0)
    assert message in e.value.errors["innovation"]
    assert db.session.scalar(select(func.count()).select_from(Score)) == 0


@pytest.mark.parametrize("typed, tenths", [("0", 0), ("8", 80), ("7.5", 75), (" 7.50 ", 75), ("0.1", 1)])
def test_valid_scores_are_stored_in_tenths(ctx, typed, tenths):
    assert review_sheets.parse_score(typed, 8) == tenths


def test_submitted_sheet_locks_and_a_stale_tab_is_refused(ctx):
    call = make_call(k=5)
    _assigned(call, ctx, n_apps=1, n_reviewers=5)
    assignment = _assignments(call)[0]
    who = _actor(assignment)
    values = sheet_values(system_of(assignment.application), 2)
    sheet = review_sheets.save_sheet(assignment, review_sheets.SheetInput(scores={"innovation": "5"}), actor=who, expected_version=0)
    # A second tab opened before the first save still carries version 0.
    with pytest.raises(StaleDataError):
        review_sheets.save_sheet(assignment, review_sheets.SheetInput(scores={"innovation": "6"}), actor=who, expected_version=0)
    version = sheet.version_id
    review_sheets.save_sheet(assignment, review_sheets.SheetInput(scores={"innovation": "6"}), actor=who, expected_version=version)
    with pytest.raises(StaleDataError):  # the first tab again, one save behind
        review_sheets.submit_sheet(assignment, review_sheets.SheetInput(scores=values), actor=who, expected_version=version)
    review_sheets.submit_sheet(assignment, review_sheets.SheetInput(scores=values), actor=who, expected_version=sheet.version_id)
    assert sheet.state == SheetState.SUBMITTED
    with pytest.raises(ReviewError, match="已提交"):
        review_sheets.save_sheet(assignment, review_sheets.SheetInput(scores=values), actor=who, expected_version=sheet.version_id)


def test_scoring_only_inside_the_window(ctx):
    call = make_call(k=5, starts=timedelta(days=1), ends=timedelta(days=2))
    _assigned(call, ctx, n_apps=1, n_reviewers=5)
    assignment = _assignments(call)[0]
    with pytest.raises(ReviewError, match="尚未开始"):
        _submit(assignment, 3)
    call.review_starts_at, call.review_ends_at = utcnow() - timedelta(days=2), utcnow() - timedelta(seconds=1)
    assignment.created_at = utcnow() - timedelta(days=3)  # assigned before the window, not a late replacement
    with pytest.raises(ReviewError, match="已结束"):
        _submit(assignment, 3)


def test_blind_call_needs_the_no_conflict_confirmation_first(ctx):
    call = make_call(k=5, blind=True)
    _assigned(call, ctx, n_apps=1, n_reviewers=5)
    assignment = _assignments(call)[0]
    with pytest.raises(ReviewError, match="利益冲突"):
        _submit(assignment, 3)
    review_pool.confirm_no_conflict(assignment, actor=_actor(assignment))
    assert _submit(assignment, 3).state == SheetState.SUBMITTED


# --- conflicts ---------------------------------------------------------------------------------

def test_conflict_after_submission_voids_the_sheet_stales_runs_and_proposes_a_replacement(ctx):
    call = make_call(k=5)
    apps, pool, _ = _assigned(call, ctx, n_apps=2, n_reviewers=8)
    assignment = _assignments(call)[0]
    _submit(assignment, 4)
    run = make_run(call)
    outcome = review_pool.decline_assignment(assignment, "曾为该企业提供咨询服务", actor=_actor(assignment))
    sheet = review_sheets.sheet_of(assignment)
    assert assignment.state == AssignmentState.DECLINED and sheet.state == SheetState.VOIDED
    assert db.session.get(RankingRun, run.id).stale
    proposed = outcome.proposals[assignment.application_id]
    assert len(proposed) == 1 and proposed[0].id != assignment.reviewer_id
    assert exclusion(reviewer_infos(proposed)[0], application_infos([assignment.application])[0]) is None
    assert propose_replacements(call)[assignment.application_id].id == proposed[0].id
    # The declared conflict is an exclusion from now on; the proposal is accepted as a replacement.
    with pytest.raises(ReviewError, match="回避"):
        add_assignment(assignment.application, assignment.reviewer, reason="再分配", actor=ctx)
    add_assignment(assignment.application, proposed[0], reason="替换回避专家", actor=ctx, source="replacement")
    assert propose_replacements(call) == {}


def test_conflict_declared_before_assignment_excludes(ctx):
    call = make_call(k=5)
    apps = make_applications(call, 1)
    pool = make_pool(6)
    review_pool.declare_conflict(pool[0], apps[0].organisation.uscc, "亲属任职", actor=ctx)
    assign_call(call, seed=1, actor=ctx)
    assert pool[0].id not in {a.reviewer_id for a in _assignments(call)}
    with pytest.raises(ReviewError):
        review_pool.declare_conflict(pool[1], "NOT-A-USCC", "x", actor=ctx)


# --- closing the window, divergence, reopening -------------------------------------------------

def _close(call, admin):
    call.review_ends_at = utcnow() - timedelta(seconds=1)
    return review_sheets.close_review(call, actor=admin)


def test_close_review_flags_divergence_comment_only_and_lists_missing(ctx):
    call = make_call(k=5)
    apps, pool, _ = _assigned(call, ctx, n_apps=2, n_reviewers=5)
    with pytest.raises(ReviewError, match="之前不能结束"):
        review_sheets.close_review(call, actor=ctx)
    first = [a for a in _assignments(call) if a.application_id == apps[0].id]
    maxima = {i.id: i.max for i in review_sheets.expert_indicators(system_of(apps[0]))}
    for a in first[:4]:
        _submit(a, {k: round(0.8 * m, 1) for k, m in maxima.items()})
    outlier = first[4]
    # Half the maximum below the others: beyond 20 % for the outlier, within it for each of the others
    # (their distance to the mean of the rest is an eighth of the maximum).
    _submit(outlier, {k: round(0.3 * m, 1) for k, m in maxima.items()})
    second = [a for a in _assignments(call) if a.application_id == apps[1].id]
    for a in second[:3]:
        _submit(a, 4)
    result = _close(call, ctx)
    assert result.applications == 2 and all(a.state == ApplicationState.SCORED for a in apps)
    flagged = run_readiness.pending_divergence_comments(call)
    assert [p.sheet_id for p in flagged] == [review_sheets.sheet_of(outlier).id]
    assert [p.application_id for p in flagged] == [apps[0].id]
    assert [(m.application_id, m.submitted, m.required) for m in run_readiness.missing_sheets(call)] == [(apps[1].id, 3, 5)]
    sheet = review_sheets.sheet_of(outlier)
    with pytest.raises(ReviewError, match="已提交"):  # scores stay locked
        _submit(outlier, 5)
    with pytest.raises(StaleDataError):
        review_sheets.comment_divergence(sheet, "依据现场材料", actor=_actor(outlier), expected_version=sheet.version_id - 1)
    review_sheets.comment_divergence(sheet, "依据现场材料", actor=_actor(outlier), expected_version=sheet.version_id)
    assert run_readiness.pending_divergence_comments(call) == []
    # A missing sheet finished after the window (a replacement) is judged on submission.
    late = make_reviewer("120000")
    row = add_assignment(apps[1], late, reason="补足专家人数", actor=ctx, source="replacement")
    _submit(row, 4)
    assert [m.application_id for m in run_readiness.missing_sheets(call)] == [apps[1].id]


def test_reopening_marks_runs_stale_and_the_sheet_can_be_resubmitted(ctx):
    call = make_call(k=5)
    apps, pool, _ = _assigned(call, ctx, n_apps=1, n_reviewers=5)
    rows = _assignments(call)
    for a in rows:
        _submit(a, 4)
    _close(call, ctx)
    runs = [make_run(call), make_run(call)]
    other = make_call(k=5)
    foreign = make_run(other)
    sheet = review_sheets.sheet_of(rows[0])
    with pytest.raises(ReviewError, match="理由"):
        review_sheets.reopen_sheet(sheet, " ", actor=ctx)
    assert not any(db.session.get(RankingRun, r.id).stale for r in runs)
    review_sheets.reopen_sheet(sheet, "专家申请更正笔误", actor=ctx)
    assert all(db.session.get(RankingRun, r.id).stale for r in runs)
    assert not db.session.get(RankingRun, foreign.id).stale
    assert sheet.state == SheetState.DRAFT and sheet.reopen_reason == "专家申请更正笔误"
    assert [m.submitted for m in run_readiness.missing_sheets(call)] == [4]
    _submit(rows[0], 4.5)  # after the window: allowed because the admin reopened it
    assert run_readiness.missing_sheets(call) == [] and sheet.state == SheetState.SUBMITTED


def test_activation_is_the_security_admins_and_binds_a_reviewer_account(ctx):
    profile = review_pool.create_reviewer_profile(review_pool.ProfileData(name="王专家", home_authority_code="370200",
                                                          field_tags="跨境电商，物流 数据"), actor=ctx)
    assert profile.state == ReviewerState.PENDING and profile.field_tags == "跨境电商,物流,数据"
    with pytest.raises(ReviewError):
        review_pool.activate_reviewer(profile, actor=ctx, username="wang", password="Kx7#mQ2!vR9pLw")
    sec = make_user(Role.SECADMIN, commit=False)
    user = review_pool.activate_reviewer(profile, actor=sec, username="wang", password="Kx7#mQ2!vR9pLw")
    assert user.role == Role.REVIEWER and profile.user_id == user.id and profile.state == ReviewerState.ACTIVE
    with pytest.raises(ReviewError, match="统一社会信用代码"):
        review_pool.create_reviewer_profile(review_pool.ProfileData(name="李", home_authority_code="110000",
                                                    organisation_uscc="123"), actor=ctx)


def test_counted_sheets_exclude_voided_and_removed(ctx):
    call = make_call(k=5)
    _assigned(call, ctx, n_apps=1, n_reviewers=6)
    rows = _assignments(call)
    for a in rows:
        _submit(a, 3)
    remove_assignment(rows[0], reason="专家退出", actor=ctx)
    counted = db.session.execute(run_readiness.counted_sheets(call.id)).all()
    assert len(counted) == 4 and db.session.get(ScoreSheet, review_sheets.sheet_of(rows[0]).id).state == SheetState.VOIDED
