"""Read-only figures of the applicant's home page: accounts to approve, applications, open calls, unread."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import defer, lazyload

from ..domain.workflow import ApplicationState, is_open_for_applications
from ..extensions import db
from ..listing import ListQuery, by_number, ordered
from ..models import AccountState, Application, Call, Notification, User


@dataclass(frozen=True)
class ApplicantHome:
    """What the home page shows besides the list of applications: pending members, calls to apply to, unread
    notifications."""

    pending: list[User]
    calls: list[Call]
    unread: int | None


@functools.cache
def _statements() -> tuple[Select, Select, Select]:
    """Built once (every visit of the home page runs them): the two counts in one query, the pending accounts
    (read only when there are some), the open calls not applied to."""
    org, user, now = bindparam("org"), bindparam("user"), bindparam("now")
    pending = User.organisation_id == org, User.state == AccountState.PENDING
    counts = select(
        select(func.count(Notification.id)).where(Notification.user_id == user, Notification.read_at.is_(None))
        .scalar_subquery(),
        select(func.count(User.id)).where(*pending).scalar_subquery())
    # Calls open now that the organisation has not applied to, chosen in SQL (the programme's calls grow year
    # by year); the domain's rule has the last word on each.
    applied = exists().where(Application.call_id == Call.id, Application.organisation_id == org)
    calls = select(Call).where(Call.opens_at <= now, Call.closes_at > now, ~applied).order_by(Call.closes_at)
    return counts, select(User).where(*pending).order_by(User.id), calls


def applicant_home(user: Any, now: datetime) -> ApplicantHome:
    """The home page of one applicant account (pending members only for the main account)."""
    counts, pending_users, open_calls = _statements()
    unread, waiting = db.session.execute(counts, {"user": user.id, "org": user.organisation_id}).one()
    pending = []
    if user.is_org_main and waiting:
        pending = list(db.session.scalars(pending_users, {"org": user.organisation_id}))
    calls = [c for c in db.session.scalars(open_calls, {"org": user.organisation_id, "now": now})
             if is_open_for_applications(c.times, now)]
    return ApplicantHome(pending, calls, unread)


OWN_APPLICATION_SORTS = {"call": (Call.title,), "state": (Application.state,), "closes": (Call.closes_at,),
                         "id": (Application.id,)}


def own_applications(organisation_id: int | None, lq: ListQuery) -> Select:
    """One organisation's applications matching the search (call title or code, application number) and ?state=;
    by default newest first. Only its own: the search narrows within them."""
    stmt = (select(Application).join(Call, Call.id == Application.call_id)
            # the list shows the call, the state and the number: not the figures, the narrative or the
            # organisation (the reader's own)
            .options(defer(Application.figures), defer(Application.narrative), lazyload(Application.organisation))
            .where(Application.organisation_id == organisation_id))
    if lq.q:
        stmt = stmt.where(or_(Call.title.icontains(lq.q, autoescape=True), Call.code.icontains(lq.q, autoescape=True),
                              *by_number(lq.q, Application.id)))
    if lq.get("state"):
        stmt = stmt.where(Application.state == ApplicationState(lq.get("state")))
    return ordered(stmt, lq, OWN_APPLICATION_SORTS, (Application.id.desc(),), Application.id)
