"""Read-only queries of the application detail and export pages: the timeline and a call's applications."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Application, Call, Transition, User


def transitions_with_actors(app: Application) -> list[Any]:
    """(transition, actor display name) of one application, oldest first."""
    return db.session.execute(
        select(Transition, User.display_name).outerjoin(User, User.id == Transition.actor_id)
        .where(Transition.application_id == app.id).order_by(Transition.id)).all()


def call_applications(call: Call, authority_code: str | None) -> Any:
    """Applications of one call (of one authority when given), by authority and id."""
    stmt = select(Application).where(Application.call_id == call.id).order_by(Application.authority_code,
                                                                               Application.id)
    if authority_code is not None:
        stmt = stmt.where(Application.authority_code == authority_code)
    return db.session.scalars(stmt)
