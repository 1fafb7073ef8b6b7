"""Read-only queries of the typical-case pages: names for a page of cases and the case lists."""
from __future__ import annotations

from sqlalchemy import Select, select

from ..extensions import db
from ..models import Authority, CaseState, Organisation, TypicalCase


def organisation_names(org_ids: set[int]) -> dict[int, str]:
    """Names of the given organisations by id (none asked, no query)."""
    if not org_ids:
        return {}
    return dict(db.session.execute(select(Organisation.id, Organisation.name)
                                   .where(Organisation.id.in_(org_ids))).all())


def authority_names() -> dict[str, str]:
    """Every authority's name by code."""
    return dict(db.session.execute(select(Authority.code, Authority.name)).all())


def organisation_cases(org_id: int) -> Select:
    """One organisation's cases, newest first."""
    return select(TypicalCase).where(TypicalCase.organisation_id == org_id).order_by(TypicalCase.id.desc())


def jurisdiction_cases(authority_code: str | None) -> Select:
    """The jurisdiction's cases, those waiting for the authority first, then newest first."""
    return select(TypicalCase).where(TypicalCase.authority_code == authority_code) \
        .order_by((TypicalCase.state != CaseState.SUBMITTED), TypicalCase.id.desc())
