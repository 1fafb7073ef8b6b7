"""Authentication: password check with database-counted lockout, and server-side sessions."""
from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, bindparam, exists, func, select, update
from sqlalchemy.orm import defaultload

from ..domain.errors import N_
from ..extensions import db
from ..models import AccountState, FormStash, LoginFailure, User, UserSession
from ..models.types import utcnow
from . import audit
from .passwords import burn_time, check_password, hash_password, needs_rehash

#: The single answer to every failed login, so nothing tells which part was wrong.
LOGIN_FAILED_MESSAGE = N_("用户名或密码错误，或账户已被临时锁定")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class LoginResult:
    """The authenticated user, or None with the reason kept for the audit trail only."""

    user: User | None
    reason: str = ""


def _failures_in_window(user: User, now: datetime) -> int:
    since = now - current_app.config["LOCKOUT_WINDOW"]
    if user.failures_cleared_at and user.failures_cleared_at > since:
        since = user.failures_cleared_at
    return db.session.scalar(
        select(func.count(LoginFailure.id)).where(LoginFailure.user_id == user.id, LoginFailure.at > since)
    ) or 0


def is_locked(user: User, now: datetime | None = None) -> bool:
    """True while the account's lockout lasts."""
    now = now or utcnow()
    return user.locked_until is not None and now < user.locked_until


def authenticate(username: str, password: str, *, ip: str | None,
                 needs_second_factor: Callable[[User], bool] | None = None) -> LoginResult:
    """Check a login attempt; records failures and lockouts (the caller commits them either way).

    When `needs_second_factor(user)` is true the password step alone logs nobody in: the result
    carries the user with reason "second_factor" and the caller asks for the code.
    """
    now = utcnow()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        burn_time(password)
        audit.record_security("login_failure", username=username, outcome="failure",
                              detail={"reason": "unknown_user"})
        return LoginResult(None, "unknown_user")
    if is_locked(user, now):
        burn_time(password)
        audit.record_security("login_refused_locked", actor=user, outcome="failure")
        return LoginResult(None, "locked")
    if not check_password(user.password_hash, password):
        register_failure(user, "bad_password", ip=ip, now=now)
        return LoginResult(None, "bad_password")
    if user.state != AccountState.ACTIVE:
        audit.record_security("login_failure", actor=user, outcome="failure", detail={"reason": user.state.value})
        return LoginResult(None, user.state.value)
    if user.demo_password and current_app.config["ENV_NAME"] == "production":
        audit.record_security("login_failure", actor=user, outcome="failure", detail={"reason": "demo_password"})
        return LoginResult(None, "demo_password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if needs_second_factor is not None and needs_second_factor(user):
        # Not logged in yet, and the failure count stays: code failures add to the same lockout.
        audit.record_security("login_password_ok", actor=user, detail={"next_step": "second_factor"})
        return LoginResult(user, "second_factor")
    complete_login(user)
    return LoginResult(user)


def complete_login(user: User, *, second_factor: str | None = None) -> None:
    """Book a successful login: the failures so far no longer count towards a lockout."""
    now = utcnow()
    user.last_login_at = now
    user.failures_cleared_at = now
    audit.record_security("login_success", actor=user,
                          detail={"second_factor": second_factor} if second_factor else None)


def register_failure(user: User, reason: str, *, ip: str | None, now: datetime | None = None) -> bool:
    """Count a failed login step (password or second factor); the 5th in the window locks the account.

    Returns True when this failure locked the account.
    """
    now = now or utcnow()
    db.session.add(LoginFailure(user_id=user.id, at=now, ip=ip))
    db.session.flush()
    audit.record_security("login_failure", actor=user, outcome="failure", detail={"reason": reason})
    if _failures_in_window(user, now) >= current_app.config["LOCKOUT_THRESHOLD"]:
        user.locked_until = now + current_app.config["LOCKOUT_DURATION"]
        user.failures_cleared_at = now
        audit.record_security("account_locked", actor=user, obj=user, outcome="failure")
        return True
    return False


def start_session(user: User, *, ip: str | None) -> str:
    """Create a server-side session and return its token (only the hash is stored)."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_token_hash(token), user_id=user.id, ip=ip))
    user.session_token = token  # type: ignore[attr-defined]
    return token


@dataclass
class SessionLookup:
    """What a session token resolved to: a live user, or the user whose session just expired."""

    user: User | None
    expired_user_id: int | None = None
    #: Whether input kept at an expiry waits for this user (read in the same query, so that the
    #: request hook looks the stash up only when there is one).
    has_form_stash: bool = False


@functools.cache
def _session_by_token() -> Select:
    """Built once: every request runs it. The user comes with the session row, but not the user's organisation
    or authority: the ministry's, the experts' and most pages never look at them, and the two outer joins cost
    every request more than the one lookup by key costs the few pages that do."""
    stashed = exists().where(FormStash.user_id == UserSession.user_id)
    user = defaultload(UserSession.user)
    return (select(UserSession, stashed).where(UserSession.token_hash == bindparam("token_hash"))
            .options(user.lazyload(User.organisation), user.lazyload(User.authority)))


def load_session(token: str) -> SessionLookup:
    """Resolve a token: refuse revoked, idle-expired, over-age sessions and inactive users.

    One query: the session row, its user and whether a form stash waits for that user."""
    found = db.session.execute(_session_by_token(), {"token_hash": _token_hash(token)}).first()
    row, has_stash = found if found is not None else (None, False)
    if row is None or row.revoked_at is not None:
        return SessionLookup(None)
    now = utcnow()
    cfg = current_app.config
    if now - row.last_seen_at > cfg["SESSION_IDLE_TIMEOUT"] or now - row.created_at > cfg["SESSION_ABSOLUTE_TIMEOUT"]:
        row.revoked_at = now
        return SessionLookup(None, expired_user_id=row.user_id)
    if not row.user.is_active:
        return SessionLookup(None)
    # Touch at most once a minute: the idle clock needs no finer grain than that.
    if (now - row.last_seen_at).total_seconds() > 60:
        row.last_seen_at = now
    row.user.session_token = token  # type: ignore[attr-defined]
    return SessionLookup(row.user, has_form_stash=bool(has_stash))


def end_session(token: str | None) -> None:
    """Revoke one session (logout)."""
    if token:
        db.session.execute(
            update(UserSession).where(UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_sessions(user: User) -> int:
    """Revoke every session of a user (password change, disabling, role change). Returns the count."""
    result = db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0
