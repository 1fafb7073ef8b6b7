"""The money of a base: tranches received, expenditures recorded, verified, rejected or reversed, recoveries.

Concurrency: see services/funds.py (the base row is locked first; totals move through the guard row).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from ..domain import funds as rules
from ..domain.money import format_fen
from ..extensions import db
from ..models import Allocation, Expenditure, FirstBatchBase, FundAccount, StoredFile, Tranche, User
from ..models.types import utcnow
from . import audit
from .funds import PENDING, REJECTED, VERIFIED, FundsError, compliance_settings, lock_base
from .funds_flags import refresh_flags
from .versioning import check_version
from ..domain.errors import N_


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
        raise FundsError(N_("到位金额必须大于零"), "amount")
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
        raise FundsError(N_("累计到位资金不能超过下达金额：已到位 %(received)s 元，下达 %(allocated)s 元"), "amount",
                         received=format_fen(received or 0), allocated=format_fen(allocation.amount_fen))
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
        errors.append(rules.FieldError("project", N_("请填写项目名称")))
    if not data.payee.strip():
        errors.append(rules.FieldError("payee", N_("请填写收款单位")))
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
        raise FundsError(N_("已核实或已驳回的支出不能再修改凭证"))
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
        raise FundsError(N_("该支出已处理，不能重复核实"))
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
                raise FundsError(N_("不能核实：核实后已核实支出将达到 %(spent)s 元，超过已到位资金 %(received)s 元"),
                                 spent=format_fen(spent + amount), received=format_fen(received))
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
        raise FundsError(N_("驳回必须说明理由"), "reason")
    if entry.status != PENDING:
        raise FundsError(N_("该支出已处理，不能驳回"))
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
        raise FundsError(N_("冲销必须说明理由"), "reason")
    if entry.status != VERIFIED or entry.is_reversal:
        raise FundsError(N_("只能冲销已核实的支出"))
    lock_base(entry.allocation.base_id)
    live = db.session.scalar(select(Expenditure.id).where(Expenditure.reverses_id == entry.id,
                                                          Expenditure.status != REJECTED))
    if live is not None:
        raise FundsError(N_("该支出已有冲销分录"))
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


def record_recovery(base: FirstBatchBase, *, amount_fen: int, reason: str, document_no: str = "",
                    source: str = "", actor: User | None = None) -> "FundRecovery":
    """Record funds to be recovered from a base (e.g. its title was revoked); an append-only entry."""
    from ..models import FundRecovery

    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise FundsError(N_("收回金额必须大于零"), "amount")
    if not reason.strip():
        raise FundsError(N_("请说明收回资金的原因"), "reason")
    lock_base(base.id)
    entry = FundRecovery(base_id=base.id, amount_fen=amount_fen, reason=reason.strip(),
                         document_no=document_no.strip(), source=source, recorded_by_id=actor.id if actor else None)
    db.session.add(entry)
    db.session.flush()
    audit.record("fund_recovery_recorded", obj=entry, actor=actor,
                 detail={"base": base.code, "amount_fen": amount_fen, "reason": reason.strip(),
                         "document_no": document_no.strip(), "source": source})
    return entry
