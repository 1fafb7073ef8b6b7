"""Read-only queries of the work-summary pages: the collections and one authority's submissions."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models.summary import SummaryCollection, SummarySubmission


def collections() -> list[SummaryCollection]:
    """Every collection, latest year first."""
    return list(db.session.scalars(select(SummaryCollection).order_by(SummaryCollection.year.desc())).all())


def submissions_by_collection(authority_code: str | None) -> dict[int, SummarySubmission]:
    """One authority's submissions by collection id (the latest one wins)."""
    mine = {}
    for row in db.session.scalars(select(SummarySubmission).where(
            SummarySubmission.authority_code == authority_code).order_by(SummarySubmission.id)):
        mine[row.collection_id] = row
    return mine
