"""Read-only lists of applications for the authority's pages: the jurisdiction's applications by
filter, and per call still open for recommendation its quota, letter and export (no batch filter needed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import defer, lazyload

from ..domain.workflow import ApplicationState
from ..extensions import db
from ..models import AccountState, Application, Authority, Call, Organisation, OrganisationState, RecommendationLetter, User
from .quotas import authority_quota
from .recommendations import current_letter, quota_used


@dataclass(frozen=True)
class ApplicationFilter:
    """What the applications page was asked for (?call=&state=); unknown values mean "all"."""

    call: Call | None = None
    state: ApplicationState | None = None

    @classmethod
    def parse(cls, call: Call | None, state: str) -> ApplicationFilter:
        known = {s.value for s in ApplicationState}
        return cls(call, ApplicationState(state) if state in known else None)


def jurisdiction_applications(authority_code: str, f: ApplicationFilter) -> Select:
    """The jurisdiction's applications (drafts excluded), grouped by call and recommendation order."""
    stmt = select(Application).where(Application.authority_code == authority_code,
                                     Application.state != ApplicationState.DRAFT)
    if f.call is not None:
        stmt = stmt.where(Application.call_id == f.call.id)
    if f.state is not None:
        stmt = stmt.where(Application.state == f.state)
    return stmt.order_by(Application.call_id.desc(), Application.recommend_order, Application.id)


def all_calls() -> list[Call]:
    """Every call, newest first (the page's filter)."""
    return list(db.session.scalars(select(Call).order_by(Call.id.desc())))


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


def panel(call: Call, authority_code: str) -> CallPanel:
    """The quota and letter of one call for one authority."""
    return CallPanel(call, quota_used(call, authority_code), current_letter(call, authority_code),
                     authority_quota(call, authority_code))


def recommendation_panels(authority_code: str, now: datetime) -> list[CallPanel]:
    """Every call whose recommendation deadline has not passed (opened for applications), soonest first."""
    calls = db.session.scalars(select(Call).where(Call.opens_at <= now, Call.recommend_deadline >= now)
                               .order_by(Call.recommend_deadline, Call.id))
    return [panel(c, authority_code) for c in calls]


def unverified_count(authority_code: str) -> int:
    """Organisations of the jurisdiction awaiting verification."""
    return db.session.scalar(select(db.func.count()).select_from(Organisation).where(
        Organisation.authority_code == authority_code, Organisation.state == OrganisationState.UNVERIFIED)) or 0


@dataclass(frozen=True)
class OrganisationFilter:
    """?state= of the organisations page; unknown values mean "all"."""

    state: OrganisationState | None = None

    @classmethod
    def parse(cls, state: str) -> OrganisationFilter:
        known = {s.value for s in OrganisationState}
        return cls(OrganisationState(state) if state in known else None)


def jurisdiction_organisations(authority_code: str, f: OrganisationFilter) -> Select:
    """The jurisdiction's organisations, unverified first."""
    stmt = select(Organisation).where(Organisation.authority_code == authority_code)
    if f.state is not None:
        stmt = stmt.where(Organisation.state == f.state)
    return stmt.order_by(Organisation.state.desc(), Organisation.id)


def pending_members(authority_code: str) -> list[User]:
    """Further accounts of the jurisdiction's organisations awaiting approval."""
    return list(db.session.scalars(select(User).join(Organisation, User.organisation_id == Organisation.id).where(
        Organisation.authority_code == authority_code, User.state == AccountState.PENDING)))


@dataclass(frozen=True)
class CallApplicationFilter:
    """?state=&authority= of a call's application list (the ministry's view); unknown state means "all"."""

    state: ApplicationState | None = None
    authority: str = ""

    @classmethod
    def parse(cls, state: str, authority: str) -> CallApplicationFilter:
        known = {s.value for s in ApplicationState}
        return cls(ApplicationState(state) if state in known else None, authority)


def call_applications(call: Call, f: CallApplicationFilter) -> Select:
    """A call's applications (drafts excluded) by authority and recommendation order. For the list: the
    figures and the narrative (the bulk of each row) are read only if asked for, and each row's call is
    `call`, not joined in again."""
    stmt = (select(Application).options(defer(Application.figures), defer(Application.narrative),
                                        lazyload(Application.call))
            .where(Application.call_id == call.id, Application.state != ApplicationState.DRAFT))
    if f.state is not None:
        stmt = stmt.where(Application.state == f.state)
    if f.authority:
        stmt = stmt.where(Application.authority_code == f.authority)
    return stmt.order_by(Application.authority_code, Application.recommend_order, Application.id)


def state_counts(call: Call) -> dict[ApplicationState, int]:
    """How many applications of a call are in each state."""
    return dict(db.session.execute(select(Application.state, func.count()).where(
        Application.call_id == call.id).group_by(Application.state)).all())


def application_counts() -> dict[int, int]:
    """How many applications each call has (drafts included)."""
    return dict(db.session.execute(select(Application.call_id, func.count()).group_by(Application.call_id)).all())


def authorities() -> list[Authority]:
    """Every authority by code (filters)."""
    return list(db.session.scalars(select(Authority).order_by(Authority.code)))
