"""Subsidy funds: first-batch bases and their allocations, and what every fund workflow shares (the
error, the compliance settings, the base lock). Money moving in and out is in funds_ledger, the
compliance flags in funds_flags. Services flush and audit; the view or command commits once.

Concurrency: every change to a base's money first locks the base row (SELECT … FOR UPDATE on
PostgreSQL; SQLite write transactions are BEGIN IMMEDIATE), and totals move only through
conditional UPDATEs of the allocation's guard row (fund_accounts), whose CHECK is the last line.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from ..domain import funds as rules
from ..domain.timeutil import default_allocation_period
from ..extensions import db
from ..models import Allocation, FirstBatchBase, FundAccount, Organisation, User
from . import audit
from ..domain.errors import DomainError, N_
from typing import Any

PENDING, VERIFIED, REJECTED = (rules.ExpenditureStatus.PENDING, rules.ExpenditureStatus.VERIFIED,
                               rules.ExpenditureStatus.REJECTED)


class FundsError(DomainError, ValueError):
    """A refused fund operation; the message is Chinese and shown to the user (field optional)."""

    def __init__(self, message: str, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field


def compliance_settings() -> rules.ComplianceSettings:
    """The configured knobs: FUNDS_LARGE_PAYMENT_FEN and FUNDS_OVER_RECEIVED_IS_FLAG."""
    cfg = current_app.config
    return rules.ComplianceSettings(
        large_payment_fen=int(cfg.get("FUNDS_LARGE_PAYMENT_FEN", rules.DEFAULT_LARGE_PAYMENT_FEN)),
        over_received_is_flag=bool(cfg.get("FUNDS_OVER_RECEIVED_IS_FLAG", False)),
    )


def lock_base(base_id: int) -> None:
    """Serialise every money change of one base (no-op on SQLite, whose writers are serialised already)."""
    db.session.execute(select(FirstBatchBase.id).where(FirstBatchBase.id == base_id).with_for_update())


# --- bases ----------------------------------------------------------------------------------------

def create_base(*, code: str, name: str, city: str, authority_code: str, organisation: Organisation,
                targets: dict[str, int] | None = None, actor: User | None = None) -> FirstBatchBase:
    """Register a first-batch base run by `organisation` (its applicant accounts act for it)."""
    code = code.strip().upper()
    if db.session.scalar(select(FirstBatchBase.id).where(FirstBatchBase.code == code)) is not None:
        raise FundsError(N_("基地编号 %(base)s 已存在"), "code", base=code)
    base = FirstBatchBase(code=code, name=name.strip(), city=city.strip(), authority_code=authority_code,
                          organisation_id=organisation.id)
    db.session.add(base)
    db.session.flush()
    if targets:  # the first version of the creation-plan targets, recorded like any later change
        from .plan_targets import set_targets

        set_targets(base, {k: int(v) for k, v in targets.items()}, actor=actor, source="create")
    audit.record("fund_base_created", obj=base, actor=actor,
                 detail={"code": code, "authority": authority_code, "organisation_id": organisation.id,
                         "targets": targets or {}})
    return base


# --- allocations ---------------------------------------------------------------------------------------

def create_allocation(base: FirstBatchBase, *, year: int, amount_fen: int, document_no: str, purpose: str = "",
                      period_start: dt.date | None = None, period_end: dt.date | None = None,
                      actor: User | None = None, override=None) -> Allocation:
    """Allocate central funds to a base; the period defaults to 1 Jan of the year to 31 Dec two years on.
    Refused for a base graded 差 or revoked unless `override` is its approved exception (sanctions.py)."""
    from .sanctions import SanctionError, check_allocation_allowed

    try:
        check_allocation_allowed(base, override)
    except SanctionError as e:
        raise FundsError(str(e)) from None
    if not 2000 <= year <= 2100:
        raise FundsError(N_("年度应在2000至2100之间"), "year")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise FundsError(N_("下达金额必须大于零"), "amount")
    if not document_no.strip():
        raise FundsError(N_("请填写下达文号"), "document_no")
    default_start, default_end = default_allocation_period(year)
    start, end = period_start or default_start, period_end or default_end
    if start > end:
        raise FundsError(N_("使用期限的开始日期不能晚于结束日期"), "period_end")
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
