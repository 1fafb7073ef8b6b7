"""Subsidy-fund workflows: bases, allocations, tranches, expenditures, verification, reversals and
compliance flags. Services flush and audit; the view or command commits once.

Concurrency: every change to a base's money first locks the base row (SELECT … FOR UPDATE on
PostgreSQL; SQLite write transactions are BEGIN IMMEDIATE), and totals move only through
conditional UPDATEs of the allocation's guard row (fund_accounts), whose CHECK is the last line.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from ..domain import funds as rules
from ..domain.money import format_fen
from ..domain.timeutil import default_allocation_period
from ..extensions import db
from ..models import (Allocation, BaseTarget, ComplianceFlag, Expenditure, FirstBatchBase, FlagEvent, FlagState,
                      FundAccount, Organisation, StoredFile, Tranche, User)
from ..models.types import utcnow
from . import audit
from ..domain.errors import DomainError

PENDING, VERIFIED, REJECTED = (rules.ExpenditureStatus.PENDING, rules.ExpenditureStatus.VERIFIED,
                               rules.ExpenditureStatus.REJECTED)


class FundsError(DomainError, ValueError):
    """A refused fund operation; the message is Chinese and shown to the user (field optional)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def compliance_settings() -> rules.ComplianceSettings:
    """The configured knobs: FUNDS_LARGE_PAYMENT_FEN and FUNDS_OVER_RECEIVED_IS_FLAG."""
    cfg = current_app.config
    return rules.ComplianceSettings(
        large_payment_fen=int(cfg.get("FUNDS_LARGE_PAYMENT_FEN", rules.DEFAULT_LARGE_PAYMENT_FEN)),
        over_received_is_flag=bool(cfg.get("FUNDS_OVER_RECEIVED_IS_FLAG", False)),
    )


def check_version(obj: object, expected: int | None) -> None:
    """Refuse an edit made from a page showing an older version (the 409 "stale" page)."""
    if expected is not None and getattr(obj, "version_id") != expected:
        raise StaleDataError(f"{type(obj).__name__} version {expected} is stale")


def lock_base(base_id: int) -> None:
    """Serialise every money change of one base (no-op on SQLite, whose writers are serialised already)."""
    db.session.execute(select(FirstBatchBase.id).where(FirstBatchBase.id == base_id).with_for_update())


# --- bases ----------------------------------------------------------------------------------------

def create_base(*, code: str, name: str, city: str, authority_code: str, organisation: Organisation,
                targets: dict[str, int] | None = None, actor: User | None = None) -> FirstBatchBase:
    """Register a first-batch base run by `organisation` (its applicant accounts act for it)."""
    code = code.strip().upper()
    if db.session.scalar(select(FirstBatchBase.id).where(FirstBatchBase.code == code)) is not None:
        raise FundsError(f"基地编号 {code} 已存在", "code")
    base = FirstBatchBase(code=code, name=name.strip(), city=city.strip(), authority_code=authority_code,
                          organisation_id=organisation.id)
    db.session.add(base)
    db.session.flush()
    for field_id, value in sorted((targets or {}).items()):
        db.session.add(BaseTarget(base_id=base.id, field_id=field_id, value=int(value)))
    db.session.flush()
    audit.record("fund_base_created", obj=base, actor=actor,
                 detail={"code": code, "authority": authority_code, "organisation_id": organisation.id,
                         "targets": targets or {}})
    return base


# --- allocations and tranches -----------------------------------------------------------------------

def create_allocation(base: FirstBatchBase, *, year: int, amount_fen: int, document_no: str, purpose: str = "",
                      period_start: dt.date | None = None, period_end: dt.date | None = None,
                      actor: User | None = None) -> Allocation:
    """Allocate central funds to a base; the period defaults to 1 Jan of the year to 31 Dec two years on."""
    if not 2000 <= year <= 2100:
        raise FundsError("年度应在2000至2100之间", "year")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise FundsError("下达金额必须大于零", "amount")
    if not document_no.strip():
        raise FundsError("请填写下达文号", "document_no")
    default_start, default_end = default_allocation_period(year)
    start, end = period_start or default_start, period_end or default_end
    if start > end:
        raise FundsError("使用期限的开始日期不能晚于结束日期", "period_end")
    allocation = Allocation(base_id=base.id, year=year, amount_fen=amount_fen, document_no=document_no.strip(),
                            purpose=purpose.strip(), period_start=start, period_end=end,
                            created_by_id=actor.id if actor else None)
    db.session.add(allocation)
    db.session.flush()
    db.session.add(FundAccount(allocation_id=allocation.id, received_fen=0, verified_spent_fen=0,
                               overspend_allowed=False))
    db.session.flush()
    audit.record("fund_allocation_created", obj=allocation, actor=actor,
                 detail={"base": base.code, "year": year, "amount_fen": amount_fen, "document_no": document_no,
                         "period": [start.isoformat(), end.isoformat()]})
    return allocation


