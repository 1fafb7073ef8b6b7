"""Reads behind the account pages: the security admin's account and expert lists, a user's notifications, and
the authority's search over its jurisdiction's applicant accounts."""
from __future__ import annotations

from sqlalchemy import Select, case, select

from ..listing import ListQuery, ordered, search
from ..models import AccountState, Notification, Organisation, ReviewerProfile, ReviewerState, Role, User


ACCOUNT_SORTS = {"username": (User.username,), "name": (User.display_name,), "role": (User.role,),
                 "state": (User.state,), "created": (User.created_at,), "last_login": (User.last_login_at,)}


def accounts(lq: ListQuery) -> Select:
    """Accounts matching the search (username, name, organisation name or USCC) and ?role=&state=; by default by id
    (to paginate)."""
    stmt = select(User).outerjoin(Organisation, User.organisation_id == Organisation.id)
    stmt = search(stmt, lq.q, User.username, User.display_name, Organisation.name, Organisation.uscc)
    if lq.get("role"):
        stmt = stmt.where(User.role == Role(lq.get("role")))
    if lq.get("state"):
        stmt = stmt.where(User.state == AccountState(lq.get("state")))
    return ordered(stmt, lq, ACCOUNT_SORTS, (User.id,), User.id)


PROFILE_SORTS = {"id": (ReviewerProfile.id,), "name": (ReviewerProfile.name,),
                 "authority": (ReviewerProfile.home_authority_code,), "organisation": (ReviewerProfile.organisation_name,)}


def reviewer_profiles(lq: ListQuery = ListQuery()) -> Select:
    """Expert profiles matching the search (name, work unit, its USCC) and ?account=; by default those waiting for
    an account first, then the others (to paginate)."""
    stmt = search(select(ReviewerProfile), lq.q, ReviewerProfile.name, ReviewerProfile.organisation_name,
                  ReviewerProfile.organisation_uscc)
    if lq.get("account") == "none":
        stmt = stmt.where(ReviewerProfile.user_id.is_(None))
    elif lq.get("account") == "some":
        stmt = stmt.where(ReviewerProfile.user_id.is_not(None))
    return ordered(stmt, lq, PROFILE_SORTS,
                   (case((ReviewerProfile.state == ReviewerState.PENDING, 0), else_=1), ReviewerProfile.id),
                   ReviewerProfile.id)


NOTIFICATION_SORTS = {"created": (Notification.created_at,)}


def notifications_of(user_id: int, lq: ListQuery = ListQuery()) -> Select:
    """A user's notifications matching the search and ?read=; by default newest first (to paginate)."""
    stmt = search(select(Notification).where(Notification.user_id == user_id), lq.q, Notification.message)
    if lq.get("read") == "unread":
        stmt = stmt.where(Notification.read_at.is_(None))
    elif lq.get("read") == "read":
        stmt = stmt.where(Notification.read_at.is_not(None))
    return ordered(stmt, lq, NOTIFICATION_SORTS, (Notification.id.desc(),), Notification.id)


JURISDICTION_ACCOUNT_SORTS = {"username": (User.username,), "organisation": (Organisation.name,),
                              "name": (User.display_name,), "state": (User.state,), "last_login": (User.last_login_at,)}


def jurisdiction_accounts(authority_code: str | None, lq: ListQuery) -> Select:
    """The jurisdiction's applicant accounts matching the search (username, contact, organisation name or USCC) and
    ?state=; by default by organisation and username."""
    stmt = (select(User).join(Organisation, User.organisation_id == Organisation.id)
            .where(User.role == Role.APPLICANT, Organisation.authority_code == authority_code))
    stmt = search(stmt, lq.q, User.username, Organisation.name, Organisation.uscc, User.display_name)
    if lq.get("state"):
        stmt = stmt.where(User.state == AccountState(lq.get("state")))
    return ordered(stmt, lq, JURISDICTION_ACCOUNT_SORTS, (Organisation.name, User.username), User.id)
