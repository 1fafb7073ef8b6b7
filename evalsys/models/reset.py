"""Password reset links: only the SHA-256 of the one-time token is stored, with its expiry and use."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .account import User
from .types import UTCDateTime, utcnow


class PasswordResetToken(db.Model):
    """One emailed reset link; valid until `expires_at`, usable once (`used_at`)."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the link was used, and also when a newer link or another reset superseded it.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The security admin or authority who sent the link; None when the user asked for it.
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
