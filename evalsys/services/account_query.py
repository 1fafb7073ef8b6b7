"""Reads behind the account pages: the security admin's account and expert lists, a user's notifications, and
the authority's search over its jurisdiction's applicant accounts."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, case, or_, select

from ..models import Notification, Organisation, ReviewerProfile, ReviewerState, Role, User


@dataclass(frozen=True)
class AccountFilter:
    """?q= and ?role= of the accounts page; unknown roles mean "all"."""

    q: str = ""
    role: str = ""

    @classmethod
    def parse(cls, q: str, role: str) -> AccountFilter:
        # Control characters can match no account, and PostgreSQL refuses NUL in a query parameter (500).
        return cls(re.sub(r"[\x00-\x1f\x7f]", "", q).strip()[:40], role)


def accounts(f: AccountFilter) -> Select:
    """Accounts by id, filtered by name and role (to paginate)."""
    stmt = select(User).order_by(User.id)
    if f.q:
        stmt = stmt.where(or_(User.username.contains(f.q), User.display_name.contains(f.q)))
    if f.role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(f.role))
    return stmt


def reviewer_profiles() -> Select:
    """Expert profiles waiting for an account first, then the others (to paginate)."""
    return select(ReviewerProfile).order_by(case((ReviewerProfile.state == ReviewerState.PENDING, 0), else_=1),
                                            ReviewerProfile.id)


def notifications_of(user_id: int) -> Select:
    """A user's notifications, newest first (to paginate)."""
    return select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc())


@dataclass(frozen=True)
class AccountSearch:
    """What the accounts page was asked for (?q=): control characters dropped, at most 40 characters."""

    q: str = ""

    @classmethod
    def parse(cls, raw: str | None) -> AccountSearch:
        return cls(re.sub(r"[\x00-\x1f\x7f]", "", raw or "").strip()[:40])


def jurisdiction_accounts(authority_code: str | None, search: AccountSearch) -> Select:
    """The jurisdiction's applicant accounts matching the search, by organisation and username."""
    stmt = (select(User).join(Organisation, User.organisation_id == Organisation.id)
            .where(User.role == Role.APPLICANT, Organisation.authority_code == authority_code)
            .order_by(Organisation.name, User.username))
    if search.q:
        stmt = stmt.where(or_(User.username.contains(search.q), Organisation.name.contains(search.q),
                              User.display_name.contains(search.q)))
    return stmt
