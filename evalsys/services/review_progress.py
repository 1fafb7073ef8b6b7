"""The review progress board: per application and per reviewer, done / pending / flags.

Every function here issues a fixed number of queries whatever the call's size: a page of rows
is loaded once, then one GROUP BY query counts the sheets of exactly those rows.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import defaultload, lazyload

from ..domain.workflow import ApplicationState
from ..extensions import db
from ..listing import ListQuery, ordered, search
from ..models import (Application, Assignment, AssignmentState, Call, Organisation, ReviewerProfile, ScoreSheet,
                      SheetState)
from ..pagination import paginate
from .run_readiness import comment_missing

IN_REVIEW = (ApplicationState.UNDER_REVIEW, ApplicationState.SCORED)


@dataclass(frozen=True)
class Progress:
    """Counts of one row of the board (an application, or a reviewer within the call)."""

    assigned: int = 0
    submitted: int = 0
    drafts: int = 0
    flagged: int = 0
    flagged_pending: int = 0

    @property
    def not_started(self) -> int:
        """Assignments without any saved sheet."""
        return self.assigned - self.submitted - self.drafts

    @property
    def pending(self) -> int:
        """Assignments whose sheet is not submitted yet."""
        return self.assigned - self.submitted


def _counts(call: Call, key, ids: list[int]) -> dict[int, Progress]:
    """One GROUP BY over the active assignments of the call, restricted to `ids` of `key`."""
    if not ids:
        return {}
    submitted = ScoreSheet.state == SheetState.SUBMITTED
    flagged = and_(submitted, ScoreSheet.divergence_flagged.is_(True))
    no_comment = comment_missing()
    rows = db.session.execute(
        select(key, func.count(Assignment.id),
               func.sum(case((submitted, 1), else_=0)),
               func.sum(case((ScoreSheet.state == SheetState.DRAFT, 1), else_=0)),
               func.sum(case((flagged, 1), else_=0)),
               func.sum(case((and_(flagged, no_comment), 1), else_=0)))
        .select_from(Assignment).outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE, key.in_(ids))
        .group_by(key)).all()
    return {k: Progress(int(n), int(s or 0), int(d or 0), int(f or 0), int(p or 0)) for k, n, s, d, f, p in rows}


def totals(call: Call) -> Progress:
    """The whole call in one row."""
    submitted = ScoreSheet.state == SheetState.SUBMITTED
    flagged = and_(submitted, ScoreSheet.divergence_flagged.is_(True))
    no_comment = comment_missing()
    n, s, d, f, p = db.session.execute(
        select(func.count(Assignment.id), func.sum(case((submitted, 1), else_=0)),
               func.sum(case((ScoreSheet.state == SheetState.DRAFT, 1), else_=0)),
               func.sum(case((flagged, 1), else_=0)), func.sum(case((and_(flagged, no_comment), 1), else_=0)))
        .select_from(Assignment).outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE)).one()
    return Progress(int(n or 0), int(s or 0), int(d or 0), int(f or 0), int(p or 0))


APPLICATION_SORTS = {"id": (Application.id,), "name": (Organisation.name,), "state": (Application.state,)}
REVIEWER_SORTS = {"id": (ReviewerProfile.id,), "name": (ReviewerProfile.name,),
                  "authority": (ReviewerProfile.home_authority_code,)}


def application_rows(call: Call, *, page: int, per_page: int, only_pending: bool = False, lq: ListQuery = ListQuery()):
    """A page of the call's applications in review, or with active assignments (so that the rows add up to
    `totals` after the window closed), with their Progress: (pagination, [(app, progress)]). Searched by
    organisation name, USCC or number; by default by number."""
    assigned = select(Assignment.application_id).where(Assignment.call_id == call.id,
                                                       Assignment.state == AssignmentState.ACTIVE)
    stmt = (select(Application).join(Organisation, Organisation.id == Application.organisation_id)
            .where(Application.call_id == call.id, or_(Application.state.in_(IN_REVIEW), Application.id.in_(assigned))))
    if lq.q:
        number = [Application.id == int(lq.q)] if lq.q.isdigit() and len(lq.q) < 10 else []
        stmt = stmt.where(or_(Organisation.name.icontains(lq.q, autoescape=True),
                              Organisation.uscc.icontains(lq.q, autoescape=True), *number))
    if only_pending:
        done = (select(Assignment.application_id)
                .join(ScoreSheet, and_(ScoreSheet.assignment_id == Assignment.id,
                                       ScoreSheet.state == SheetState.SUBMITTED))
                .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE)
                .group_by(Assignment.application_id)
                .having(func.count() >= call.reviewers_per_application))
        stmt = stmt.where(Application.id.not_in(done))
    pagination = paginate(ordered(stmt, lq, APPLICATION_SORTS, (Application.id,), Application.id),
                          page=page, per_page=per_page, large=True)  # a call holds thousands
    counts = _counts(call, Assignment.application_id, [a.id for a in pagination.items])
    return pagination, [(a, counts.get(a.id, Progress())) for a in pagination.items]


def reviewer_rows(call: Call, *, page: int, per_page: int, lq: ListQuery = ListQuery()):
    """A page of the reviewers with active assignments in the call: (pagination, [(profile, progress)]). Searched
    by name, work unit or its USCC; by default in the order of entry."""
    involved = select(Assignment.reviewer_id).where(Assignment.call_id == call.id,
                                                    Assignment.state == AssignmentState.ACTIVE)
    stmt = search(select(ReviewerProfile).where(ReviewerProfile.id.in_(involved)), lq.q, ReviewerProfile.name,
                  ReviewerProfile.organisation_name, ReviewerProfile.organisation_uscc)
    pagination = paginate(ordered(stmt, lq, REVIEWER_SORTS, (ReviewerProfile.id,), ReviewerProfile.id),
                          page=page, per_page=per_page)
    counts = _counts(call, Assignment.reviewer_id, [p.id for p in pagination.items])
    return pagination, [(p, counts.get(p.id, Progress())) for p in pagination.items]


def assignments_of(app_ids: list[int]) -> dict[int, list[tuple[Assignment, ScoreSheet | None]]]:
    """Every assignment (any state) of these applications with its sheet, in one query."""
    out: dict[int, list[tuple[Assignment, ScoreSheet | None]]] = {i: [] for i in app_ids}
    if app_ids:
        rows = db.session.execute(
            select(Assignment, ScoreSheet).outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            # The caller holds the applications (found in the session, not joined again) and shows the reviewer's
            # name, not its account; a sheet's assignment is the row's own.
            .options(lazyload(Assignment.application), defaultload(Assignment.reviewer).lazyload(ReviewerProfile.user),
                     lazyload(ScoreSheet.assignment))
            .where(Assignment.application_id.in_(app_ids)).order_by(Assignment.application_id, Assignment.id)).all()
        for assignment, sheet in rows:
            out[assignment.application_id].append((assignment, sheet))
    return out
