"""The history of a base's creation-plan targets: one row per saved change (form or import), with
its author, time, reason and whether the round's self-evaluation had already opened. The current
values stay in base_targets (models/funds.py); the rows here are never changed."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .account import User
from .types import UTCDateTime, utcnow


class BaseTargetVersion(db.Model):
    """Version `number` of one base's targets: what changed ({field: [old, new]}, plan-target
    integers, null for none) and the full set after the change."""

    __tablename__ = "base_target_versions"
    __table_args__ = (UniqueConstraint("base_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("first_batch_bases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default="form")  # form | import
    after_lock: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<BaseTargetVersion base={self.base_id} v{self.number}>"
