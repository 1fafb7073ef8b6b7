"""Work lists (待办): what waits for one user on its role's home page — counts, deadlines and days
left, each with the endpoint of the page where the task is done.

One function per role returns plain `TodoItem`s. Every figure comes from SQL aggregates grouped by
call, round or kind: the number of queries is fixed per role and does not grow with the data.
Titles are message ids (marked with N_) translated where they are shown, with their parameters.
"""
from __future__ import annotations

import functools
import hmac
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import (Integer, Select, String, and_, bindparam, cast, distinct, func, literal, null, or_, select,
                        union_all)

from ..domain.evaluation import EvaluationState
from ..domain.funds import ExpenditureStatus
from ..domain.hashing import UnsupportedAlgorithm
from ..domain.timeutil import beijing_midnight, format_beijing
from ..domain.workflow import ApplicationState
from ..extensions import db
from ..models import (Allocation, Application, ApplicationAttachment, Assignment, AssignmentState,
                      AuditHead, AuditRecord, BatchJob, Call, ComplianceFlag, Evaluation, EvaluationRound,
                      Expenditure, FirstBatchBase, FlagState, JobState, Organisation, OrganisationState, Proposal,
                      ProposalState, QuotaCounter, ReviewerProfile, ReviewerState, Role, ScoreSheet, SheetState,
                      SummaryCollection, SummarySubmission, User)
from ..models.account import AccountState
from ..models.types import utcnow
from . import audit
from .applications import REQUIRED_ATTACHMENTS

DAY = 86400


def N_(message: str) -> str:
    """Mark a message id for the catalogue; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class TodoItem:
    """One line of a work list: what to do, how many, by when, and where."""

    title: str  # message id, formatted with `params` after translation
    count: int | None  # None for a status line (nothing to count)
    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    deadline: datetime | None = None  # UTC; shown in Beijing time
    days_left: int | None = None  # whole days until the deadline, rounded up; <= 0 once it has passed
    note: str = ""  # message id of a remark (quota, status), formatted with `note_params`
    note_params: dict[str, Any] = field(default_factory=dict)
    level: str = "info"  # info | warning | danger (overdue or a failed check)


def days_left(deadline: datetime | None, now: datetime) -> int | None:
    """Days until `deadline`, rounded up (2.1 days → 3): 1 on the last day, 0 or less once passed."""
    if deadline is None:
        return None
    return math.ceil((deadline - now).total_seconds() / DAY)


def _item(title: str, count: int | None, endpoint: str, now: datetime, *, deadline: datetime | None = None,
          **kw: Any) -> TodoItem:
    left = days_left(deadline, now)
    level = kw.pop("level", None) or ("danger" if left is not None and left <= 0 else
                                      "warning" if left is not None and left <= 3 else "info")
    return TodoItem(title, count, endpoint, deadline=deadline, days_left=left, level=level, **kw)


def _one_or_list(count: int, first_id: int, detail: str, detail_arg: str, listing: str,
                 list_args: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The task's own page when there is one, else the list where they all are."""
    if count == 1:
        return detail, {detail_arg: first_id}
    return listing, list_args or {}


def _built_once(build: Callable[[], Select]) -> Callable[[], Select]:
    """A statement of a work list, built once per process with bind parameters for what varies
    (`:user_id`, `:org`, `:code`, `:now`): a home page runs up to six of them on every visit, and
    building a statement of this size cost more than running it."""
    return functools.cache(build)


def todo_for(user: Any, now: datetime | None = None) -> list[TodoItem]:
    """The work list of `user`'s role."""
    now = now or utcnow()
    fn = {Role.APPLICANT: applicant_todo, Role.AUTHORITY: authority_todo, Role.REVIEWER: reviewer_todo,
          Role.ADMIN: admin_todo, Role.SECADMIN: secadmin_todo, Role.AUDITOR: auditor_todo}.get(user.role)
    return fn(user, now) if fn else []


# --- applicant -------------------------------------------------------------------------------------------

