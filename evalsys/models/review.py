"""Expert review: the reviewer pool, declared conflicts, assignments, score sheets and scores."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .account import User
from .application import Application
from .types import UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class ReviewerState(str, enum.Enum):
    """An expert profile becomes a usable reviewer once the security admin activates its account."""

    PENDING = "pending"
    ACTIVE = "active"
    INACTIVE = "inactive"


class ReviewerProfile(db.Model):
    """An expert in the pool: field tags, home authority and own organisation drive the exclusions."""

    __tablename__ = "reviewer_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True, default=None)
    name: Mapped[str] = mapped_column(String(60))
    field_tags: Mapped[str] = mapped_column(String(300), default="")  # comma-separated
    home_authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code"), index=True)
    organisation_uscc: Mapped[str | None] = mapped_column(String(18), default=None)
    organisation_name: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[ReviewerState] = mapped_column(_enum(ReviewerState), default=ReviewerState.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")


class ConflictDeclaration(db.Model):
    """A reviewer's declared conflict of interest (回避) with an organisation, by USCC."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("reviewer_id", "organisation_uscc", name="uq_conflicts_reviewer_uscc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer_profiles.id"), index=True)
    organisation_uscc: Mapped[str] = mapped_column(String(18))
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentState(str, enum.Enum):
    """Whether an assignment still counts towards the application's reviewers."""

    ACTIVE = "active"
    REMOVED = "removed"  # by the admin, with a reason
    DECLINED = "declined"  # the reviewer declared a conflict


class Assignment(db.Model):
    """One reviewer assigned to one application."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="uq_assignments_app_reviewer"),
        Index("ix_assignments_call_reviewer", "call_id", "reviewer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer_profiles.id"))
    state: Mapped[AssignmentState] = mapped_column(_enum(AssignmentState), default=AssignmentState.ACTIVE)
    source: Mapped[str] = mapped_column(String(20), default="auto")  # auto | manual | replacement
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Blind calls: the reviewer confirmed "no conflict" on the identity-only page.
    no_conflict_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    application: Mapped[Application] = relationship(lazy="joined")
    reviewer: Mapped[ReviewerProfile] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        """The expert still reviews this application (not removed, not declined)."""
        return self.state == AssignmentState.ACTIVE


class SheetState(str, enum.Enum):
    """A score sheet's life: draft → submitted (locked); voided by a later conflict."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    VOIDED = "voided"


class ScoreSheet(db.Model):
    """A reviewer's sheet for one assignment; scores are locked once submitted."""

    __tablename__ = "score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), unique=True)
    state: Mapped[SheetState] = mapped_column(_enum(SheetState), default=SheetState.DRAFT)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Divergence (domain.md §5): flagged sheets reopen for a written comment only.
    divergence_flagged: Mapped[bool] = mapped_column(default=False)
    divergence_comment: Mapped[str | None] = mapped_column(Text, default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The admin reopened a submitted sheet (the call's stored runs became stale): when and why.
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reopen_reason: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    assignment: Mapped[Assignment] = relationship(lazy="joined")

    @property
    def is_locked(self) -> bool:
        """Submitted: the scores can no longer be changed by the reviewer."""
        return self.state == SheetState.SUBMITTED

    @property
    def is_reopened_draft(self) -> bool:
        """The admin reopened the submitted sheet and the reviewer has not submitted it again yet."""
        return self.reopened_at is not None and self.state == SheetState.DRAFT


class Score(db.Model):
    """One E-indicator score on a sheet, in tenths of a point (steps of 0.1 are exact integers)."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("sheet_id", "indicator_id", name="uq_scores_sheet_indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id"), index=True)
    indicator_id: Mapped[str] = mapped_column(String(60))
    tenths: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
