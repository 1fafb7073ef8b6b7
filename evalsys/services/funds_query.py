"""Read-only fund queries: which bases a user sees, execution figures per base, year and category,
the ministry summary (the `funds summary` JSON contract) and sorting of dashboard tables."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload, selectinload

from ..domain import funds as rules
from ..domain.money import rate_bp
from ..extensions import db
from ..models import Allocation, ComplianceFlag, Expenditure, FirstBatchBase, FlagState, Role, Tranche

VERIFIED = rules.ExpenditureStatus.VERIFIED


def visible_bases(user: Any) -> Select:
    """Bases a user may see: the ministry all, an authority its jurisdiction, an operator its own."""
    stmt = select(FirstBatchBase).order_by(FirstBatchBase.code)
    if user.role == Role.ADMIN:
        return stmt
    if user.role == Role.AUTHORITY and user.authority_code:
        return stmt.where(FirstBatchBase.authority_code == user.authority_code)
    if user.role == Role.APPLICANT and user.organisation_id:
        return stmt.where(FirstBatchBase.organisation_id == user.organisation_id)
    return stmt.where(False)


@dataclass(frozen=True)
class BaseFigures:
    """One dashboard row: a base, its figures and its open flags."""

    base: FirstBatchBase
    figures: rules.Figures
    open_flags: int

    @property
    def arrival_bp(self) -> int | None:
        return rate_bp(self.figures.received_fen, self.figures.allocated_fen)

    @property
    def execution_bp(self) -> int | None:
        return rate_bp(self.figures.spent_fen, self.figures.received_fen)


def _figures(base_ids: list[int], year: int | None) -> dict[tuple[int, int], rules.Figures]:
    """Figures per (base id, allocation year), summed in SQL: three grouped queries whatever the
    number of entries (the rules are those of rules.figures_by_base_year)."""
    def scoped(stmt):
        stmt = stmt.where(Allocation.base_id.in_(base_ids))
        return stmt.where(Allocation.year == year) if year is not None else stmt

    key = (Allocation.base_id, Allocation.year)
    allocated = dict(((b, y), int(v)) for b, y, v in db.session.execute(
        scoped(select(*key, func.sum(Allocation.amount_fen)).group_by(*key))))
    received = dict(((b, y), int(v)) for b, y, v in db.session.execute(
        scoped(select(*key, func.sum(Tranche.amount_fen)).join(Allocation, Allocation.id == Tranche.allocation_id)
               .group_by(*key))))
    spent = dict(((b, y), int(v)) for b, y, v in db.session.execute(
        scoped(select(*key, func.sum(Expenditure.amount_fen))
               .join(Allocation, Allocation.id == Expenditure.allocation_id)
               .where(Expenditure.status == VERIFIED).group_by(*key))))
    keys = sorted(set(allocated) | set(received) | set(spent))
    return {k: rules.Figures(allocated.get(k, 0), received.get(k, 0), spent.get(k, 0)) for k in keys}


def open_flag_counts(base_ids: list[int], year: int | None = None) -> dict[int, int]:
    """Open flags per base (of that year's allocations when a year is given)."""
    stmt = (select(Allocation.base_id, func.count(ComplianceFlag.id))
            .join(Expenditure, Expenditure.id == ComplianceFlag.expenditure_id)
            .join(Allocation, Allocation.id == Expenditure.allocation_id)
            .where(ComplianceFlag.state == FlagState.OPEN, Allocation.base_id.in_(base_ids))
            .group_by(Allocation.base_id))
    if year is not None:
        stmt = stmt.where(Allocation.year == year)
    return dict(db.session.execute(stmt).all())


def base_figures(bases: list[FirstBatchBase], year: int | None = None) -> list[BaseFigures]:
    """Figures per base over all allocation years, or one year; rows in the order given."""
    ids = [b.id for b in bases]
    per_key = _figures(ids, year)
    grouped: dict[int, dict] = defaultdict(dict)
    for (base_id, y), figures in per_key.items():
        grouped[base_id][y] = figures
    flags = open_flag_counts(ids, year)
    return [BaseFigures(b, rules.total_figures(grouped.get(b.id, {})), flags.get(b.id, 0)) for b in bases]


def year_figures(base: FirstBatchBase) -> list[tuple[int, rules.Figures]]:
    """Figures of one base per allocation year."""
    per_key = _figures([base.id], None)
    return [(y, f) for (_, y), f in sorted(per_key.items())]


def category_spending(base_ids: list[int], year: int | None = None) -> dict[str, int]:
    """Verified spending per category over the given bases (reversals included)."""
    stmt = (select(Expenditure.category, func.sum(Expenditure.amount_fen))
            .join(Allocation, Allocation.id == Expenditure.allocation_id)
            .where(Expenditure.status == VERIFIED, Allocation.base_id.in_(base_ids)).group_by(Expenditure.category))
    if year is not None:
        stmt = stmt.where(Allocation.year == year)
    totals = {category: int(fen) for category, fen in db.session.execute(stmt)}
    return {code: totals[code] for code in rules.CATEGORY_LABELS if totals.get(code)}


def summary(year: int | None = None) -> list[dict[str, Any]]:
    """The ministry summary, one object per base ordered by code (the `funds summary` contract)."""
    bases = list(db.session.scalars(select(FirstBatchBase).order_by(FirstBatchBase.code)))
    return [{"base": row.base.code, "authority": row.base.authority_code,
             "allocated_fen": row.figures.allocated_fen, "received_fen": row.figures.received_fen,
             "spent_fen": row.figures.spent_fen, "arrival_rate": row.figures.arrival_rate,
             "execution_rate": row.figures.execution_rate, "open_flags": row.open_flags}
            for row in base_figures(bases, year)]


SORT_KEYS = {
    "code": lambda r: r.base.code,
    "name": lambda r: r.base.name,
    "authority": lambda r: r.base.authority_code,
    "allocated": lambda r: r.figures.allocated_fen,
    "received": lambda r: r.figures.received_fen,
    "spent": lambda r: r.figures.spent_fen,
    "arrival": lambda r: r.arrival_bp,
    "execution": lambda r: r.execution_bp,
    "flags": lambda r: r.open_flags,
}


def sort_rows(rows: list[BaseFigures], key: str, descending: bool) -> list[BaseFigures]:
    """Sort dashboard rows by a known key (unknown → code); rows without a rate always come last."""
    getter = SORT_KEYS.get(key, SORT_KEYS["code"])
    known = [r for r in rows if getter(r) is not None]
    missing = [r for r in rows if getter(r) is None]
    known.sort(key=lambda r: (getter(r), r.base.code), reverse=descending)
    return known + missing


def available_years() -> list[int]:
    """Allocation years present, for the year filters."""
    return list(db.session.scalars(select(Allocation.year).distinct().order_by(Allocation.year)))


def visible_base_list(user: Any) -> list[FirstBatchBase]:
    """The bases a user may see, loaded, ordered by code (with their authority; the operating
    organisation, which the lists of bases do not show, is read only if asked for)."""
    return list(db.session.scalars(visible_bases(user).options(lazyload(FirstBatchBase.operator))).unique())


def reversals_of(entry: Expenditure) -> list[Expenditure]:
    """Entries reversing one entry, newest first."""
    return list(db.session.scalars(select(Expenditure).where(Expenditure.reverses_id == entry.id)
                                   .order_by(Expenditure.id.desc())).unique().all())


def base_allocations(base: FirstBatchBase) -> list[Allocation]:
    """Allocations of one base by year."""
    return list(db.session.scalars(select(Allocation).where(Allocation.base_id == base.id)
                                   .order_by(Allocation.year, Allocation.id)).unique())


def base_entries(base: FirstBatchBase, status: rules.ExpenditureStatus | None, year: int | None,
                 column: Any, descending: bool) -> Select:
    """Entries of one base, optionally of one status and allocation year, sorted by a column."""
    stmt = select(Expenditure).join(Allocation).where(Allocation.base_id == base.id)
    if status is not None:
        stmt = stmt.where(Expenditure.status == status)
    if year:
        stmt = stmt.where(Allocation.year == year)
    return stmt.order_by(column.desc() if descending else column.asc(), Expenditure.id.desc())


def visible_flags(user: Any, state: FlagState | None) -> Select:
    """Flags of the bases a user may see, optionally of one state, newest first."""
    stmt = (select(ComplianceFlag).join(Expenditure).join(Allocation).join(FirstBatchBase)
            .where(FirstBatchBase.id.in_(visible_bases(user)
                                         .with_only_columns(FirstBatchBase.id).order_by(None))))
    if state is not None:
        stmt = stmt.where(ComplianceFlag.state == state)
    return stmt.order_by(ComplianceFlag.updated_at.desc(), ComplianceFlag.id.desc())


def base_year_entries(base: FirstBatchBase, year: int) -> Any:
    """Entries of one base's allocations of one year, by date."""
    return db.session.scalars(select(Expenditure).join(Allocation).where(
        Allocation.base_id == base.id, Allocation.year == year)
        .order_by(Expenditure.date, Expenditure.id)).unique()


@dataclass(frozen=True)
class EntryFilter:
    """What the authority's entries page was asked for (?status=, default pending); unknown means "all"."""

    status: rules.ExpenditureStatus | None = None

    @classmethod
    def parse(cls, status: str) -> EntryFilter:
        known = {s.value for s in rules.ExpenditureStatus}
        return cls(rules.ExpenditureStatus(status) if status in known else None)


def jurisdiction_entries(authority_code: str | None, f: EntryFilter) -> Select:
    """Entries of the jurisdiction's bases, oldest first, with their flags loaded in one query."""
    stmt = (select(Expenditure).join(Allocation).join(FirstBatchBase)
            .where(FirstBatchBase.authority_code == authority_code))
    if f.status is not None:
        stmt = stmt.where(Expenditure.status == f.status)
    return stmt.order_by(Expenditure.created_at, Expenditure.id).options(selectinload(Expenditure.flags))
