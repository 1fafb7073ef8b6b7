"""Outgoing email (queued in the transaction, sent after commit) and the reminders already sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OutboundEmail(db.Model):
    """One email waiting to be (or already) sent; a rolled-back transaction leaves no row, so no email."""

    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)  # queued | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ReminderSent(db.Model):
    """A deadline reminder already sent to one user, so running the reminder job twice sends nothing new."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_reminders_sent_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(120))  # e.g. "call:12:closing:3"
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