def _expire_account(allocation_id: int) -> None:
    # The guard row moves by SQL UPDATE: a loaded copy would show the old totals.
    account = db.session.identity_map.get(db.session.identity_key(FundAccount, (allocation_id,)))
    if account is not None:
        db.session.expire(account)


def record_tranche(allocation: Allocation, *, date: dt.date, amount_fen: int, document_no: str = "",
                   actor: User | None = None, refresh: bool = True) -> Tranche:
    """Record funds received; the received total may never exceed the allocated amount.
    `refresh=False` (bulk loading) leaves the flags to one refresh_flags call by the caller."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise FundsError("到位金额必须大于零", "amount")
    lock_base(allocation.base_id)
    moved = db.session.execute(
        update(FundAccount)
        .where(FundAccount.allocation_id == allocation.id,
               FundAccount.received_fen + amount_fen <= allocation.amount_fen)
        .values(received_fen=FundAccount.received_fen + amount_fen)
        .execution_options(synchronize_session=False)
    ).rowcount
    _expire_account(allocation.id)
    if moved != 1:
        received = db.session.scalar(select(FundAccount.received_fen).where(FundAccount.allocation_id == allocation.id))
        raise FundsError(f"累计到位资金不能超过下达金额：已到位 {format_fen(received or 0)} 元，"
                         f"下达 {format_fen(allocation.amount_fen)} 元", "amount")
    tranche = Tranche(allocation_id=allocation.id, date=date, amount_fen=amount_fen, document_no=document_no.strip(),
                      created_by_id=actor.id if actor else None)
    db.session.add(tranche)
    db.session.flush()
    audit.record("fund_tranche_recorded", obj=tranche, actor=actor,
                 detail={"allocation_id": allocation.id, "amount_fen": amount_fen, "date": date.isoformat(),
                         "document_no": document_no})
    if refresh:
        refresh_flags(allocation.base_id, actor=actor)
    return tranche


# --- expenditures -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpenditureInput:
    """What an operator enters for one payment (already parsed: amount in fen)."""

    date: dt.date
    project: str
    category: str
    amount_fen: int
    payee: str
    voucher_no: str = ""
    explanation: str = ""


def input_errors(allocation_id: int, data: ExpenditureInput, reverses: int | None = None) -> list[rules.FieldError]:
    """The domain's refusals for an entry (unknown category, OTH unexplained, sign of the amount)."""
    probe = rules.Expenditure(id=0, allocation_id=allocation_id, date=data.date, category=data.category,
                              amount_fen=data.amount_fen, voucher_no=data.voucher_no, project=data.project,
                              payee=data.payee, explanation=data.explanation, reverses=reverses)
    errors = rules.validate_expenditure(probe)
    if not data.project.strip():
        errors.append(rules.FieldError("project", "请填写项目名称"))
    if not data.payee.strip():
        errors.append(rules.FieldError("payee", "请填写收款单位"))
    return errors


