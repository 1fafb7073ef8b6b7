"""Read-only figures of the applicant's home page: accounts to approve, applications, open calls, unread."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..domain.workflow import is_open_for_applications
from ..extensions import db
from ..models import AccountState, Application, Call, Notification, User


@dataclass(frozen=True)
class ApplicantHome:
    """What the home page shows: pending members, applications, calls to apply to, unread notifications."""

    pending: list[User]
    apps: list[Application]
    calls: list[Call]
    unread: int | None


def applicant_home(user: Any, now: datetime) -> ApplicantHome:
    """The home page of one applicant account (pending members only for the main account)."""
    pending = []
    if user.is_org_main:
        pending = db.session.scalars(select(User).where(
            User.organisation_id == user.organisation_id, User.state == AccountState.PENDING)).all()
    apps = db.session.scalars(select(Application).where(Application.organisation_id == user.organisation_id)
                              .order_by(Application.id.desc())).all()
    applied = {a.call_id for a in apps}
    calls = [c for c in db.session.scalars(select(Call).order_by(Call.closes_at))
             if is_open_for_applications(c.times, now) and c.id not in applied]
    unread = db.session.scalar(select(db.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))
    return ApplicantHome(pending, apps, calls, unread)
