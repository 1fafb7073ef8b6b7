"""Builders for subsidy-fund tests: a base with its operator, allocations with tranches, entries."""
from __future__ import annotations

import datetime as dt
import itertools

from evalsys.extensions import db
from evalsys.models import Allocation, Expenditure, FirstBatchBase
from evalsys.services import funds, funds_ledger
from tests.factories import make_org

_seq = itertools.count(1)


def make_base(*, authority_code: str = "320000", region: str = "320500", organisation=None,
              code: str | None = None) -> FirstBatchBase:
    """A first-batch base of `authority_code` with a fresh operator organisation."""
    n = next(_seq)
    org = organisation or make_org(authority_code=authority_code, region=region,
                                   name=f"测试基地运营管理有限公司{n}")
    return funds.create_base(code=code or f"T{n:02d}-{n}", name=f"测试电子商务产业基地{n}", city="苏州",
                             authority_code=authority_code, organisation=org)


def make_allocation(base: FirstBatchBase, *, year: int = 2013, amount_fen: int = 1_000_000_00,
                    received_fen: int | None = None) -> Allocation:
    """An allocation with one tranche of `received_fen` (default: the whole amount)."""
    allocation = funds.create_allocation(base, year=year, amount_fen=amount_fen,
                                         document_no=f"商财函〔{year}〕{next(_seq)}号", purpose="公共服务平台建设")
    received = amount_fen if received_fen is None else received_fen
    if received:
        funds_ledger.record_tranche(allocation, date=dt.date(year, 6, 1), amount_fen=received, document_no="到位1")
    return allocation


def entry_input(**kw) -> funds_ledger.ExpenditureInput:
    """An ordinary, compliant entry (override any field)."""
    n = next(_seq)
    values = dict(date=dt.date(2014, 3, 1), project="公共服务平台运营", category="PSP", amount_fen=10_000_00,
                  payee="某某信息技术有限公司", voucher_no=f"JZ-{n:05d}", explanation="")
    values.update(kw)
    return funds_ledger.ExpenditureInput(**values)


def make_entry(allocation: Allocation, *, voucher=None, **kw) -> Expenditure:
    """A pending entry on `allocation`."""
    return funds_ledger.record_expenditure(allocation, entry_input(**kw), voucher=voucher)


def flag_codes(entry: Expenditure, state: str | None = "open") -> set[str]:
    """Codes of an entry's flags (in one state, or all)."""
    db.session.refresh(entry)
    return {f.code for f in entry.flags if state is None or f.state.value == state}
