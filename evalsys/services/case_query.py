"""Read-only queries of the typical-case pages: names for a page of cases and the case lists."""
from __future__ import annotations

from sqlalchemy import Select, select

from ..extensions import db
from ..listing import ListQuery, ordered, search
from ..models import CaseState, Organisation, TypicalCase


def organisation_names(org_ids: set[int]) -> dict[int, str]:
    """Names of the given organisations by id (none asked, no query)."""
    if not org_ids:
        return {}
    return dict(db.session.execute(select(Organisation.id, Organisation.name)
                                   .where(Organisation.id.in_(org_ids))).all())


CASE_SORTS = {"title": (TypicalCase.title,), "name": (Organisation.name,), "authority": (TypicalCase.authority_code,),
              "state": (TypicalCase.state,), "submitted": (TypicalCase.submitted_at,)}


def _cases(stmt: Select, lq: ListQuery, default: tuple) -> Select:
    """Search (title, organisation name, USCC), ?state=&authority= and the order of a case list."""
    stmt = search(stmt.join(Organisation, Organisation.id == TypicalCase.organisation_id), lq.q,
                  TypicalCase.title, Organisation.name, Organisation.uscc)
    if lq.get("state"):
        stmt = stmt.where(TypicalCase.state == CaseState(lq.get("state")))
    if lq.get("authority"):
        stmt = stmt.where(TypicalCase.authority_code == lq.get("authority"))
    return ordered(stmt, lq, CASE_SORTS, default, TypicalCase.id)


def organisation_cases(org_id: int, lq: ListQuery = ListQuery()) -> Select:
    """One organisation's cases; by default newest first."""
    return _cases(select(TypicalCase).where(TypicalCase.organisation_id == org_id), lq, (TypicalCase.id.desc(),))


def jurisdiction_cases(authority_code: str | None, lq: ListQuery = ListQuery()) -> Select:
    """The jurisdiction's cases; by default those waiting for the authority first, then newest first."""
    return _cases(select(TypicalCase).where(TypicalCase.authority_code == authority_code), lq,
                  ((TypicalCase.state != CaseState.SUBMITTED), TypicalCase.id.desc()))


def all_cases(lq: ListQuery = ListQuery()) -> Select:
    """Every typical case; by default those approved by their authority first, then newest first."""
    return _cases(select(TypicalCase), lq, ((TypicalCase.state != CaseState.AUTHORITY_APPROVED), TypicalCase.id.desc()))
