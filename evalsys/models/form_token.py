"""One-time form tokens: a token issued with a form is consumed, in the same transaction as what
the form creates, by inserting it here; the unique index makes a second submit of the same form fail."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class UsedFormToken(db.Model):
    """A consumed form token and what its submit created (to send a repeated submit there)."""

    __tablename__ = "used_form_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(Integer)
    object_id: Mapped[int | None] = mapped_column(Integer, default=None)
    used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
