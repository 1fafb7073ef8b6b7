"""Compliance flags of a base's expenditures: computed from the rules, kept in step, resolved and reopened."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..domain import funds as rules
from ..extensions import db
from ..models import Allocation, ComplianceFlag, Expenditure, FlagEvent, FlagState, Tranche, User
from ..models.types import utcnow
from . import audit
from .funds import REJECTED, VERIFIED, FundsError, compliance_settings
from .versioning import check_version
from ..domain.errors import N_


def _as_rule_allocation(a: Allocation) -> rules.Allocation:
    return rules.Allocation(a.id, a.base_id, a.year, a.amount_fen, a.period_start, a.period_end,
                            a.document_no, a.purpose)


def _as_rule_expenditure(e: Expenditure) -> rules.Expenditure:
    return rules.Expenditure(id=e.id, allocation_id=e.allocation_id, date=e.date, category=e.category,
                             amount_fen=e.amount_fen, voucher_no=e.voucher_no,
                             has_voucher_scan=e.voucher_file_id is not None, project=e.project, payee=e.payee,
                             explanation=e.explanation, status=e.status, reverses=e.reverses_id)


def computed_flags(base_id: int) -> dict[int, dict[str, str]]:
    """Flags every entry of a base should carry now: {entry id: {code: message}}.

    Over-received is always checked: for a pending entry it warns that verifying it would pass
    the funds received, and a verified entry can only carry it when the setting let it through.
    Rejected entries, reversals and entries whose reversal is verified carry none: they no
    longer count as spending.
    """
    allocations = {a.id: _as_rule_allocation(a) for a in db.session.scalars(
        select(Allocation).where(Allocation.base_id == base_id))}
    if not allocations:
        return {}
    tranches = [rules.Tranche(t.id, t.allocation_id, t.date, t.amount_fen) for t in db.session.scalars(
        select(Tranche).where(Tranche.allocation_id.in_(allocations)))]
    entries = [_as_rule_expenditure(e) for e in db.session.scalars(
        select(Expenditure).where(Expenditure.allocation_id.in_(allocations)).order_by(Expenditure.id))]
    reversed_ids = {e.reverses for e in entries if e.reverses is not None and e.status == VERIFIED}
    settings = rules.ComplianceSettings(large_payment_fen=compliance_settings().large_payment_fen,
                                        over_received_is_flag=True)
    result: dict[int, dict[str, str]] = {}
    for e in entries:
        if e.status == REJECTED or e.reverses is not None or e.id in reversed_ids:
            result[e.id] = {}
            continue
        found = rules.check_expenditure(e, allocations=allocations, tranches=tranches, expenditures=entries,
                                        settings=settings)
        result[e.id] = {f.code: f.message for f in found}
    return result


def refresh_flags(base_id: int, *, actor: User | None = None) -> None:
    """Bring the stored flags of a base in line with the rules: raise new ones, clear those whose
    condition is gone, raise a cleared one again when it returns. Resolved flags stay resolved."""
    wanted = computed_flags(base_id)
    existing: dict[tuple[int, str], ComplianceFlag] = {
        (f.expenditure_id, f.code): f for f in db.session.scalars(
            select(ComplianceFlag).join(Expenditure).join(Allocation).where(Allocation.base_id == base_id))}
    now = utcnow()
    for entry_id, codes in wanted.items():
        for code, message in codes.items():
            flag = existing.get((entry_id, code))
            if flag is None:
                flag = ComplianceFlag(expenditure_id=entry_id, code=code, message=message, state=FlagState.OPEN,
                                      raised_at=now, updated_at=now)
                db.session.add(flag)
                db.session.flush()
                _flag_event(flag, "raised", message, None, "fund_flag_raised", actor)
            else:
                if flag.message != message:
                    flag.message = message
                if flag.state == FlagState.CLEARED:
                    flag.state, flag.updated_at = FlagState.OPEN, now
                    _flag_event(flag, "reraised", message, None, "fund_flag_reraised", actor)
    for (entry_id, code), flag in existing.items():
        if code not in wanted.get(entry_id, {}) and flag.state != FlagState.CLEARED:
            flag.state, flag.updated_at = FlagState.CLEARED, now
            _flag_event(flag, "cleared", "条件已不存在（支出被驳回、冲销或已补正）", None, "fund_flag_cleared", actor)
    db.session.flush()


def _flag_event(flag: ComplianceFlag, action: str, reason: str, actor_id: int | None, event: str,
                actor: User | None) -> None:
    db.session.add(FlagEvent(flag_id=flag.id, action=action, reason=reason, actor_id=actor_id))
    audit.record(event, obj=flag, actor=actor,
                 detail={"expenditure_id": flag.expenditure_id, "code": flag.code, "reason": reason})


@dataclass(frozen=True)
class _FlagMove:
    """One direction a person moves a flag: from which state to which, and what the refusals and records say."""

    source: FlagState
    target: FlagState
    reason_missing: str
    wrong_state: str
    action: str
    event: str


_RESOLVE = _FlagMove(FlagState.OPEN, FlagState.RESOLVED, N_("处理提示必须说明理由"), N_("只能处理待处理的提示"),
                     "resolved", "fund_flag_resolved")
_REOPEN = _FlagMove(FlagState.RESOLVED, FlagState.OPEN, N_("重新打开必须说明理由"), N_("只能重新打开已处理的提示"),
                    "reopened", "fund_flag_reopened")


def _move_flag(flag: ComplianceFlag, move: _FlagMove, *, reason: str, actor: User,
               expected_version: int | None) -> None:
    """The one transition both directions share: version, reason and state checked, then event and audit."""
    check_version(flag, expected_version)
    if not reason.strip():
        raise FundsError(move.reason_missing, "reason")
    if flag.state != move.source:
        raise FundsError(move.wrong_state)
    flag.state, flag.updated_at = move.target, utcnow()
    db.session.flush()
    _flag_event(flag, move.action, reason.strip(), actor.id, move.event, actor)


def resolve_flag(flag: ComplianceFlag, *, reason: str, actor: User, expected_version: int | None = None) -> None:
    """The authority resolves an open flag, explaining why."""
    _move_flag(flag, _RESOLVE, reason=reason, actor=actor, expected_version=expected_version)


def reopen_flag(flag: ComplianceFlag, *, reason: str, actor: User, expected_version: int | None = None) -> None:
    """The ministry reopens a resolved flag, explaining why."""
    _move_flag(flag, _REOPEN, reason=reason, actor=actor, expected_version=expected_version)