def applicant_todo(user: Any, now: datetime) -> list[TodoItem]:
    """Drafts to finish before closing, returned applications to resubmit, missing attachments,
    self-evaluations due, further accounts of the organisation to approve (main account): one query."""
    org = user.organisation_id
    if org is None:
        return []
    items: list[TodoItem] = []
    for kind, state, title, n, first, due in db.session.execute(_applicant_work(), {"org": org, "now": now}):
        if kind == 1:
            text = N_("完成并提交申报：%(call)s") if state == ApplicationState.DRAFT.value else \
                N_("按退回意见修改后重新提交：%(call)s")
            items.append(_item(text, n, "applicant.application_detail", now, deadline=due, args={"app_id": first},
                               params={"call": title}))
        elif kind == 2:
            items.append(_item(N_("上传缺少的附件：%(call)s"), int(n), "applicant.application_detail", now,
                               deadline=due, args={"app_id": first}, params={"call": title}))
        elif kind == 3:
            endpoint, args = _one_or_list(n, first, "applicant.evaluation", "evaluation_id", "applicant.evaluations")
            items.append(_item(N_("填报绩效自评：%(round)s"), n, endpoint, now, deadline=due, args=args,
                               params={"round": title}))
        elif kind == 4 and n and user.is_org_main:
            items.append(_item(N_("审批本单位新增账户"), n, "applicant.home", now))
    return items


def _open_application():
    now = bindparam("now")
    return or_(and_(Application.state == ApplicationState.DRAFT, Call.closes_at > now),
               and_(Application.state == ApplicationState.RETURNED, Call.recommend_deadline > now))


@_built_once
def _applicant_work() -> Select:
    """The applicant's work list as rows (kind, state, title, count, first id, due), one UNION ALL, by kind and
    due: 1 applications to finish or resubmit (per state and call), 2 calls with attachments missing (count =
    attachments), 3 self-evaluations per round, 4 accounts of the organisation to approve (always one row)."""
    def kind(k: int):
        return literal(k, Integer).label("kind")

    org = bindparam("org")
    no_text, no_id = cast(null(), String), cast(null(), Integer)
    deadline = func.coalesce(func.max(Call.closes_at).filter(Application.state == ApplicationState.DRAFT),
                             func.max(Call.recommend_deadline))
    have = (select(ApplicationAttachment.application_id.label("app_id"),
                   func.count(distinct(ApplicationAttachment.kind)).label("kinds"))
            .where(ApplicationAttachment.kind.in_(REQUIRED_ATTACHMENTS))
            .group_by(ApplicationAttachment.application_id).subquery())
    missing = literal(len(REQUIRED_ATTACHMENTS)) - func.coalesce(have.c.kinds, 0)
    members = [
        select(kind(1), cast(Application.state, String).label("state"), Call.title.label("title"),
               func.count().label("n"), func.min(Application.id).label("first"), deadline.label("due"))
        .join(Call, Call.id == Application.call_id)
        .where(Application.organisation_id == org, _open_application())
        .group_by(Application.state, Call.id, Call.title),
        select(kind(2), no_text, Call.title, cast(func.sum(missing), Integer), func.min(Application.id), deadline)
        .join(Call, Call.id == Application.call_id).outerjoin(have, have.c.app_id == Application.id)
        .where(Application.organisation_id == org, missing > 0, _open_application())
        .group_by(Call.id, Call.title),
        select(kind(3), no_text, EvaluationRound.title, func.count(), func.min(Evaluation.id),
               EvaluationRound.self_deadline)
        .join(EvaluationRound, EvaluationRound.id == Evaluation.round_id)
        .join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
        .where(FirstBatchBase.organisation_id == org, Evaluation.state == EvaluationState.DRAFT)
        .group_by(EvaluationRound.id, EvaluationRound.title, EvaluationRound.self_deadline),
        select(kind(4), no_text, no_text, func.count(), no_id, cast(null(), Call.closes_at.type))
        .select_from(User).where(User.organisation_id == org, User.state == AccountState.PENDING),
    ]
    work = union_all(*members).subquery()
    return select(work).order_by(work.c.kind, work.c.due)


# --- authority -------------------------------------------------------------------------------------------

