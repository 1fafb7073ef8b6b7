"""Read-only lists of calls by their published decisions: announced results and publicity."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, func, select

from ..extensions import db
from ..listing import ListQuery, ordered
from ..models import Call, CallAnnouncement, PublicityEntry
from .application_query import narrowed_calls

ANNOUNCED_SORTS = {"title": (Call.title,), "code": (Call.code,), "kind": (Call.kind,), "year": (Call.year_from,),
                   "announced": (CallAnnouncement.announced_at,)}
_PUBLICITY_OPENED = (select(func.min(PublicityEntry.opened_at)).where(PublicityEntry.call_id == Call.id)
                     .correlate(Call).scalar_subquery())
PUBLICITY_SORTS = {"title": (Call.title,), "code": (Call.code,), "kind": (Call.kind,), "year": (Call.year_from,),
                   "opened": (_PUBLICITY_OPENED,)}


def announced_calls(lq: ListQuery) -> Select:
    """Calls whose results were announced, matching the search (code, title, year) and ?kind=&year=; by default
    latest announcement first."""
    stmt = select(Call).join(CallAnnouncement, CallAnnouncement.call_id == Call.id)
    return ordered(narrowed_calls(stmt, lq), lq, ANNOUNCED_SORTS, (CallAnnouncement.announced_at.desc(), Call.id),
                   Call.id)


def announcement_times(calls: Iterable[Call]) -> dict[int, datetime]:
    """When the results of each of `calls` were announced."""
    return dict(db.session.execute(select(CallAnnouncement.call_id, CallAnnouncement.announced_at).where(
        CallAnnouncement.call_id.in_([c.id for c in calls]))).all())


def publicity_calls(lq: ListQuery) -> Select:
    """Calls whose candidates are (or were) in publicity, matching the search (code, title, year) and
    ?kind=&year=; by default newest first."""
    stmt = select(Call).where(Call.id.in_(select(PublicityEntry.call_id)))
    return ordered(narrowed_calls(stmt, lq), lq, PUBLICITY_SORTS, (Call.id.desc(),), Call.id)


def publicity_periods(calls: Iterable[Call]) -> dict[int, tuple[datetime, datetime]]:
    """The publicity period of each of `calls` (first opening, last end)."""
    return {call_id: (opened, ends) for call_id, opened, ends in db.session.execute(
        select(PublicityEntry.call_id, func.min(PublicityEntry.opened_at), func.max(PublicityEntry.ends_at))
        .where(PublicityEntry.call_id.in_([c.id for c in calls])).group_by(PublicityEntry.call_id)).all()}
