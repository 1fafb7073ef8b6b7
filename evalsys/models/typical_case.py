"""Typical cases (典型案例) of approved demonstration bases and enterprises, with their images."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .application import Application
from .file import StoredFile
from .types import UTCDateTime, utcnow


class CaseState(str, enum.Enum):
    """submitted → authority_approved → published; either reviewer may return it with a reason."""

    SUBMITTED = "submitted"
    AUTHORITY_APPROVED = "authority_approved"
    PUBLISHED = "published"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        """Chinese name."""
        return {"submitted": "待推荐单位审核", "authority_approved": "待商务部审核", "published": "已发布",
                "returned": "已退回"}[self.value]


class TypicalCase(db.Model):
    """A case written by an approved base or enterprise about its demonstration work."""

    __tablename__ = "typical_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[CaseState] = mapped_column(
        Enum(CaseState, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=CaseState.SUBMITTED)
    return_reason: Mapped[str | None] = mapped_column(Text, default=None)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    authority_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    authority_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    application: Mapped[Application] = relationship(lazy="joined")

    @property
    def open_return_reason(self) -> str | None:
        """Why the ministry returned the case, while it stands returned."""
        return self.return_reason if self.state == CaseState.RETURNED else None


class TypicalCaseImage(db.Model):
    """An image of a case: re-encoded PNG/JPEG without metadata, stored as a file."""

    __tablename__ = "typical_case_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("typical_cases.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    file: Mapped[StoredFile] = relationship(lazy="joined")
