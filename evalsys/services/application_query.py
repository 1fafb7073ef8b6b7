"""Read-only lists of applications for the authority's pages: the jurisdiction's applications by
filter, and per call still open for recommendation its quota, letter and export (no batch filter needed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import defaultload, defer, lazyload

from ..domain.workflow import ApplicationState
from ..extensions import db
from ..listing import ListQuery, by_number, is_year, ordered, search
from ..models import (AccountState, Application, Call, CallKind, Organisation, OrganisationState,
                      QuotaCounter, RecommendationLetter, User)
from .quotas import in_force


# Sort keys of the application lists: the key in the URL, the columns it orders by.
APPLICATION_SORTS = {"name": (Organisation.name,), "uscc": (Organisation.uscc,), "state": (Application.state,),
                     "order": (Application.recommend_order,), "submitted": (Application.submitted_at,),
                     "authority": (Application.authority_code,), "id": (Application.id,)}


def _applications(stmt: Select, lq: ListQuery, default: tuple) -> Select:
    """Search (organisation name, USCC, application number), the state filter and the order of an application list."""
    stmt = stmt.join(Organisation, Application.organisation_id == Organisation.id)
    if lq.q:
        stmt = stmt.where(or_(Organisation.name.icontains(lq.q, autoescape=True),
                              Organisation.uscc.icontains(lq.q, autoescape=True), *by_number(lq.q, Application.id)))
    if lq.get("state"):
        stmt = stmt.where(Application.state == ApplicationState(lq.get("state")))
    return ordered(stmt, lq, APPLICATION_SORTS, default, Application.id)


def jurisdiction_applications(authority_code: str, lq: ListQuery, call: Call | None = None) -> Select:
    """The jurisdiction's applications (drafts excluded), by default grouped by call and recommendation order."""
    stmt = select(Application).where(Application.authority_code == authority_code,
                                     Application.state != ApplicationState.DRAFT)
    if call is not None:
        stmt = stmt.where(Application.call_id == call.id)
    return _applications(stmt, lq, (Application.call_id.desc(), Application.recommend_order, Application.id))


def all_calls() -> list[Call]:
    """Every call, newest first (the page's filter)."""
    return list(db.session.scalars(select(Call).order_by(Call.id.desc())))


# The number of applications of a call (drafts included), as a column the calls list sorts by.
_APPLICATIONS_OF_CALL = (select(func.count(Application.id)).where(Application.call_id == Call.id)
                         .correlate(Call).scalar_subquery())
CALL_SORTS = {"code": (Call.code,), "title": (Call.title,), "kind": (Call.kind,), "year": (Call.year_from,),
              "closes": (Call.closes_at,), "recommend": (Call.recommend_deadline,),
              "applications": (_APPLICATIONS_OF_CALL,)}


def calls(lq: ListQuery) -> Select:
    """Calls matching the search (code, title, a year they cover) and ?kind=&year=; by default newest first."""
    return ordered(narrowed_calls(select(Call), lq), lq, CALL_SORTS, (Call.id.desc(),), Call.id)


def narrowed_calls(stmt: Select, lq: ListQuery) -> Select:
    """`stmt` (of calls) narrowed by the search (code, title, a year they cover), ?kind= and ?year=."""
    if lq.q:
        covers = [_covers(int(lq.q))] if is_year(lq.q) else []
        stmt = stmt.where(or_(Call.code.icontains(lq.q, autoescape=True), Call.title.icontains(lq.q, autoescape=True),
                              *covers))
    if lq.get("kind"):
        stmt = stmt.where(Call.kind == CallKind(lq.get("kind")))
    if lq.get("year"):
        stmt = stmt.where(_covers(int(lq.get("year"))))
    return stmt


def _covers(year: int) -> ColumnElement[bool]:
    return and_(Call.year_from <= year, Call.year_to >= year)


def call_years() -> list[int]:
    """Every year some call covers, latest first (the year filter)."""
    first, last = db.session.execute(select(func.min(Call.year_from), func.max(Call.year_to))).one()
    return list(range(last, first - 1, -1)) if first is not None else []


@dataclass(frozen=True)
class CallPanel:
    """A call still open for recommendation, as one authority sees it: quota used/left and its letter."""

    call: Call
    used: int
    letter: RecommendationLetter | None
    quota: int  # the authority's own figure (a per-authority override, else the call's default)

    @property
    def left(self) -> int:
        return max(self.quota - self.used, 0)


