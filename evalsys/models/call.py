"""Calls (申报批次): kind, timetable, indicator-system version, quota, places, review settings."""
from __future__ import annotations

import enum
import json
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.marking import N_
from ..domain.workflow import CallTimes

from ..extensions import db
from .types import UTCDateTime, utcnow


class CallKind(str, enum.Enum):
    """What a call selects: demonstration bases or demonstration enterprises."""

    BASE = "base"
    ENTERPRISE = "enterprise"

    @property
    def label(self) -> str:
        """Chinese name of the kind."""
        return {"base": N_("示范基地"), "enterprise": N_("示范企业")}[self.value]


class Call(db.Model):
    """One call for applications; times are stored UTC and shown in Beijing time."""

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("reviewers_per_application >= 5", name="reviewers_at_least_5"),
        CheckConstraint("quota_per_authority > 0", name="quota_positive"),
        CheckConstraint("publicity_days > 0", name="publicity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[CallKind] = mapped_column(
        Enum(CallKind, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]))
    title: Mapped[str] = mapped_column(String(200))
    year_from: Mapped[int] = mapped_column(Integer)
    year_to: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recommend_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    review_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    review_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    criteria_id: Mapped[str] = mapped_column(String(60))
    criteria_version: Mapped[int] = mapped_column(Integer)
    quota_per_authority: Mapped[int] = mapped_column(Integer)
    places_total: Mapped[int | None] = mapped_column(Integer, default=None)
    # JSON {"category code": places}; when set, places are per category.
    places_by_category: Mapped[str | None] = mapped_column(Text, default=None)
    reviewers_per_application: Mapped[int] = mapped_column(Integer, default=5)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    publicity_days: Mapped[int] = mapped_column(Integer, default=7)
    categories: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of category codes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Locked when scoring starts (domain.md §7): runs with other settings are comparisons only.
    official_method: Mapped[str] = mapped_column(String(20), default="weighted-total")
    weight_rule: Mapped[str] = mapped_column(String(10), default="direct")  # direct | ahp | entropy | critic
    # A plain id (no foreign key) so adding it needs no table rebuild on SQLite.
    weight_version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    adjusted_aggregation: Mapped[bool] = mapped_column(Boolean, default=False)  # bias-adjusted official runs
    settings_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def times(self) -> CallTimes:
        """The timetable as the domain's value object."""
        return CallTimes(self.opens_at, self.closes_at, self.recommend_deadline, self.review_starts_at,
                         self.review_ends_at)

    @property
    def category_codes(self) -> list[str]:
        """The call's categories (empty when it has none)."""
        return list(json.loads(self.categories or "[]"))

    @property
    def places(self) -> dict[str, int]:
        """Places per category, or {"": total} for a call without categories."""
        if self.places_by_category:
            return {k: int(v) for k, v in json.loads(self.places_by_category).items()}
        return {"": int(self.places_total or 0)}


class QuotaCounter(db.Model):
    """Guard row per (call, authority): recommendations used, and the authority's own quota when the
    ministry set one (NULL: the call's default); the quota holds under concurrency."""

    __tablename__ = "quota_counters"
    __table_args__ = (CheckConstraint("used >= 0", name="used_non_negative"),
                      CheckConstraint("quota IS NULL OR quota >= 0", name="quota_non_negative"))

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code"), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
    quota: Mapped[int | None] = mapped_column(Integer, default=None)


class RecommendationLetter(db.Model):
    """The sealed recommendation letter (推荐函) an authority uploads for a call; the newest counts."""

    __tablename__ = "recommendation_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code"))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
