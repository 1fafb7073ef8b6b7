"""Annual e-commerce work summaries the 37 authorities send to the ministry (the notice's dated duty)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .file import StoredFile
from .types import UTCDateTime, utcnow


class SummaryCollection(db.Model):
    """A collection opened by the ministry: year and due date (e.g. 2015 due 2015-11-10)."""

    __tablename__ = "summary_collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date] = mapped_column(Date)  # submissions count as on time until 24:00 Beijing that day
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class SummarySubmission(db.Model):
    """One uploaded summary (PDF) of an authority; the newest counts, earlier ones are kept."""

    __tablename__ = "summary_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("summary_collections.id"), index=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    file: Mapped[StoredFile] = relationship(lazy="joined")