def panels(calls: list[Call], authority_code: str) -> list[CallPanel]:
    """The quota and newest letter of each of `calls` for one authority: two queries however many calls are open
    (used is 0 before the first recommendation)."""
    if not calls:
        return []
    ids = [c.id for c in calls]
    counters = {call_id: (quota, used) for call_id, quota, used in db.session.execute(
        select(QuotaCounter.call_id, QuotaCounter.quota, QuotaCounter.used)
        .where(QuotaCounter.call_id.in_(ids), QuotaCounter.authority_code == authority_code))}
    newest = (select(func.max(RecommendationLetter.id))
              .where(RecommendationLetter.call_id.in_(ids), RecommendationLetter.authority_code == authority_code)
              .group_by(RecommendationLetter.call_id))
    letters = {letter.call_id: letter for letter in db.session.scalars(
        select(RecommendationLetter).where(RecommendationLetter.id.in_(newest)))}
    out = []
    for c in calls:
        quota, used = counters.get(c.id, (None, 0))
        out.append(CallPanel(c, used or 0, letters.get(c.id), in_force(c, quota)))
    return out


def panel(call: Call, authority_code: str) -> CallPanel:
    """The quota and letter of one call for one authority."""
    return panels([call], authority_code)[0]


def recommendation_panels(authority_code: str, now: datetime) -> list[CallPanel]:
    """Every call whose recommendation deadline has not passed (opened for applications), soonest first."""
    calls = db.session.scalars(select(Call).where(Call.opens_at <= now, Call.recommend_deadline >= now)
                               .order_by(Call.recommend_deadline, Call.id))
    return panels(list(calls), authority_code)


def unverified_count(authority_code: str) -> int:
    """Organisations of the jurisdiction awaiting verification."""
    return db.session.scalar(select(db.func.count()).select_from(Organisation).where(
        Organisation.authority_code == authority_code, Organisation.state == OrganisationState.UNVERIFIED)) or 0


ORGANISATION_SORTS = {"name": (Organisation.name,), "uscc": (Organisation.uscc,), "state": (Organisation.state,),
                      "created": (Organisation.created_at,)}


def jurisdiction_organisations(authority_code: str, lq: ListQuery) -> Select:
    """The jurisdiction's organisations matching the search (name, USCC) and ?state=; by default unverified first."""
    stmt = search(select(Organisation).where(Organisation.authority_code == authority_code), lq.q,
                  Organisation.name, Organisation.uscc)
    if lq.get("state"):
        stmt = stmt.where(Organisation.state == OrganisationState(lq.get("state")))
    return ordered(stmt, lq, ORGANISATION_SORTS, (Organisation.state.desc(), Organisation.id), Organisation.id)


def pending_members(authority_code: str) -> list[User]:
    """Further accounts of the jurisdiction's organisations awaiting approval."""
    return list(db.session.scalars(select(User).join(Organisation, User.organisation_id == Organisation.id).where(
        Organisation.authority_code == authority_code, User.state == AccountState.PENDING)))


def call_applications(call: Call, lq: ListQuery) -> Select:
    """A call's applications (drafts excluded) matching the search and ?state=&authority=; by default by authority
    and recommendation order. For the list: the figures and the narrative (the bulk of each
    row) are read only if asked for, each row's call is `call`, not joined in again, and the authorities are
    named from `authority_list`, not joined into every row."""
    stmt = (select(Application).options(defer(Application.figures), defer(Application.narrative),
                                        lazyload(Application.call),
                                        defaultload(Application.organisation).lazyload(Organisation.authority))
            .where(Application.call_id == call.id, Application.state != ApplicationState.DRAFT))
    if lq.get("authority"):
        stmt = stmt.where(Application.authority_code == lq.get("authority"))
    return _applications(stmt, lq, (Application.authority_code, Application.recommend_order, Application.id))


def state_counts(call: Call) -> dict[ApplicationState, int]:
    """How many applications of a call are in each state."""
    return dict(db.session.execute(select(Application.state, func.count()).where(
        Application.call_id == call.id).group_by(Application.state)).all())


def application_counts(calls: list[Call]) -> dict[int, int]:
    """How many applications each of `calls` has (drafts included)."""
    return dict(db.session.execute(select(Application.call_id, func.count()).where(
        Application.call_id.in_([c.id for c in calls])).group_by(Application.call_id)).all())


