"""Read-only queries of the work-summary pages: the collections and one authority's submissions."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, exists, select

from ..extensions import db
from ..listing import ListQuery, ordered, yearly
from ..models.summary import SummaryCollection, SummarySubmission

COLLECTION_SORTS = {"year": (SummaryCollection.year,), "title": (SummaryCollection.title,),
                    "due": (SummaryCollection.due_date,)}


def collections(lq: ListQuery, authority_code: str | None = None) -> Select:
    """The collections matching the search (title, year), ?year= and, for an authority, ?sent= (yes: it has
    submitted, no: not yet); by default latest year first."""
    stmt = yearly(select(SummaryCollection), lq, SummaryCollection.year, SummaryCollection.title)
    if lq.get("sent"):
        sent = exists().where(SummarySubmission.collection_id == SummaryCollection.id,
                              SummarySubmission.authority_code == authority_code)
        stmt = stmt.where(sent if lq.get("sent") == "yes" else ~sent)
    return ordered(stmt, lq, COLLECTION_SORTS, (SummaryCollection.year.desc(),), SummaryCollection.id)


def years() -> list[int]:
    """The years of the collections, latest first (one collection a year)."""
    return list(db.session.scalars(select(SummaryCollection.year).order_by(SummaryCollection.year.desc())))


def submissions_by_collection(authority_code: str | None,
                              collections: Iterable[SummaryCollection]) -> dict[int, SummarySubmission]:
    """One authority's submissions to `collections` by collection id (the latest one wins)."""
    mine = {}
    for row in db.session.scalars(select(SummarySubmission).where(
            SummarySubmission.authority_code == authority_code,
            SummarySubmission.collection_id.in_([c.id for c in collections])).order_by(SummarySubmission.id)):
        mine[row.collection_id] = row
    return mine
