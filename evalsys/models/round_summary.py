"""Issued national summaries of a performance round (全国汇总报告): signed, numbered like the base
reports and verifiable by serial; never changed after issue except `status` (valid → superseded)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .account import _enum
from .evaluation import EvaluationRound, ReportStatus
from .types import UTCDateTime, utcnow


class RoundSummaryReport(db.Model):
    """One issued national summary of a round. `snapshot` is the exact data rendered (the PDF and the
    XLSX both come from it); `path` (under ISSUED_DIR) holds the signed PDF whose hash is `signed_sha256`."""

    __tablename__ = "round_summary_reports"
    __table_args__ = (
        UniqueConstraint("round_id", "sequence"),
        # At most one valid summary per round: a new issue supersedes the previous one.
        Index("uq_round_summary_reports_valid_round", "round_id", unique=True,
              sqlite_where=text("status = 'valid'"), postgresql_where=text("status = 'valid'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    unsigned_sha256: Mapped[str] = mapped_column(String(64))
    signed_sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, 12), default=ReportStatus.VALID)
    issuer: Mapped[str] = mapped_column(String(100))
    issued_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[str] = mapped_column(Text)

    round: Mapped[EvaluationRound] = relationship(lazy="joined")
