"""The audit trail: append-only records, their HMAC chain, and the HMAC-protected chain head."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class AuditRecord(db.Model):
    """One audited event. The database refuses UPDATE and DELETE on this table (triggers)."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_created_at", "created_at"),
        Index("ix_audit_records_event", "event"),
        Index("ix_audit_records_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # No foreign key: the trail must outlive (and never block) changes to the accounts it names.
    user_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    username: Mapped[str | None] = mapped_column(String(40), default=None)
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    event: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40), default=None)
    object_id: Mapped[str | None] = mapped_column(String(60), default=None)
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    request_id: Mapped[str | None] = mapped_column(String(36), default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)  # JSON; never secrets


class AuditChain(db.Model):
    """The HMAC link of one record, written after commit in id order; insert-only like the records."""

    __tablename__ = "audit_chain"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    record_id: Mapped[int] = mapped_column(ForeignKey("audit_records.id"), unique=True)
    mac: Mapped[str] = mapped_column(String(64))
    # The HMAC's hash (sha256 or sm3) when this link was made; verification uses it, not the setting.
    algorithm: Mapped[str] = mapped_column(String(10), default="sha256", server_default="sha256")


class AuditHead(db.Model):
    """Single row naming the last chained link, itself MAC'ed so a cut-off tail is detected."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    record_id: Mapped[int] = mapped_column(Integer, default=0)
    mac: Mapped[str] = mapped_column(String(64), default="")
    head_mac: Mapped[str] = mapped_column(String(64), default="")
    # After an archive, the link the remaining chain continues from.
    anchor_seq: Mapped[int] = mapped_column(Integer, default=0)
    anchor_mac: Mapped[str] = mapped_column(String(64), default="")
    algorithm: Mapped[str] = mapped_column(String(10), default="sha256", server_default="sha256")


class AuditArchiveGate(db.Model):
    """The one privileged path for removing audit rows: the triggers let a DELETE through only for a
    record id listed here. `audit archive` fills it, deletes and empties it inside one transaction, so
    it is never seen non-empty from outside that transaction; UPDATE stays refused always."""

    __tablename__ = "audit_archive_gate"

    record_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
