"""API access: bearer tokens (only the SHA-256 of the token is stored) and idempotency keys."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .account import User
from .types import UTCDateTime, utcnow


class TokenStatus(str, enum.Enum):
    """Whether a token is in force at the time of asking."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class ApiToken(db.Model):
    """A personal API token of one account: shown once, valid until `expires_at` unless revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, to tell tokens apart in lists (never enough to use it).
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When the last "api_token_used" audit record was written (bounded: one per interval).
    use_audited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The account itself, or the security admin who created the token for it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def is_valid(self, now: datetime) -> bool:
        """Neither revoked nor expired."""
        return self.revoked_at is None and now < self.expires_at

    @property
    def status(self) -> TokenStatus:
        """有效 / 已撤销 / 已过期 (at the time of asking)."""
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        return TokenStatus.ACTIVE if utcnow() < self.expires_at else TokenStatus.EXPIRED


class IdempotencyKey(db.Model):
    """One `Idempotency-Key` of an account with the request it was first used for and the answer given.

    The row is inserted first, in the transaction that makes the change; the unique constraint makes
    concurrent identical requests wait for it and then replay the stored answer.
    """

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_api_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    content_type: Mapped[str | None] = mapped_column(String(100), default=None)
    body: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
