"""Use of results for sanctioned bases (domain.md §6): a base graded 差 in its latest accepted or
issued evaluation, or whose title was revoked, gets no new allocation. An exception needs two
admins: one proposes the allocation with a reason, a second, different admin approves it, and
only then is it made. Recovery on revocation is itemised: each allocation's unspent balance and
the verified spending in forbidden categories (X-…)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from ..domain.errors import DomainError, Message, N_
from ..domain.evaluation import EvaluationState, RectificationState
from ..domain.funds import CATEGORY_LABELS, ExpenditureStatus, is_forbidden
from ..domain.money import format_fen
from ..extensions import db
from ..models import (Allocation, AllocationOverride, Evaluation, EvaluationRound, Expenditure, FirstBatchBase,
                      FundAccount, FundRecovery, FundRecoveryItem, OverrideState, Rectification, Role, User)
from ..models.types import utcnow
from ..permissions import can_approve_override, can_withdraw_override
from . import audit

RESULT_STATES = (EvaluationState.ACCEPTED, EvaluationState.ISSUED)


class SanctionError(DomainError, ValueError):
    """A refused step (Chinese message)."""


# --- the ban --------------------------------------------------------------------------------------

def allocation_ban(base: FirstBatchBase) -> str | None:
    """Why the base may get no new allocation now (Chinese), or None."""
    revoked = db.session.scalar(
        select(Rectification.revoked_at).join(Evaluation).where(
            Evaluation.base_id == base.id, Rectification.state == RectificationState.REVOKED).limit(1))
    if revoked is not None:
        return Message(N_("基地“%(name)s”的示范基地称号已被撤销，不再安排中央专项补助资金"), name=base.name)
    latest = db.session.execute(
        select(Evaluation.grade_label, EvaluationRound.title).join(EvaluationRound)
        .where(Evaluation.base_id == base.id, Evaluation.state.in_(RESULT_STATES))
        .order_by(EvaluationRound.year.desc(), Evaluation.id.desc()).limit(1)).first()
    if latest is not None and latest.grade_label == "差":
        return Message(N_("基地“%(name)s”在最近一次绩效评价（%(title)s）中等级为“差”，不再安排新的中央专项补助资金"),
                       name=base.name, title=latest.title)
    return None


def check_allocation_allowed(base: FirstBatchBase, override: AllocationOverride | None = None) -> None:
    """Raise SanctionError for a banned base unless `override` is its approved, unused exception."""
    ban = allocation_ban(base)
    if ban is None:
        return
    if (override is not None and override.base_id == base.id and override.state == OverrideState.APPROVED
            and override.allocation_id is None and override.decided_by_id not in (None, override.proposed_by_id)):
        return
    raise SanctionError(N_("%(ban)s。确需下达的，须由一位管理员说明理由提出、另一位管理员批准"), ban=ban)


# --- the two-admin exception ----------------------------------------------------------------------

@dataclass(frozen=True)
class OverrideData:
    """The allocation an admin proposes for a banned base (amount in fen)."""

    year: int
    amount_fen: int
    document_no: str
    purpose: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise SanctionError(N_("只有商务部管理员可以办理"))


def propose_override(base: FirstBatchBase, data: OverrideData, *, reason: str, actor: User) -> AllocationOverride:
    """An admin proposes an allocation to a banned base, with a reason; nothing is allocated yet."""
    _require_admin(actor)
    ban = allocation_ban(base)
    if ban is None:
        raise SanctionError(N_("该基地未受限制，可直接下达资金"))
    if not (reason or "").strip():
        raise SanctionError(N_("例外下达必须说明理由"))
    if isinstance(data.amount_fen, bool) or not isinstance(data.amount_fen, int) or data.amount_fen <= 0:
        raise SanctionError(N_("下达金额必须大于零"))
    if not data.document_no.strip():
        raise SanctionError(N_("请填写下达文号"))
    item = AllocationOverride(base_id=base.id, year=data.year, amount_fen=data.amount_fen,
                              document_no=data.document_no.strip(), purpose=data.purpose.strip(),
                              period_start=data.period_start, period_end=data.period_end, sanction=ban,
                              reason=reason.strip(), state=OverrideState.PENDING, proposed_by_id=actor.id)
    db.session.add(item)
    db.session.flush()
    audit.record("allocation_override_proposed", obj=item, actor=actor,
                 detail={"base": base.code, "year": data.year, "amount_fen": data.amount_fen,
                         "document_no": item.document_no, "sanction": ban, "reason": item.reason})
    return item


def approve_override(item: AllocationOverride, *, actor: User) -> Allocation:
    """A second admin (never the proposer) approves: the allocation is made now."""
    from .funds import FundsError, create_allocation

    _require_admin(actor)
    if not can_approve_override(actor, item):  # the rule the base page asks before offering the button
        raise SanctionError(N_("该例外下达申请不是待批准状态") if item.state != OverrideState.PENDING
                            else N_("例外下达须由另一位管理员批准，提出人不能自己批准"))
    item.state, item.decided_by_id, item.decided_at = OverrideState.APPROVED, actor.id, utcnow()
    try:
        allocation = create_allocation(item.base, year=item.year, amount_fen=item.amount_fen,
                                       document_no=item.document_no, purpose=item.purpose,
                                       period_start=item.period_start, period_end=item.period_end, actor=actor,
                                       override=item)
    except FundsError as e:
        raise SanctionError(e.message) from None
    item.allocation_id = allocation.id
    db.session.flush()
    audit.record("allocation_override_approved", obj=item, actor=actor,
                 detail={"base": item.base.code, "allocation_id": allocation.id, "proposed_by": item.proposed_by_id})
    return allocation


def withdraw_override(item: AllocationOverride, *, reason: str, actor: User) -> None:
    """The proposer or another admin withdraws a pending exception (with a reason)."""
    _require_admin(actor)
    if not can_withdraw_override(actor, item):
        raise SanctionError(N_("该例外下达申请不是待批准状态"))
    if not (reason or "").strip():
        raise SanctionError(N_("撤回必须说明理由"))
    item.state, item.decided_by_id, item.decided_at = OverrideState.WITHDRAWN, actor.id, utcnow()
    db.session.flush()
    audit.record("allocation_override_withdrawn", obj=item, actor=actor, detail={"reason": reason.strip()})


def overrides_of(base_id: int) -> list[AllocationOverride]:
    """The base's exception requests, newest first."""
    return list(db.session.scalars(select(AllocationOverride).where(AllocationOverride.base_id == base_id)
                                   .order_by(AllocationOverride.id.desc())))


