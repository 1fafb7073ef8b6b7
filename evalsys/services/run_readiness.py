"""What a ranking run waits for (domain.md §5): enough submitted sheets and a comment on every flag.

The one definition of both rules, used by the run itself, by closing the review window and by the
pages that show why a run would be refused:

- the applications a run ranks are those that went through (or are in) expert review: every state
  after the formal check (`REVIEWED_STATES`); each of them needs as many counted sheets as the
  call requires;
- a sheet counts when it is submitted and its assignment is active (`counted_sheets`);
- a divergence flag is answered by a comment that is not blank once trimmed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, select

from ..domain.workflow import ApplicationState as S
from ..extensions import db
from ..models import Application, Assignment, AssignmentState, Call, Organisation, ScoreSheet, SheetState
from ..models.types import utcnow
from ..domain.errors import N_, Message

# Applications that went through (or are in) expert review: everything after the formal check.
REVIEWED_STATES = (S.PASSED, S.UNDER_REVIEW, S.SCORED, S.PROPOSED, S.REJECTED, S.IN_PUBLICITY,
                   S.APPROVED)


def counted_sheets(call_id: int) -> Select:
    """SELECT of the sheets that count for a call: submitted, of an active assignment (ScoreSheet, Assignment)."""
    return (select(ScoreSheet, Assignment).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
            .where(Assignment.call_id == call_id, Assignment.state == AssignmentState.ACTIVE,
                   ScoreSheet.state == SheetState.SUBMITTED))


# What "blank" means for a comment, as Python's str.strip() sees it for the usual cases (the service
# strips a comment before storing it; this also catches a row written some other way).
_BLANK = " \t\r\n\u3000"


def comment_missing():
    """SQL condition: the sheet's divergence comment is NULL or blank once trimmed."""
    return func.coalesce(func.length(func.trim(ScoreSheet.divergence_comment, _BLANK)), 0) == 0


@dataclass(frozen=True)
class SheetShortfall:
    """A reviewed application with fewer counted sheets than the call requires."""

    application_id: int
    organisation: str
    submitted: int
    required: int


@dataclass(frozen=True)
class PendingComment:
    """A counted sheet flagged for divergence that still waits for its written comment."""

    sheet_id: int
    application_id: int
    organisation: str


def missing_sheets(call: Call) -> list[SheetShortfall]:
    """Every reviewed application with fewer counted sheets than required, by application id (a run refuses)."""
    counted = (select(Assignment.application_id, func.count(ScoreSheet.id).label("n"))
               .join(ScoreSheet, and_(ScoreSheet.assignment_id == Assignment.id,
                                      ScoreSheet.state == SheetState.SUBMITTED))
               .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE)
               .group_by(Assignment.application_id).subquery())
    n = func.coalesce(counted.c.n, 0)
    rows = db.session.execute(
        select(Application.id, Organisation.name, n).join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(counted, counted.c.application_id == Application.id)
        .where(Application.call_id == call.id, Application.state.in_(REVIEWED_STATES),
               n < call.reviewers_per_application)
        .order_by(Application.id)).all()
    return [SheetShortfall(int(a), str(name), int(k), call.reviewers_per_application) for a, name, k in rows]


def pending_divergence_comments(call: Call) -> list[PendingComment]:
    """Counted sheets flagged for divergence without a (non-blank) comment, by application then sheet."""
    rows = db.session.execute(
        select(ScoreSheet.id, Application.id, Organisation.name)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(Application, Application.id == Assignment.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE,
               ScoreSheet.state == SheetState.SUBMITTED, ScoreSheet.divergence_flagged.is_(True),
               comment_missing())
        .order_by(Application.id, ScoreSheet.id)).all()
    return [PendingComment(int(s), int(a), str(name)) for s, a, name in rows]


def review_problems(call: Call, now: datetime | None = None) -> list[str]:
    """Why a run would be refused now (Chinese), [] when it may run."""
    now = now or utcnow()
    problems = []
    if call.review_ends_at is None or now < call.review_ends_at:
        problems.append(N_("专家评审尚未结束，评审窗口关闭后才能排名"))
    for m in missing_sheets(call):
        problems.append(Message(N_("%(organisation)s（申报编号 %(application_id)s）仅有 %(submitted)s 份已提交评分表，"
                                   "需 %(required)s 份"), organisation=m.organisation, application_id=m.application_id,
                                submitted=m.submitted, required=m.required))
    listed: set[int] = set()
    for p in pending_divergence_comments(call):
        if p.application_id not in listed:
            listed.add(p.application_id)
            problems.append(Message(N_("%(organisation)s（申报编号 %(application_id)s）有偏离评分尚待专家说明"),
                                    organisation=p.organisation, application_id=p.application_id))
    return problems
