"""Read-only lists of the expert review for its pages: the pool by state, an expert's conflicts and
assignments, calls with their applications in review, a reviewer's own assignments and sheets."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from ..domain.workflow import ApplicationState
from ..extensions import db
from ..models import (Application, Assignment, AssignmentState, Call, ConflictDeclaration, ReviewerProfile,
                      ReviewerState, ScoreSheet)


@dataclass(frozen=True)
class ReviewerFilter:
    """?state= of the expert pool; unknown values mean "all"."""

    state: ReviewerState | None = None

    @classmethod
    def parse(cls, state: str) -> ReviewerFilter:
        known = {s.value for s in ReviewerState}
        return cls(ReviewerState(state) if state in known else None)


def reviewers(f: ReviewerFilter) -> Select:
    """The expert pool in the order of entry."""
    stmt = select(ReviewerProfile).order_by(ReviewerProfile.id)
    return stmt if f.state is None else stmt.where(ReviewerProfile.state == f.state)


def conflicts_of(profile: ReviewerProfile, *, newest_first: bool = False) -> list[ConflictDeclaration]:
    """The conflicts an expert declared."""
    order = ConflictDeclaration.id.desc() if newest_first else ConflictDeclaration.id
    return list(db.session.scalars(select(ConflictDeclaration).where(ConflictDeclaration.reviewer_id == profile.id)
                                   .order_by(order)))


def assignments_of(profile: ReviewerProfile) -> Select:
    """Every assignment of an expert, newest first."""
    return select(Assignment).where(Assignment.reviewer_id == profile.id).order_by(Assignment.id.desc())


def active_assignments(profile: ReviewerProfile) -> Select:
    """A reviewer's active assignments, newest call first. Each row's reviewer is `profile` itself
    (already loaded, so not joined in again: the profile would bring its account, organisation and
    authority with it on every row)."""
    return (select(Assignment).options(lazyload(Assignment.reviewer))
            .join(Application, Application.id == Assignment.application_id)
            .join(Call, Call.id == Assignment.call_id)
            .where(Assignment.reviewer_id == profile.id, Assignment.state == AssignmentState.ACTIVE)
            .order_by(Call.id.desc(), Assignment.application_id))


def sheets_of(assignment_ids: list[int]) -> dict[int, ScoreSheet]:
    """The sheets of some assignments, by assignment id (the caller holds the assignments: a sheet's
    assignment is found among them when asked for, not joined in again with all it joins)."""
    if not assignment_ids:
        return {}
    return {s.assignment_id: s for s in db.session.scalars(
        select(ScoreSheet).options(lazyload(ScoreSheet.assignment))
        .where(ScoreSheet.assignment_id.in_(assignment_ids)))}


def calls_in_review(states: tuple[ApplicationState, ...]) -> tuple[list[Call], dict[int, dict]]:
    """Every call, newest first, with its number of applications in each of `states`."""
    calls = list(db.session.scalars(select(Call).order_by(Call.id.desc())))
    counts: dict[int, dict] = {}
    for call_id, state, n in db.session.execute(
            select(Application.call_id, Application.state, func.count())
            .where(Application.state.in_(states)).group_by(Application.call_id, Application.state)):
        counts.setdefault(call_id, {})[state] = n
    return calls, counts


def passed_count(call: Call) -> int:
    """Applications of a call that passed the formal check and wait for assignment."""
    return db.session.scalar(select(func.count()).select_from(Application).where(
        Application.call_id == call.id, Application.state == ApplicationState.PASSED)) or 0


def applications_by_id(ids) -> dict[int, Application]:
    """Some applications, by id."""
    ids = list(ids)
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Application).where(Application.id.in_(ids)))}


def active_reviewer_ids(app: Application) -> set[int]:
    """The experts actively assigned to an application."""
    return set(db.session.scalars(select(Assignment.reviewer_id).where(
        Assignment.application_id == app.id, Assignment.state == AssignmentState.ACTIVE)))
