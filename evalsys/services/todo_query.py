"""Work lists (待办): what waits for one user on its role's home page — counts, deadlines and days
left, each with the endpoint of the page where the task is done.

One function per role returns plain `TodoItem`s. Every figure comes from SQL aggregates grouped by
call, round or kind: the number of queries is fixed per role and does not grow with the data.
Titles are message ids (marked with N_) translated where they are shown, with their parameters.
"""
from __future__ import annotations

import hmac
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..domain.hashing import UnsupportedAlgorithm
from ..domain.timeutil import beijing_midnight, format_beijing
from ..domain.workflow import ApplicationState
from ..extensions import db
from ..models import AuditHead, AuditRecord, OrganisationState, ReviewerProfile, ReviewerState, Role, User
from ..models.types import utcnow
from . import audit
from . import todo_statements as statements

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
    for kind, state, title, n, first, due in db.session.execute(statements.applicant_work(), {"org": org, "now": now}):
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


# --- authority -------------------------------------------------------------------------------------------

def authority_todo(user: Any, now: datetime) -> list[TodoItem]:
    """Organisations and accounts to verify, applications to recommend per open call (quota used and
    left), expenditures to verify, open compliance flags, evaluations to do, the annual summary due."""
    code = user.authority_code
    if code is None:
        return []
    items: list[TodoItem] = []
    params = {"code": code, "now": now}
    orgs, accounts, entries, flags = db.session.execute(statements.authority_counts(), params).one()
    if orgs:
        items.append(_item(N_("核验申报单位"), orgs, "authority.organisations", now,
                           args={"state": OrganisationState.UNVERIFIED.value}))
    if accounts:
        items.append(_item(N_("审批申报单位新增账户"), accounts, "authority.organisations", now))
    rows = db.session.execute(statements.authority_recommendations(), params).all()
    for call_code, call_title, due, quota, n_used, n in rows:
        items.append(_item(N_("审核推荐申报：%(call)s"), n, "authority.applications", now, deadline=due,
                           args={"call": call_code, "state": ApplicationState.SUBMITTED.value},
                           params={"call": call_title}, note=N_("推荐名额已用 %(used)s 个，剩余 %(left)s 个"),
                           note_params={"used": n_used, "left": max(quota - n_used, 0)}))
    if entries:
        items.append(_item(N_("核实专项资金支出"), entries, "authority.funds_entries", now))
    if flags:
        items.append(_item(N_("处理资金合规提示"), flags, "authority.funds_flags", now))
    rows = db.session.execute(statements.authority_evaluations(), params).all()
    for round_title, n, first, due in rows:
        endpoint, args = _one_or_list(n, first, "authority.evaluation", "evaluation_id", "authority.evaluations")
        items.append(_item(N_("开展绩效评价：%(round)s"), n, endpoint, now, deadline=due, args=args,
                           params={"round": round_title}))
    rows = db.session.execute(statements.authority_summaries(), params).all()
    for title, due_date in rows:
        # Due until 24:00 Beijing time of the due date.
        items.append(_item(N_("报送年度工作总结：%(title)s"), 1, "authority.summaries", now,
                           deadline=beijing_midnight(due_date + timedelta(days=1)), params={"title": title}))
    return items


# --- reviewer --------------------------------------------------------------------------------------------

def reviewer_todo(user: Any, now: datetime) -> list[TodoItem]:
    """Score sheets to fill (none yet, or a draft) in open review windows, and divergence comments asked for."""
    rows = db.session.execute(statements.reviewer_sheets(), {"user_id": user.id, "now": now}).all()
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


# --- ministry admin --------------------------------------------------------------------------------------

def admin_todo(user: Any, now: datetime) -> list[TodoItem]:
    """Formal checks waiting, divergence comments awaited, proposals awaiting a second admin, evaluations
    to accept, batches running, open compliance flags: one query (the ministry's home is its busiest page)."""
    items: list[TodoItem] = []
    for kind, _order, code, title, n, done, failed in db.session.execute(statements.admin_work(), {"user_id": user.id}):
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
