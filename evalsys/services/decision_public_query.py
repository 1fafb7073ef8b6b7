"""Read-only lists of calls by their published decisions: announced results and publicity."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Call, CallAnnouncement, PublicityEntry


def announced_calls() -> list[Call]:
    """Calls whose results were announced, latest announcement first."""
    return list(db.session.scalars(select(Call).join(CallAnnouncement, CallAnnouncement.call_id == Call.id)
                                   .order_by(CallAnnouncement.announced_at.desc())).all())


def publicity_calls() -> list[Call]:
    """Calls whose candidates are (or were) in publicity, newest first."""
    return list(db.session.scalars(select(Call).where(Call.id.in_(select(PublicityEntry.call_id)))
                                   .order_by(Call.id.desc())).all())
