"""Weight versions of an indicator system: set directly, by AHP, or a rule (entropy, CRITIC)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class WeightVersion(db.Model):
    """One version of the weights of a system (optionally of one category); never edited."""

    __tablename__ = "weight_versions"
    __table_args__ = (UniqueConstraint("criteria_id", "criteria_version", "category", "number",
                                       name="uq_weight_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    criteria_id: Mapped[str] = mapped_column(String(60))
    criteria_version: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20), default="")  # "" = the whole system
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per (system, category)
    rule: Mapped[str] = mapped_column(String(10))  # direct | ahp | entropy | critic
    # Decimal text per indicator id (direct and AHP); empty for entropy/CRITIC, whose values are
    # computed from each run's own matrix and stored with the run.
    values: Mapped[str] = mapped_column(Text, default="{}")
    ahp_matrix: Mapped[str | None] = mapped_column(Text, default=None)  # JSON, AHP only
    consistency_ratio: Mapped[str | None] = mapped_column(String(20), default=None)
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def weights(self) -> dict[str, float]:
        """The stored weights as floats (what the ranking engine takes)."""
        return {k: float(v) for k, v in json.loads(self.values or "{}").items()}