def authority_todo(user: Any, now: datetime) -> list[TodoItem]:
    """Organisations and accounts to verify, applications to recommend per open call (quota used and
    left), expenditures to verify, open compliance flags, evaluations to do, the annual summary due."""
    code = user.authority_code
    if code is None:
        return []
    items: list[TodoItem] = []
    params = {"code": code, "now": now}
    orgs, accounts, entries, flags = db.session.execute(_authority_counts(), params).one()
    if orgs:
        items.append(_item(N_("核验申报单位"), orgs, "authority.organisations", now,
                           args={"state": OrganisationState.UNVERIFIED.value}))
    if accounts:
        items.append(_item(N_("审批申报单位新增账户"), accounts, "authority.organisations", now))
    rows = db.session.execute(_authority_recommendations(), params).all()
    for call_code, call_title, due, quota, n_used, n in rows:
        items.append(_item(N_("审核推荐申报：%(call)s"), n, "authority.applications", now, deadline=due,
                           args={"call": call_code, "state": ApplicationState.SUBMITTED.value},
                           params={"call": call_title}, note=N_("推荐名额已用 %(used)s 个，剩余 %(left)s 个"),
                           note_params={"used": n_used, "left": max(quota - n_used, 0)}))
    if entries:
        items.append(_item(N_("核实专项资金支出"), entries, "authority.funds_entries", now))
    if flags:
        items.append(_item(N_("处理资金合规提示"), flags, "authority.funds_flags", now))
    rows = db.session.execute(_authority_evaluations(), params).all()
    for round_title, n, first, due in rows:
        endpoint, args = _one_or_list(n, first, "authority.evaluation", "evaluation_id", "authority.evaluations")
        items.append(_item(N_("开展绩效评价：%(round)s"), n, endpoint, now, deadline=due, args=args,
                           params={"round": round_title}))
    rows = db.session.execute(_authority_summaries(), params).all()
    for title, due_date in rows:
        # Due until 24:00 Beijing time of the due date.
        items.append(_item(N_("报送年度工作总结：%(title)s"), 1, "authority.summaries", now,
                           deadline=beijing_midnight(due_date + timedelta(days=1)), params={"title": title}))
    return items


@_built_once
def _authority_counts() -> Select:
    """Organisations to verify, accounts to approve, expenditures to verify and open compliance flags of the
    jurisdiction, in one row."""
    code = bindparam("code")
    return select(
        select(func.count()).select_from(Organisation).where(
            Organisation.authority_code == code, Organisation.state == OrganisationState.UNVERIFIED)
        .scalar_subquery(),
        select(func.count()).select_from(User).join(Organisation, Organisation.id == User.organisation_id).where(
            Organisation.authority_code == code, User.state == AccountState.PENDING).scalar_subquery(),
        *_authority_funds())


@_built_once
def _authority_recommendations() -> Select:
    code = bindparam("code")
    used = func.coalesce(QuotaCounter.used, 0)
    return (select(Call.code, Call.title, Call.recommend_deadline, Call.quota_per_authority, used, func.count())
            .join(Application, and_(Application.call_id == Call.id, Application.authority_code == code,
                                    Application.state == ApplicationState.SUBMITTED))
            .outerjoin(QuotaCounter, and_(QuotaCounter.call_id == Call.id, QuotaCounter.authority_code == code))
            .where(Call.recommend_deadline > bindparam("now"))
            .group_by(Call.id, Call.code, Call.title, Call.recommend_deadline, Call.quota_per_authority, used)
            .order_by(Call.recommend_deadline))


def _authority_funds() -> tuple[Any, Any]:
    code = bindparam("code")
    return (
        select(func.count()).select_from(Expenditure).join(Allocation, Allocation.id == Expenditure.allocation_id)
        .join(FirstBatchBase, FirstBatchBase.id == Allocation.base_id)
        .where(FirstBatchBase.authority_code == code, Expenditure.status == ExpenditureStatus.PENDING)
        .scalar_subquery(),
        select(func.count()).select_from(ComplianceFlag)
        .join(Expenditure, Expenditure.id == ComplianceFlag.expenditure_id)
        .join(Allocation, Allocation.id == Expenditure.allocation_id)
        .join(FirstBatchBase, FirstBatchBase.id == Allocation.base_id)
        .where(FirstBatchBase.authority_code == code, ComplianceFlag.state == FlagState.OPEN)
        .scalar_subquery())


@_built_once
def _authority_evaluations() -> Select:
    return (select(EvaluationRound.title, func.count(), func.min(Evaluation.id), EvaluationRound.authority_deadline)
            .join(EvaluationRound, EvaluationRound.id == Evaluation.round_id)
            .join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
            .where(FirstBatchBase.authority_code == bindparam("code"),
                   Evaluation.state.in_([EvaluationState.SELF_EVALUATED, EvaluationState.RETURNED]))
            .group_by(EvaluationRound.id, EvaluationRound.title, EvaluationRound.authority_deadline)
            .order_by(EvaluationRound.authority_deadline))


@_built_once
def _authority_summaries() -> Select:
    submitted = select(SummarySubmission.id).where(SummarySubmission.collection_id == SummaryCollection.id,
                                                   SummarySubmission.authority_code == bindparam("code"))
    return (select(SummaryCollection.title, SummaryCollection.due_date)
            .where(~submitted.exists()).order_by(SummaryCollection.due_date))


# --- reviewer --------------------------------------------------------------------------------------------