def record_expenditure(allocation: Allocation, data: ExpenditureInput, *, voucher: StoredFile | None = None,
                       actor: User | None = None, import_key: str | None = None,
                       refresh: bool = True) -> Expenditure:
    """Record a payment (pending until the authority verifies it); flags are computed at once."""
    errors = input_errors(allocation.id, data)
    if errors:
        raise FundsError(errors[0].message, errors[0].field)
    lock_base(allocation.base_id)
    entry = Expenditure(allocation_id=allocation.id, date=data.date, project=data.project.strip(),
                        category=data.category, amount_fen=data.amount_fen, payee=data.payee.strip(),
                        voucher_no=data.voucher_no.strip(), explanation=data.explanation.strip(),
                        voucher_file_id=voucher.id if voucher else None, status=PENDING, import_key=import_key,
                        created_by_id=actor.id if actor else None)
    db.session.add(entry)
    db.session.flush()
    audit.record("fund_expenditure_recorded", obj=entry, actor=actor,
                 detail={"allocation_id": allocation.id, "amount_fen": data.amount_fen, "category": data.category,
                         "voucher_no": entry.voucher_no, "voucher_file_id": entry.voucher_file_id,
                         "imported": import_key is not None})
    if refresh:
        refresh_flags(allocation.base_id, actor=actor)
    return entry


def attach_voucher(entry: Expenditure, stored: StoredFile, *, actor: User | None = None,
                   expected_version: int | None = None) -> None:
    """Attach (or replace) the voucher scan of an entry that is still pending."""
    check_version(entry, expected_version)
    if entry.status != PENDING:
        raise FundsError("已核实或已驳回的支出不能再修改凭证")
    lock_base(entry.allocation.base_id)
    previous = entry.voucher_file_id
    entry.voucher_file_id = stored.id
    db.session.flush()
    audit.record("fund_voucher_attached", obj=entry, actor=actor,
                 detail={"voucher_file_id": stored.id, "previous": previous, "sha256": stored.sha256})
    refresh_flags(entry.allocation.base_id, actor=actor)


def verify_expenditure(entry: Expenditure, *, actor: User | None = None, expected_version: int | None = None,
                       refresh: bool = True) -> None:
    """The authority verifies an entry. Verified spending may not pass the funds received: the
    guard row's conditional UPDATE refuses it (or, with FUNDS_OVER_RECEIVED_IS_FLAG, the entry
    is verified, the account marked and the over_received flag raised)."""
    check_version(entry, expected_version)
    if entry.status != PENDING:
        raise FundsError("该支出已处理，不能重复核实")
    allocation = entry.allocation
    lock_base(allocation.base_id)
    amount = entry.amount_fen
    account = FundAccount.allocation_id == allocation.id
    stmt = update(FundAccount).values(verified_spent_fen=FundAccount.verified_spent_fen + amount)
    if amount > 0:
        moved = db.session.execute(
            stmt.where(account, FundAccount.verified_spent_fen + amount <= FundAccount.received_fen)
            .execution_options(synchronize_session=False)).rowcount
        if moved != 1:
            if not compliance_settings().over_received_is_flag:
                spent, received = db.session.execute(
                    select(FundAccount.verified_spent_fen, FundAccount.received_fen).where(account)).one()
                raise FundsError(f"不能核实：核实后已核实支出将达到 {format_fen(spent + amount)} 元，"
                                 f"超过已到位资金 {format_fen(received)} 元")
            db.session.execute(update(FundAccount).where(account).values(
                verified_spent_fen=FundAccount.verified_spent_fen + amount, overspend_allowed=True)
                .execution_options(synchronize_session=False))
    else:  # a reversal only ever lowers verified spending
        db.session.execute(stmt.where(account).execution_options(synchronize_session=False))
    _expire_account(allocation.id)
    entry.status = VERIFIED
    entry.decided_by_id = actor.id if actor else None
    entry.decided_at = utcnow()
    db.session.flush()  # the version check: a concurrent decision on this entry raises StaleDataError
    audit.record("fund_expenditure_verified", obj=entry, actor=actor,
                 detail={"allocation_id": allocation.id, "amount_fen": amount, "reverses": entry.reverses_id})
    if refresh:
        refresh_flags(allocation.base_id, actor=actor)


def reject_expenditure(entry: Expenditure, *, reason: str, actor: User | None = None,
                       expected_version: int | None = None, refresh: bool = True) -> None:
    """The authority rejects a pending entry with a reason; it then counts for nothing."""
    check_version(entry, expected_version)
    if not reason.strip():
        raise FundsError("驳回必须说明理由", "reason")
    if entry.status != PENDING:
        raise FundsError("该支出已处理，不能驳回")
    lock_base(entry.allocation.base_id)
    entry.status = REJECTED
    entry.decision_reason = reason.strip()
    entry.decided_by_id = actor.id if actor else None
    entry.decided_at = utcnow()
    db.session.flush()
    audit.record("fund_expenditure_rejected", obj=entry, actor=actor, detail={"reason": reason.strip()})
    if refresh:
        refresh_flags(entry.allocation.base_id, actor=actor)


