"""Personal API tokens: created (shown once, only the SHA-256 kept), resolved from a bearer header,
revoked. A token acts exactly as its account does in the web interface, and only while that account
could log in: disabled, locked, pending or awaiting a password change or a second factor → no token."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..domain.api_tokens import DEFAULT_DAYS, MAX_DAYS
from ..domain.errors import DomainError, N_
from ..extensions import db
from ..models import AccountState, ApiToken, User
from ..models.types import utcnow
from ..permissions import can_manage_tokens_of
from . import audit
from .auth import is_locked
from .totp import enrolment_required

TOKEN_PREFIX = "evs_"
MAX_NAME = 60


class TokenError(DomainError):
    """A refused token operation, with a Chinese message."""


def token_hash(token: str) -> str:
    """The stored form of a token (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def refusal(user: User) -> str | None:
    """Why an account may hold or use no token now (Chinese), or None when it may."""
    if user.state != AccountState.ACTIVE:
        return N_("账户未启用或已停用，不能使用API令牌")
    if is_locked(user):
        return N_("账户已被临时锁定，不能使用API令牌")
    if user.must_change_password:
        return N_("账户须先修改临时密码，才能使用API令牌")
    if user.demo_password and current_app.config["ENV_NAME"] == "production":
        return N_("演示账户须先修改密码，才能使用API令牌")
    if enrolment_required(user):
        return N_("账户须先启用两步验证，才能使用API令牌")
    return None


@dataclass(frozen=True)
class NewToken:
    """A created token: the row and the secret, which is shown once and then forgotten."""

    row: ApiToken
    secret: str


def create_token(user: User, *, actor: User | None, name: str = "", days: int | None = None) -> NewToken:
    """Create a token for `user` (by the user itself, the security admin, or the CLI when actor is None)."""
    if actor is not None and not can_manage_tokens_of(actor, user):
        raise TokenError(N_("无权为该账户创建API令牌"))
    reason = refusal(user)
    if reason:
        raise TokenError(reason)
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(N_("有效期应为1至%(days)s天"), days=MAX_DAYS)
    name = (name or "").strip() or "API令牌"
    if len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise TokenError(N_("令牌名称不能超过%(count)s个字符，且不能含控制字符"), count=MAX_NAME)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(secret), prefix=secret[:10],
                   created_at=now, expires_at=now + timedelta(days=days),
                   created_by_id=actor.id if actor is not None else None)
    db.session.add(row)
    db.session.flush()
    audit.record("api_token_created", obj=row, actor=actor,
                 username=None if actor is not None else "cli",
                 detail={"user": user.username, "name": name, "expires_at": row.expires_at.isoformat(),
                         "via": "cli" if actor is None else ("self" if actor.id == user.id else "secadmin")})
    return NewToken(row, secret)


def revoke_token(row: ApiToken, *, actor: User) -> bool:
    """Revoke a token (False when it was already revoked); the next request with it is refused."""
    if not can_manage_tokens_of(actor, row.user):
        raise TokenError(N_("无权撤销该API令牌"))
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    row.revoked_by_id = actor.id
    audit.record("api_token_revoked", obj=row, actor=actor,
                 detail={"user": row.user.username, "name": row.name})
    return True


def tokens_of(user: User) -> list[ApiToken]:
    """An account's tokens, newest first."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())))


@dataclass(frozen=True)
class Resolved:
    """The outcome of checking a presented token: the row and account, or the reason it failed."""

    token: ApiToken | None
    reason: str = ""
    message: str = ""


def resolve(secret: str, *, now: datetime | None = None) -> Resolved:
    """Find a valid token for a presented secret; records its use (last-used time, bounded audit)."""
    now = now or utcnow()
    if not secret or len(secret) > 200 or not secret.startswith(TOKEN_PREFIX) or not secret.isascii() \
            or any(ord(c) < 33 or ord(c) == 127 for c in secret):
        return Resolved(None, "malformed", N_("API令牌无效"))
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if row is None:
        return Resolved(None, "unknown", N_("API令牌无效"))
    if row.revoked_at is not None:
        return Resolved(None, "revoked", N_("API令牌已被撤销"))
    if now >= row.expires_at:
        return Resolved(None, "expired", N_("API令牌已过期"))
    reason = refusal(row.user)
    if reason:
        return Resolved(row, "account", reason)
    row.last_used_at = now
    interval = current_app.config.get("API_TOKEN_USE_AUDIT_INTERVAL", timedelta(minutes=15))
    if row.use_audited_at is None or now - row.use_audited_at >= interval:
        row.use_audited_at = now
        audit.record("api_token_used", obj=row, actor=row.user, detail={"name": row.name})
    return Resolved(row)