# --- itemised recovery ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RecoveryLine:
    """One line of a recovery: kind unspent | forbidden | other, with its allocation or category."""

    kind: str
    amount_fen: int
    allocation_id: int | None = None
    category: str | None = None
    label: str = ""


def recovery_lines(base: FirstBatchBase) -> list[RecoveryLine]:
    """What revocation recovers: per allocation the funds received but not spent (received −
    verified spending, never below 0), and per forbidden category the verified spending in it
    (net of verified reversals), which counts as spent but was never allowed."""
    lines: list[RecoveryLine] = []
    accounts = db.session.execute(
        select(Allocation.id, Allocation.year, Allocation.document_no, FundAccount.received_fen,
               FundAccount.verified_spent_fen)
        .join(FundAccount, FundAccount.allocation_id == Allocation.id)
        .where(Allocation.base_id == base.id).order_by(Allocation.year, Allocation.id)).all()
    for alloc_id, year, document_no, received, spent in accounts:
        unspent = received - spent
        if unspent > 0:
            lines.append(RecoveryLine("unspent", unspent, allocation_id=alloc_id,
                                      label=f"{year}年资金（{document_no}）结余：已到位 {format_fen(received)} 元，"
                                            f"已核实支出 {format_fen(spent)} 元"))
    forbidden: dict[str, int] = defaultdict(int)
    for category, total in db.session.execute(
            select(Expenditure.category, func.sum(Expenditure.amount_fen)).join(Allocation)
            .where(Allocation.base_id == base.id, Expenditure.status == ExpenditureStatus.VERIFIED)
            .group_by(Expenditure.category)).all():
        if is_forbidden(category) and total:
            forbidden[category] += int(total)
    for category in sorted(forbidden):
        if forbidden[category] > 0:
            lines.append(RecoveryLine("forbidden", forbidden[category], category=category,
                                      label=f"违规列支 {category} {CATEGORY_LABELS.get(category, '')}"))
    return lines


def record_itemised_recovery(base: FirstBatchBase, lines: list[RecoveryLine], *, other_fen: int = 0, reason: str,
                             document_no: str = "", source: str = "", actor: User | None = None) -> FundRecovery:
    """Record a recovery whose amount is the sum of its lines (plus a further amount the ministry
    names), each line stored with it."""
    from .funds_ledger import record_recovery

    if isinstance(other_fen, bool) or not isinstance(other_fen, int) or other_fen < 0:
        raise SanctionError(N_("其他收回金额不能为负数"))
    if other_fen:
        lines = [*lines, RecoveryLine("other", other_fen, label="其他应收回资金")]
    total = sum(line.amount_fen for line in lines)
    recovery = record_recovery(base, amount_fen=total, reason=reason, document_no=document_no, source=source,
                               actor=actor)
    for line in lines:
        db.session.add(FundRecoveryItem(recovery_id=recovery.id, kind=line.kind, allocation_id=line.allocation_id,
                                        category=line.category, amount_fen=line.amount_fen))
    db.session.flush()
    audit.record("fund_recovery_itemised", obj=recovery, actor=actor,
                 detail={"items": [[line.kind, line.allocation_id, line.category, line.amount_fen]
                                   for line in lines]})
    return recovery