def reviewer_todo(user: Any, now: datetime) -> list[TodoItem]:
    """Score sheets to fill (none yet, or a draft) in open review windows, and divergence comments asked for."""
    rows = db.session.execute(_reviewer_sheets(), {"user_id": user.id, "now": now}).all()
    items: list[TodoItem] = []
    for call_title, ends, n_open, first_open, n_comment, first_comment in rows:
        if n_open:
            endpoint, args = _one_or_list(n_open, first_open, "review.assignment", "assignment_id", "review.home")
            items.append(_item(N_("评分：%(call)s"), n_open, endpoint, now, deadline=ends, args=args,
                               params={"call": call_title}))
        if n_comment:
            endpoint, args = _one_or_list(n_comment, first_comment, "review.assignment", "assignment_id",
                                          "review.home")
            items.append(_item(N_("说明评分差异：%(call)s"), n_comment, endpoint, now, args=args,
                               params={"call": call_title}, level="warning"))
    return items


@_built_once
def _reviewer_sheets() -> Select:
    open_sheet = or_(ScoreSheet.id.is_(None), ScoreSheet.state == SheetState.DRAFT)
    to_comment = and_(ScoreSheet.divergence_flagged.is_(True), ScoreSheet.divergence_comment.is_(None))
    return (select(Call.title, Call.review_ends_at, func.count().filter(open_sheet),
                   func.min(Assignment.id).filter(open_sheet), func.count().filter(to_comment),
                   func.min(Assignment.id).filter(to_comment))
            .select_from(Assignment)
            .join(ReviewerProfile, ReviewerProfile.id == Assignment.reviewer_id)
            .join(Call, Call.id == Assignment.call_id)
            .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .where(ReviewerProfile.user_id == bindparam("user_id"), Assignment.state == AssignmentState.ACTIVE,
                   or_(and_(open_sheet, Call.review_ends_at > bindparam("now")), to_comment))
            .group_by(Call.id, Call.title, Call.review_ends_at).order_by(Call.review_ends_at))


# --- ministry admin --------------------------------------------------------------------------------------

def admin_todo(user: Any, now: datetime) -> list[TodoItem]:
    """Formal checks waiting, divergence comments awaited, proposals awaiting a second admin, evaluations
    to accept, batches running, open compliance flags: one query (the ministry's home is its busiest page)."""
    items: list[TodoItem] = []
    for kind, _order, code, title, n, done, failed in db.session.execute(_admin_work(), {"user_id": user.id}):
        if kind == 1:
            items.append(_item(N_("形式审查：%(call)s"), n, "admin.call_detail", now,
                               args={"code": code, "state": ApplicationState.RECOMMENDED.value}, params={"call": title}))
        elif kind == 2:
            items.append(_item(N_("评分差异待专家说明：%(call)s"), n, "admin.review_progress", now, args={"code": code},
                               params={"call": title}, level="warning"))
        elif kind == 3:
            items.append(_item(N_("审批其他管理员提出的拟入选名单：%(call)s"), n, "admin.decisions", now,
                               args={"code": code}, params={"call": title}))
        elif kind == 4:
            items.append(_item(N_("审核绩效评价：%(round)s"), n, "admin.evaluation_round", now, args={"code": code},
                               params={"round": title}))
        elif kind == 5:
            items.append(_item(N_("批量出具报告进行中：%(round)s"), None, "admin.evaluation_round", now,
                               args={"code": code}, params={"round": title},
                               note=N_("已出具 %(done)s / %(total)s 份，失败 %(failed)s 份"),
                               note_params={"done": done, "total": n, "failed": failed}))
        elif kind == 6 and n:
            items.append(_item(N_("资金合规提示待处理"), n, "admin.funds_flags", now))
    return items


