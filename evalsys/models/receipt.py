"""Submission receipts (申报回执): one per submission of an application, stored like issued reports —
serial, SHA-256 of the file written atomically, and the snapshot it was rendered from."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .application import Application
from .types import UTCDateTime, utcnow


class SubmissionReceipt(db.Model):
    """The receipt of one submission; never changed. The public verify page shows only its listed fields."""

    __tablename__ = "submission_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))  # relative to the issued-files folder
    size: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[str] = mapped_column(Text)  # the ReceiptDoc as canonical JSON

    application: Mapped[Application] = relationship(lazy="joined")
