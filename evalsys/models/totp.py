"""Second factor: one TOTP credential per account (secret stored encrypted) and hashed recovery codes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class TotpCredential(db.Model):
    """An account's TOTP secret: pending until confirmed with a code, then required at every login."""

    __tablename__ = "totp_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    # Fernet token of the base32 secret; the key lives outside the database (config).
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The last 30-second time step whose code was accepted: that code and older ones are refused.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger, default=None)

    @property
    def is_confirmed(self) -> bool:
        """True once the account proved it holds the secret."""
        return self.confirmed_at is not None


class RecoveryCode(db.Model):
    """A one-time recovery code; only its hash is stored."""

    __tablename__ = "totp_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