@_built_once
def _admin_work() -> Select:
    """The admin's work list as rows (kind, order, code, title, count, done, failed), one UNION ALL: 1 formal
    checks, 2 divergences, 3 proposals of others, 4 evaluations to accept, 5 running batches (count = total),
    6 open flags (always one row)."""
    def kind(k: int):
        return literal(k, Integer).label("kind")

    none = cast(null(), Integer)
    calls = (Call.id.label("ord"), Call.code.label("code"), Call.title.label("title"))
    rounds = (EvaluationRound.id, EvaluationRound.code, EvaluationRound.title)
    members = [
        select(kind(1), *calls, func.count().label("n"), none.label("done"), none.label("failed"))
        .join(Application, Application.call_id == Call.id)
        .where(Application.state == ApplicationState.RECOMMENDED).group_by(Call.id, Call.code, Call.title),
        select(kind(2), *calls, func.count(), none, none).select_from(ScoreSheet)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id).join(Call, Call.id == Assignment.call_id)
        .where(ScoreSheet.divergence_flagged.is_(True), ScoreSheet.divergence_comment.is_(None),
               Assignment.state == AssignmentState.ACTIVE).group_by(Call.id, Call.code, Call.title),
        select(kind(3), *calls, func.count(), none, none).join(Proposal, Proposal.call_id == Call.id)
        .where(Proposal.state == ProposalState.PENDING, Proposal.proposed_by_id != bindparam("user_id"))
        .group_by(Call.id, Call.code, Call.title),
        select(kind(4), *rounds, func.count(), none, none).join(Evaluation, Evaluation.round_id == EvaluationRound.id)
        .where(Evaluation.state == EvaluationState.EVALUATED)
        .group_by(EvaluationRound.id, EvaluationRound.code, EvaluationRound.title),
        select(kind(5), *rounds, func.sum(BatchJob.total), func.sum(BatchJob.done), func.sum(BatchJob.failed))
        .join(BatchJob, BatchJob.round_id == EvaluationRound.id)
        .where(BatchJob.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .group_by(EvaluationRound.id, EvaluationRound.code, EvaluationRound.title),
        select(kind(6), literal(0, Integer), cast(null(), String), cast(null(), String), func.count(), none, none)
        .select_from(ComplianceFlag).where(ComplianceFlag.state == FlagState.OPEN),
    ]
    work = union_all(*members).subquery()
    return select(work).order_by(work.c.kind, work.c.ord)


# --- security admin and auditor --------------------------------------------------------------------------

def secadmin_todo(user: Any, now: datetime) -> list[TodoItem]:
    """Expert accounts awaiting activation and accounts locked out now."""
    reviewers, locked = db.session.execute(select(
        select(func.count()).select_from(ReviewerProfile).where(ReviewerProfile.state == ReviewerState.PENDING)
        .scalar_subquery(),
        select(func.count()).select_from(User).where(User.locked_until > now).scalar_subquery())).one()
    items = []
    if reviewers:
        items.append(_item(N_("激活评审专家账户"), reviewers, "security.reviewers", now))
    if locked:
        items.append(_item(N_("已被临时锁定的账户"), locked, "security.home", now, level="warning"))
    return items


def auditor_todo(user: Any, now: datetime) -> list[TodoItem]:
    """The audit chain's status, checked cheaply (the head's own MAC, links and records not yet chained;
    `verify-audit` recomputes every link), and the last archive."""
    head = db.session.get(AuditHead, audit._HEAD_ID)
    # Records after the head's: links are made in id order after each commit, so that is what waits (a record
    # that committed late is linked on the next pass; verify-audit reads them all). An index range, not a join
    # of the whole trail with the whole chain.
    unchained = db.session.scalar(select(func.count()).select_from(AuditRecord)
                                  .where(AuditRecord.id > (head.record_id if head is not None else 0)))
    items = []
    if head is None:
        items.append(_item(N_("审计链：尚未建立"), None, "audit.home", now,
                           note=N_("未链接的记录 %(n)s 条"), note_params={"n": unchained}))
    else:
        try:
            intact = hmac.compare_digest(head.head_mac, audit.head_mac(audit.chain_key(), head))
        except (UnsupportedAlgorithm, RuntimeError, ValueError):  # unknown algorithm or no key: not trusted
            intact = False
        title = N_("审计链：链头完整") if intact else N_("审计链：链头校验失败")
        items.append(_item(title, None, "audit.home", now, level="info" if intact else "danger",
                           note=N_("已链接 %(linked)s 条，未链接 %(n)s 条；完整校验请运行 verify-audit 命令"),
                           note_params={"linked": head.seq - head.anchor_seq, "n": unchained}))
    last = db.session.execute(select(AuditRecord.created_at, AuditRecord.object_id)
                              .where(AuditRecord.event == "audit_archived")
                              .order_by(AuditRecord.id.desc()).limit(1)).first()
    if last is None:
        items.append(_item(N_("审计归档：尚无归档"), None, "audit.home", now, args={"event": "audit_archived"}))
    else:
        items.append(_item(N_("最近一次审计归档：%(name)s"), None, "audit.home", now,
                           args={"event": "audit_archived"}, params={"name": last.object_id},
                           note=N_("归档时间 %(at)s"), note_params={"at": format_beijing(last.created_at)}))
    return items
