"""Decisions after a ranking: proposals (拟入选), publicity (公示), objections (异议), the announcement (公布)."""
from __future__ import annotations

import enum
import json
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.marking import N_
from ..extensions import db

from .types import UTCDateTime, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ProposalState(str, enum.Enum):
    """A proposal differing from the official run waits for a second admin's approval."""

    PENDING = "pending"
    APPLIED = "applied"
    WITHDRAWN = "withdrawn"


class Proposal(db.Model):
    """The candidates proposed for one cohort from an official run (or a replacement after an objection)."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), default="")
    run_id: Mapped[int] = mapped_column(ForeignKey("ranking_runs.id"))
    kind: Mapped[str] = mapped_column(String(20), default="initial")  # initial | replacement
    application_ids: Mapped[str] = mapped_column(Text)  # JSON list, the proposed ones
    expected_ids: Mapped[str] = mapped_column(Text)  # JSON list, what the official run gives
    differs: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[ProposalState] = mapped_column(_enum(ProposalState), default=ProposalState.PENDING)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def ids(self) -> list[int]:
        """The proposed application ids."""
        return [int(i) for i in json.loads(self.application_ids)]

    @property
    def expected(self) -> list[int]:
        """The application ids the official run puts within the places."""
        return [int(i) for i in json.loads(self.expected_ids)]


class PublicityEntry(db.Model):
    """One candidate's publicity period (a replacement gets a full period of its own)."""

    __tablename__ = "publicity_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    days: Mapped[int] = mapped_column(Integer)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class ObjectionState(str, enum.Enum):
    """An objection is open until resolved: upheld (the candidate is rejected) or dismissed."""

    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        """Chinese name."""
        return {"open": N_("待处理"), "upheld": N_("异议成立"), "dismissed": N_("异议不成立")}[self.value]


class Objection(db.Model):
    """An objection received by letter or phone during publicity, recorded by the ministry."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # letter | phone
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[ObjectionState] = mapped_column(_enum(ObjectionState), default=ObjectionState.OPEN)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class CallAnnouncement(db.Model):
    """The announcement of a call's results (公布); authorities see their results only after it."""

    __tablename__ = "call_announcements"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    announced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
