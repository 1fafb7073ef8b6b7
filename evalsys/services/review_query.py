"""Read-only lists of the expert review for its pages: the pool by state, an expert's conflicts and
assignments, calls with their applications in review, a reviewer's own assignments and sheets."""
from __future__ import annotations

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Bundle, defaultload, lazyload

from ..domain.workflow import ApplicationState
from ..extensions import db
from ..listing import ListQuery, ordered, search
from ..models import (Application, Assignment, AssignmentState, Call, ConflictDeclaration, Organisation,
                      ReviewerProfile, ReviewerState, ScoreSheet)
from .application_query import narrowed_calls


REVIEWER_SORTS = {"id": (ReviewerProfile.id,), "name": (ReviewerProfile.name,),
                  "authority": (ReviewerProfile.home_authority_code,), "organisation": (ReviewerProfile.organisation_name,),
                  "state": (ReviewerProfile.state,)}


def reviewers(lq: ListQuery) -> Select:
    """The expert pool matching the search (name, work unit, its USCC, fields) and ?state=&authority=; by default
    in the order of entry."""
    stmt = search(select(ReviewerProfile), lq.q, ReviewerProfile.name, ReviewerProfile.organisation_name,
                  ReviewerProfile.organisation_uscc, ReviewerProfile.field_tags)
    if lq.get("state"):
        stmt = stmt.where(ReviewerProfile.state == ReviewerState(lq.get("state")))
    if lq.get("authority"):
        stmt = stmt.where(ReviewerProfile.home_authority_code == lq.get("authority"))
    return ordered(stmt, lq, REVIEWER_SORTS, (ReviewerProfile.id,), ReviewerProfile.id)


def conflicts_of(profile: ReviewerProfile, *, newest_first: bool = False) -> list[ConflictDeclaration]:
    """The conflicts an expert declared."""
    order = ConflictDeclaration.id.desc() if newest_first else ConflictDeclaration.id
    return list(db.session.scalars(select(ConflictDeclaration).where(ConflictDeclaration.reviewer_id == profile.id)
                                   .order_by(order)))


ASSIGNMENT_SORTS = {"call": (Assignment.call_id,), "application": (Assignment.application_id,),
                    "name": (Organisation.name,), "state": (Assignment.state,), "id": (Assignment.id,)}


def assignments_of(profile: ReviewerProfile, lq: ListQuery = ListQuery()) -> Select:
    """Every assignment of an expert matching the search (organisation name, USCC, call code) and ?state=; by
    default newest first."""
    application = defaultload(Assignment.application)
    stmt = (select(Assignment)
            .options(lazyload(Assignment.reviewer),  # the reviewer is `profile` itself; the list shows no figures,
                     application.defer(Application.figures), application.defer(Application.narrative),  # text
                     application.defaultload(Application.organisation).lazyload(Organisation.authority))  # or region
            .join(Application, Application.id == Assignment.application_id)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .join(Call, Call.id == Assignment.call_id).where(Assignment.reviewer_id == profile.id))
    stmt = search(stmt, lq.q, Organisation.name, Organisation.uscc, Call.code, Call.title)
    if lq.get("state"):
        stmt = stmt.where(Assignment.state == AssignmentState(lq.get("state")))
    return ordered(stmt, lq, ASSIGNMENT_SORTS, (Assignment.id.desc(),), Assignment.id)


# A reviewer's own list: never by organisation name, which a blind call hides from the reviewer.
ACTIVE_SORTS = {"call": (Call.id,), "application": (Assignment.application_id,)}


def active_assignments(profile: ReviewerProfile, lq: ListQuery = ListQuery()) -> Select:
    """A reviewer's active assignments matching the search (call title or code, application number) and ?call=;
    by default newest call first. Each row carries what the list shows (`id`, `application_id`, `call_title`,
    `blind`, `organisation`): the organisation's name is not even read in a blind call."""
    row = Bundle("assignment", Assignment.id.label("id"), Assignment.application_id.label("application_id"),
                 Call.title.label("call_title"), Call.blind.label("blind"),
                 case((Call.blind.is_(True), None), else_=Organisation.name).label("organisation"))
    stmt = (select(row).select_from(Assignment)
            .join(Application, Application.id == Assignment.application_id)
            .join(Call, Call.id == Assignment.call_id)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .where(Assignment.reviewer_id == profile.id, Assignment.state == AssignmentState.ACTIVE))
    if lq.q:
        number = [Assignment.application_id == int(lq.q)] if lq.q.isdigit() and len(lq.q) < 10 else []
        stmt = stmt.where(or_(Call.title.icontains(lq.q, autoescape=True), Call.code.icontains(lq.q, autoescape=True),
                              *number))
    if lq.get("call"):
        stmt = stmt.where(Call.code == lq.get("call"))
    return ordered(stmt, lq, ACTIVE_SORTS, (Call.id.desc(), Assignment.application_id), Assignment.id)


def calls_of(profile: ReviewerProfile) -> list[Call]:
    """The calls in which a reviewer has active assignments (the filter of the reviewer's list)."""
    return list(db.session.scalars(select(Call).where(Call.id.in_(
        select(Assignment.call_id).where(Assignment.reviewer_id == profile.id,
                                         Assignment.state == AssignmentState.ACTIVE))).order_by(Call.id.desc())))


def sheets_of(assignment_ids: list[int]) -> dict[int, ScoreSheet]:
    """The sheets of some assignments, by assignment id (the caller holds the assignments: a sheet's
    assignment is found among them when asked for, not joined in again with all it joins)."""
    if not assignment_ids:
        return {}
    return {s.assignment_id: s for s in db.session.scalars(
        select(ScoreSheet).options(lazyload(ScoreSheet.assignment))
        .where(ScoreSheet.assignment_id.in_(assignment_ids)))}


REVIEW_CALL_SORTS = {"title": (Call.title,), "code": (Call.code,), "review": (Call.review_starts_at,)}


def review_calls(lq: ListQuery) -> Select:
    """Calls matching the search (code, title, a year they cover) and ?kind=&year=; by default newest first."""
    return ordered(narrowed_calls(select(Call), lq), lq, REVIEW_CALL_SORTS, (Call.id.desc(),), Call.id)


def counts_in_states(calls: list[Call], states: tuple[ApplicationState, ...]) -> dict[int, dict]:
    """The number of applications of each of `calls` in each of `states`."""
    counts: dict[int, dict] = {}
    for call_id, state, n in db.session.execute(
            select(Application.call_id, Application.state, func.count())
            .where(Application.call_id.in_([c.id for c in calls]), Application.state.in_(states))
            .group_by(Application.call_id, Application.state)):
        counts.setdefault(call_id, {})[state] = n
    return counts


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