def reverse_expenditure(entry: Expenditure, *, reason: str, date: dt.date, actor: User | None = None) -> Expenditure:
    """Record the reversing entry of a verified one (negative amount, pending verification)."""
    if not reason.strip():
        raise FundsError("冲销必须说明理由", "reason")
    if entry.status != VERIFIED or entry.is_reversal:
        raise FundsError("只能冲销已核实的支出")
    lock_base(entry.allocation.base_id)
    live = db.session.scalar(select(Expenditure.id).where(Expenditure.reverses_id == entry.id,
                                                          Expenditure.status != REJECTED))
    if live is not None:
        raise FundsError("该支出已有冲销分录")
    data = ExpenditureInput(date=date, project=f"冲销：{entry.project}"[:200], category=entry.category,
                            amount_fen=-entry.amount_fen, payee=entry.payee, voucher_no=entry.voucher_no,
                            explanation=reason.strip())
    errors = input_errors(entry.allocation_id, data, reverses=entry.id)
    if errors:
        raise FundsError(errors[0].message, errors[0].field)
    reversal = Expenditure(allocation_id=entry.allocation_id, date=date, project=data.project, category=data.category,
                           amount_fen=data.amount_fen, payee=data.payee, voucher_no=data.voucher_no,
                           explanation=data.explanation, reverses_id=entry.id, status=PENDING,
                           created_by_id=actor.id if actor else None)
    db.session.add(reversal)
    db.session.flush()
    audit.record("fund_expenditure_reversal_recorded", obj=reversal, actor=actor,
                 detail={"reverses": entry.id, "amount_fen": reversal.amount_fen, "reason": reason.strip()})
    refresh_flags(entry.allocation.base_id, actor=actor)
    return reversal


# --- compliance flags ------------------------------------------------------------------------------------

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


def resolve_flag(flag: ComplianceFlag, *, reason: str, actor: User, expected_version: int | None = None) -> None:
    """The authority resolves an open flag, explaining why."""
    check_version(flag, expected_version)
    if not reason.strip():
        raise FundsError("处理提示必须说明理由", "reason")
    if flag.state != FlagState.OPEN:
        raise FundsError("只能处理待处理的提示")
    flag.state, flag.updated_at = FlagState.RESOLVED, utcnow()
    db.session.flush()
    _flag_event(flag, "resolved", reason.strip(), actor.id, "fund_flag_resolved", actor)


def reopen_flag(flag: ComplianceFlag, *, reason: str, actor: User, expected_version: int | None = None) -> None:
    """The ministry reopens a resolved flag, explaining why."""
    check_version(flag, expected_version)
    if not reason.strip():
        raise FundsError("重新打开必须说明理由", "reason")
    if flag.state != FlagState.RESOLVED:
        raise FundsError("只能重新打开已处理的提示")
    flag.state, flag.updated_at = FlagState.OPEN, utcnow()
    db.session.flush()
    _flag_event(flag, "reopened", reason.strip(), actor.id, "fund_flag_reopened", actor)


# --- recoveries ----------------------------------------------------------------------------------------

def record_recovery(base: FirstBatchBase, *, amount_fen: int, reason: str, document_no: str = "",
                    source: str = "", actor: User | None = None) -> "FundRecovery":
    """Record funds to be recovered from a base (e.g. its title was revoked); an append-only entry."""
    from ..models import FundRecovery

    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise FundsError("收回金额必须大于零", "amount")
    if not reason.strip():
        raise FundsError("请说明收回资金的原因", "reason")
    lock_base(base.id)
    entry = FundRecovery(base_id=base.id, amount_fen=amount_fen, reason=reason.strip(),
                         document_no=document_no.strip(), source=source, recorded_by_id=actor.id if actor else None)
    db.session.add(entry)
    db.session.flush()
    audit.record("fund_recovery_recorded", obj=entry, actor=actor,
                 detail={"base": base.code, "amount_fen": amount_fen, "reason": reason.strip(),
                         "document_no": document_no.strip(), "source": source})
    return entry
