"""Annual work summaries: open a collection, authorities upload, the ministry sees who is late and reminds."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..domain.marking import N_
from ..domain.notices import day
from ..domain.timeutil import beijing_midnight, format_beijing
from ..extensions import db
from ..models import Authority, User
from ..models.summary import SummaryCollection, SummarySubmission
from ..models.types import utcnow
from . import audit
from .files import store_upload
from .notify import notify_authority, path_for
from ..domain.errors import DomainError, N_


class SummaryError(DomainError, ValueError):
    """A refused operation on a summary collection (Chinese message)."""


DUE_NOTICE = N_("请于%(due)s前报送%(title)s")


def deadline_of(collection: SummaryCollection) -> datetime:
    """The first instant that is late: 24:00 Beijing time of the due date, as UTC."""
    return beijing_midnight(collection.due_date + timedelta(days=1))


def is_late(collection: SummaryCollection, at: datetime) -> bool:
    """A submission at `at` is late when it is at or after the deadline."""
    return at >= deadline_of(collection)


def open_collection(year: int, due_date: date, *, title: str | None, actor: User) -> SummaryCollection:
    """Open the collection of a year's summaries (one per year)."""
    if db.session.scalar(select(SummaryCollection.id).where(SummaryCollection.year == year)):
        raise SummaryError(N_("%(year)s年度的工作总结征集已存在"), year=year)
    collection = SummaryCollection(year=year, due_date=due_date, created_by_id=actor.id,
                                   title=title or f"{year}年度电子商务工作总结")
    db.session.add(collection)
    db.session.flush()
    audit.record("summary_collection_opened", obj=collection, actor=actor,
                 detail={"year": year, "due": due_date.isoformat()})
    for code in db.session.scalars(select(Authority.code)):
        notify_authority(code, DUE_NOTICE, {"due": day(due_date), "title": collection.title},
                         link=path_for("authority.summaries"))
    return collection


def submit_summary(collection: SummaryCollection, upload, *, actor: User) -> SummarySubmission:
    """An authority uploads its summary (PDF, same upload rules); after the due date it is marked late."""
    if actor.authority_code is None:
        raise SummaryError(N_("只有地方商务主管部门可以报送工作总结"))
    stored = store_upload(upload, purpose="work_summary", actor_id=actor.id, allowed=("pdf",))
    now = utcnow()
    row = SummarySubmission(collection_id=collection.id, authority_code=actor.authority_code, file_id=stored.id,
                            submitted_by_id=actor.id, submitted_at=now, late=is_late(collection, now))
    db.session.add(row)
    db.session.flush()
    audit.record("summary_submitted", obj=row, actor=actor, detail={"year": collection.year, "late": row.late})
    return row


class SummaryState(str, enum.Enum):
    """Where an authority stands in a collection of annual summaries."""

    SUBMITTED = "submitted"
    LATE = "late"
    MISSING = "missing"


@dataclass
class AuthorityStatus:
    """One line of the ministry's at-a-glance table."""

    authority: Authority
    submission: SummarySubmission | None

    @property
    def state(self) -> SummaryState:
        """Submitted on time, submitted late, or not submitted."""
        if self.submission is None:
            return SummaryState.MISSING
        return SummaryState.LATE if self.submission.late else SummaryState.SUBMITTED


def status_table(collection: SummaryCollection) -> list[AuthorityStatus]:
    """Every authority with its newest submission (two queries, whatever the number of uploads)."""
    latest: dict[str, SummarySubmission] = {}
    for row in db.session.scalars(select(SummarySubmission).where(SummarySubmission.collection_id == collection.id)
                                  .order_by(SummarySubmission.id)):
        latest[row.authority_code] = row
    authorities = db.session.scalars(select(Authority).order_by(Authority.code)).all()
    return [AuthorityStatus(a, latest.get(a.code)) for a in authorities]


def send_reminders(collection: SummaryCollection, *, actor: User) -> int:
    """Remind every authority that has not submitted yet; returns how many authorities were reminded."""
    missing = [s.authority.code for s in status_table(collection) if s.submission is None]
    deadline = deadline_of(collection)
    overdue = utcnow() >= deadline
    if overdue:
        template = N_("%(title)s已逾期（截止%(deadline)s），请尽快报送")
        params = {"title": collection.title, "deadline": format_beijing(deadline - timedelta(minutes=1))}
    else:
        template, params = DUE_NOTICE, {"due": day(collection.due_date), "title": collection.title}
    for code in missing:
        notify_authority(code, template, params, link=path_for("authority.summaries"))
    audit.record("summary_reminders_sent", obj=collection, actor=actor, detail={"authorities": missing})
    return len(missing)
