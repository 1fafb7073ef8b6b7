"""Applications, their attachments, their workflow timeline and the applicants' notifications."""
from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.marking import N_
from ..domain.workflow import ApplicationState

from ..extensions import db
from .account import Organisation
from .call import Call
from .file import StoredFile
from .types import UTCDateTime, utcnow


def _state_enum() -> Enum:
    return Enum(ApplicationState, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class AttachmentKind(str, enum.Enum):
    """The documents an application carries (domain.md §4)."""

    LICENCE = "licence"
    REPORT = "report"
    ACCOUNTS = "accounts"
    SEALED_FORM = "sealed_form"

    @property
    def label(self) -> str:
        """Chinese name of the document."""
        return {"licence": N_("营业执照"), "report": N_("申报报告"), "accounts": N_("经审计的财务报表"),
                "sealed_form": N_("盖章申报表（扫描件）")}[self.value]

    @property
    def allowed(self) -> tuple[str, ...]:
        """Sniffed content types accepted: PDF, and images for the licence."""
        return ("pdf", "png", "jpeg") if self is AttachmentKind.LICENCE else ("pdf",)


class Application(db.Model):
    """One organisation's application to one call (unique per call and organisation)."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("call_id", "organisation_id", name="uq_applications_call_org"),
        Index("ix_applications_call_state", "call_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Copied from the organisation when the draft starts, so filters by jurisdiction need no join
    # and a later change of the organisation's authority does not move a running application.
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code"), index=True)
    state: Mapped[ApplicationState] = mapped_column(_state_enum(), default=ApplicationState.DRAFT)
    category: Mapped[str | None] = mapped_column(String(20), default=None)
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    legal_representative: Mapped[str] = mapped_column(String(60), default="")
    # Declared parent company: a parent and its subsidiary may not both apply (enterprise gate).
    parent_uscc: Mapped[str | None] = mapped_column(String(18), default=None)
    # Figures asked by the call's indicator system, in storage units (fen, basis points, …).
    figures: Mapped[str] = mapped_column(Text, default="{}")
    narrative: Mapped[str] = mapped_column(Text, default="{}")  # {section id: text}
    recommend_order: Mapped[int | None] = mapped_column(Integer, default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    call: Mapped[Call] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def figure_values(self) -> dict[str, Any]:
        """The stored figures as a dict."""
        return json.loads(self.figures or "{}")

    @property
    def narrative_sections(self) -> dict[str, str]:
        """The narrative sections as a dict."""
        return json.loads(self.narrative or "{}")


class ApplicationAttachment(db.Model):
    """A document attached to an application; a newer one of the same kind replaces it on screen."""

    __tablename__ = "application_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(
        Enum(AttachmentKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    file: Mapped[StoredFile] = relationship(lazy="joined")


class Transition(db.Model):
    """One step of an application's timeline (the workflow table, separate from the audit trail)."""

    __tablename__ = "application_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[ApplicationState] = mapped_column(_state_enum())
    to_state: Mapped[ApplicationState] = mapped_column(_state_enum())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    acting_unit: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """An in-app message to one user (e.g. every state change of the organisation's applications)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text)  # the Chinese text (the email's body; rows older than templates)
    # The catalogue msgid the text was made from and its values (JSON, domain/notices.py); each reader sees
    # it in their language. None on rows written before templates: those show `message`.
    template: Mapped[str | None] = mapped_column(Text, default=None)
    params: Mapped[str | None] = mapped_column(Text, default=None)
    link: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def values(self) -> dict[str, Any]:
        """The template's values."""
        return json.loads(self.params or "{}")
