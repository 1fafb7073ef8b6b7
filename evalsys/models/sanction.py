"""Overrides of the allocation ban (domain.md §6 use of results): a base graded 差 or revoked gets no
new allocation unless one admin proposes it with a reason and a second, different admin approves."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.marking import N_
from ..extensions import db

from .account import _enum
from .funds import FirstBatchBase
from .types import UTCDateTime, utcnow


class OverrideState(str, enum.Enum):
    """Where an override stands; an approved one has created its allocation."""

    PENDING = "pending"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """Chinese name of the state."""
        return {"pending": N_("待批准"), "approved": N_("已批准并下达"), "withdrawn": N_("已撤回")}[self.value]


class AllocationOverride(db.Model):
    """A proposed allocation to a sanctioned base: the allocation's data, the sanction it overrides,
    the proposer's reason, and the approving admin (never the proposer)."""

    __tablename__ = "allocation_overrides"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("first_batch_bases.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    document_no: Mapped[str] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[dt.date | None] = mapped_column(Date, default=None)
    period_end: Mapped[dt.date | None] = mapped_column(Date, default=None)
    sanction: Mapped[str] = mapped_column(Text)  # why allocations are barred, as shown when proposed
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[OverrideState] = mapped_column(_enum(OverrideState, 10), default=OverrideState.PENDING)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("fund_allocations.id"), default=None)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    base: Mapped[FirstBatchBase] = relationship()

    __mapper_args__ = {"version_id_col": version_id}
