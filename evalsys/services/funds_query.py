"""Read-only fund queries: which bases a user sees, execution figures per base, year and category,
the ministry summary (the `funds summary` JSON contract), the dashboard's list and the entry and flag lists."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import lazyload, selectinload

from ..domain import funds as rules
from ..domain.money import rate_bp
from ..extensions import db
from ..listing import ListQuery, ordered, search
from ..models import Allocation, ComplianceFlag, Expenditure, FirstBatchBase, FlagState, FundAccount, Organisation, Role

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


def open_flag_counts(base_ids: list[int], year: int | None = None) -> dict[int, int]:
    """Open flags per base (of that year's allocations when a year is given)."""
    stmt = _open_flags(Allocation.base_id.in_(base_ids), year).add_columns(Allocation.base_id)
    return {base_id: n for n, base_id in db.session.execute(stmt.group_by(Allocation.base_id))}


def _of_year(stmt: Select, year: int | None) -> Select:
    return stmt.where(Allocation.year == year) if year is not None else stmt


@lru_cache(maxsize=32)
def _figure_columns(year: int | None) -> dict[str, Any]:
    """A base's figures (of `year`'s allocations, or of all) as sums correlated to the base, to sort the dashboard
    by; built once per year and process (a statement is immutable; building one costs more than running it)."""
    of_base = Allocation.base_id == FirstBatchBase.id
    ledger = _ledger(of_base, year).correlate(FirstBatchBase)
    columns = {name: func.coalesce(ledger.with_only_columns(column, maintain_column_froms=True).scalar_subquery(), 0)
               for name, column in ledger.selected_columns.items()}
    columns["flags"] = _open_flags(of_base, year).correlate(FirstBatchBase).scalar_subquery()
    return columns


def _ledger(where: Any, year: int | None) -> Select:
    """Allocated, received and verified-spent sums of the allocations `where` picks (of `year`, or of all), from
    their guard rows: one row per allocation, however many tranches and entries it has."""
    return _of_year(select(func.sum(Allocation.amount_fen).label("allocated"),
                           func.sum(FundAccount.received_fen).label("received"),
                           func.sum(FundAccount.verified_spent_fen).label("spent"))
                    .select_from(Allocation).join(FundAccount, FundAccount.allocation_id == Allocation.id)
                    .where(where), year)


def _open_flags(where: Any, year: int | None) -> Select:
    """The open flags of the entries of the allocations `where` picks."""
    return _of_year(select(func.count(ComplianceFlag.id).label("n"))
                    .join(Expenditure, Expenditure.id == ComplianceFlag.expenditure_id)
                    .join(Allocation, Allocation.id == Expenditure.allocation_id)
                    .where(ComplianceFlag.state == FlagState.OPEN, where), year)


@lru_cache(maxsize=32)
def _page_figures(year: int | None) -> Select:
    """A page of bases (`:ids`) with their figures: the page's allocations summed by base in one pass, and its
    open flags counted by base in another (sums correlated to each row ran once per row and column)."""
    of_page = Allocation.base_id.in_(bindparam("ids", expanding=True))
    ledger = _ledger(of_page, year).add_columns(Allocation.base_id).group_by(Allocation.base_id).subquery()
    flags = _open_flags(of_page, year).add_columns(Allocation.base_id).group_by(Allocation.base_id).subquery()
    return (select(FirstBatchBase.id, ledger.c.allocated, ledger.c.received, ledger.c.spent, flags.c.n)
            .outerjoin(ledger, ledger.c.base_id == FirstBatchBase.id)
            .outerjoin(flags, flags.c.base_id == FirstBatchBase.id)
            .where(FirstBatchBase.id.in_(bindparam("ids", expanding=True))))


def base_figures(bases: list[FirstBatchBase], year: int | None = None) -> list[BaseFigures]:
    """Figures per base over all allocation years, or one year; rows in the order given (one query)."""
    if not bases:
        return []
    found = {row[0]: row[1:] for row in db.session.execute(_page_figures(year), {"ids": [b.id for b in bases]})}
    rows = []
    for b in bases:
        allocated, received, spent, flags = found.get(b.id, (0, 0, 0, 0))
        rows.append(BaseFigures(b, rules.Figures(int(allocated or 0), int(received or 0), int(spent or 0)),
                                int(flags or 0)))
    return rows


def year_figures(base: FirstBatchBase) -> list[tuple[int, rules.Figures]]:
    """Figures of one base per allocation year: one grouped query over its allocations and their guard rows,
    whose received and verified-spent totals move with every tranche and decision (services/funds_ledger.py)
    and so equal the rules of rules.figures_by_base_year over the tranches and verified entries."""
    stmt = (_ledger(Allocation.base_id == base.id, None).add_columns(Allocation.year)
            .group_by(Allocation.year).order_by(Allocation.year))
    return [(y, rules.Figures(int(allocated), int(received), int(spent)))
            for allocated, received, spent, y in db.session.execute(stmt)]


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


BASE_SORT_KEYS = ("code", "name", "authority", "allocated", "received", "spent", "arrival", "execution", "flags")


@lru_cache(maxsize=32)
def _base_sorts(year: int | None) -> dict[str, tuple]:
    """The dashboard's sort keys as SQL: a base's own columns, or its figures (`_figure_columns`); a rate without
    a denominator sorts last."""
    f = _figure_columns(year)
    allocated, received, spent = f["allocated"], f["received"], f["spent"]
    return {"code": (FirstBatchBase.code,), "name": (FirstBatchBase.name,), "authority": (FirstBatchBase.authority_code,),
            "allocated": (allocated,), "received": (received,), "spent": (spent,),
            "arrival": (received * 1.0 / func.nullif(allocated, 0),),
            "execution": (spent * 1.0 / func.nullif(received, 0),), "flags": (f["flags"],)}


def dashboard_bases(user: Any, lq: ListQuery, year: int | None) -> Select:
    """The bases a user sees matching the search (code, name, city, operator name or USCC) and ?authority=, sorted
    by a whitelisted key (a figure of `year`, or of all years); by default by code (to paginate). The authorities
    are named from `authority_list`, not joined into every row."""
    stmt = (visible_bases(user).order_by(None).join(Organisation, Organisation.id == FirstBatchBase.organisation_id)
            .options(lazyload(FirstBatchBase.operator), lazyload(FirstBatchBase.authority)))
    stmt = search(stmt, lq.q, FirstBatchBase.code, FirstBatchBase.name, FirstBatchBase.city, Organisation.name,
                  Organisation.uscc)
    if lq.get("authority"):
        stmt = stmt.where(FirstBatchBase.authority_code == lq.get("authority"))
    return ordered(stmt, lq, _base_sorts(year), (FirstBatchBase.code,), FirstBatchBase.code)


def totals(stmt: Select, year: int | None) -> tuple[rules.Figures, int]:
    """The figures summed over every base of a dashboard statement (the whole filtered list, not one page), and
    their open flags: one query, the bases chosen by a subquery."""
    of_list = Allocation.base_id.in_(stmt.with_only_columns(FirstBatchBase.id).order_by(None))
    flags = _open_flags(of_list, year).correlate(None).scalar_subquery()
    allocated, received, spent, n = db.session.execute(_ledger(of_list, year).add_columns(flags)).one()
    return rules.Figures(int(allocated or 0), int(received or 0), int(spent or 0)), int(n or 0)


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


ENTRY_SORTS = {"date": (Expenditure.date,), "amount": (Expenditure.amount_fen,), "id": (Expenditure.id,),
               "project": (Expenditure.project,), "category": (Expenditure.category,), "payee": (Expenditure.payee,),
               "status": (Expenditure.status,), "base": (FirstBatchBase.code,)}


def _entries(stmt: Select, lq: ListQuery, default: tuple) -> Select:
    """Search (project, payee, voucher number, category code), ?status=&year= and the order of an entry list."""
    stmt = search(stmt, lq.q, Expenditure.project, Expenditure.payee, Expenditure.voucher_no, Expenditure.category)
    if lq.get("status") in {s.value for s in rules.ExpenditureStatus}:
        stmt = stmt.where(Expenditure.status == rules.ExpenditureStatus(lq.get("status")))
    if lq.get("year").isdigit():
        stmt = stmt.where(Allocation.year == int(lq.get("year")))
    return ordered(stmt, lq, ENTRY_SORTS, default, Expenditure.id)


def base_entries(base: FirstBatchBase, lq: ListQuery) -> Select:
    """Entries of one base matching the search and filters; by default newest date first."""
    stmt = (select(Expenditure).join(Allocation, Allocation.id == Expenditure.allocation_id)
            .join(FirstBatchBase, FirstBatchBase.id == Allocation.base_id).where(Allocation.base_id == base.id))
    return _entries(stmt, lq, (Expenditure.date.desc(), Expenditure.id.desc()))


FLAG_SORTS = {"updated": (ComplianceFlag.updated_at,), "base": (FirstBatchBase.code,), "code": (ComplianceFlag.code,),
              "state": (ComplianceFlag.state,), "amount": (Expenditure.amount_fen,)}


def visible_flags(user: Any, lq: ListQuery) -> Select:
    """Flags of the bases a user may see matching the search (base code or name, project, payee) and ?state=
    ("all": every state); by default newest first."""
    stmt = (select(ComplianceFlag).join(Expenditure, Expenditure.id == ComplianceFlag.expenditure_id)
            .join(Allocation, Allocation.id == Expenditure.allocation_id)
            .join(FirstBatchBase, FirstBatchBase.id == Allocation.base_id)
            .where(FirstBatchBase.id.in_(visible_bases(user)
                                         .with_only_columns(FirstBatchBase.id).order_by(None))))
    stmt = search(stmt, lq.q, FirstBatchBase.code, FirstBatchBase.name, Expenditure.project, Expenditure.payee)
    if lq.get("state") in {s.value for s in FlagState}:
        stmt = stmt.where(ComplianceFlag.state == FlagState(lq.get("state")))
    return ordered(stmt, lq, FLAG_SORTS, (ComplianceFlag.updated_at.desc(), ComplianceFlag.id.desc()), ComplianceFlag.id)


def base_year_entries(base: FirstBatchBase, year: int) -> Any:
    """Entries of one base's allocations of one year, by date."""
    return db.session.scalars(select(Expenditure).join(Allocation).where(
        Allocation.base_id == base.id, Allocation.year == year)
        .order_by(Expenditure.date, Expenditure.id)).unique()


def jurisdiction_entries(authority_code: str | None, lq: ListQuery) -> Select:
    """Entries of the jurisdiction's bases matching the search and filters, with their flags loaded in one query;
    by default oldest first."""
    stmt = (select(Expenditure).join(Allocation, Allocation.id == Expenditure.allocation_id)
            .join(FirstBatchBase, FirstBatchBase.id == Allocation.base_id)
            .where(FirstBatchBase.authority_code == authority_code))
    return _entries(stmt, lq, (Expenditure.created_at, Expenditure.id)).options(selectinload(Expenditure.flags))
