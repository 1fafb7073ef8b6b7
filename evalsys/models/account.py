"""Accounts: organisations (by USCC), users with exactly one role, server-side sessions, login failures."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .authority import Authority
from .types import UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    """A portable (VARCHAR) enum column storing the member values."""
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Role(str, enum.Enum):
    """The six roles; an account holds exactly one (security.md, separation of duties)."""

    APPLICANT = "applicant"
    AUTHORITY = "authority"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    SECADMIN = "secadmin"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        """Chinese name of the role."""
        return ROLE_LABELS[self]


def N_(message: str) -> str:
    """Marks a label for the translation catalogue; templates translate it when shown."""
    return message


ROLE_LABELS = {
    Role.APPLICANT: N_("申报单位"),
    Role.AUTHORITY: N_("地方商务主管部门"),
    Role.REVIEWER: N_("评审专家"),
    Role.ADMIN: N_("商务部管理员"),
    Role.SECADMIN: N_("安全管理员"),
    Role.AUDITOR: N_("审计员"),
}


class OrganisationState(str, enum.Enum):
    """Verification of an organisation against its business licence by its authority."""

    UNVERIFIED = "unverified"  # 待核验: may draft, may not submit
    VERIFIED = "verified"
    REJECTED = "rejected"


class AccountState(str, enum.Enum):
    """Whether an account may log in."""

    ACTIVE = "active"
    PENDING = "pending"  # a further account of a verified organisation awaiting approval
    DISABLED = "disabled"


class Organisation(db.Model):
    """An applicant organisation, identified by its unified social credit code."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code"), index=True)
    state: Mapped[OrganisationState] = mapped_column(_enum(OrganisationState), default=OrganisationState.UNVERIFIED)
    # Set when the registrant chose an authority other than the one of the USCC's region code.
    authority_override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Plain id, no foreign key: users and organisations would otherwise reference each other.
    verified_by_id: Mapped[int | None] = mapped_column(default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    authority: Mapped[Authority] = relationship(lazy="joined")

    @property
    def is_verified(self) -> bool:
        """True once the authority has checked the business licence."""
        return self.state == OrganisationState.VERIFIED

    @property
    def flagged(self) -> bool:
        """An authority chosen against the region code is flagged for the authority's attention."""
        return self.authority_override_reason is not None


class User(db.Model):
    """A login account with exactly one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    state: Mapped[AccountState] = mapped_column(_enum(AccountState), default=AccountState.ACTIVE)
    display_name: Mapped[str] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(30), default=None)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), default=None, index=True)
    authority_code: Mapped[str | None] = mapped_column(ForeignKey("authorities.code"), default=None, index=True)
    # The first account of an organisation approves further ones (with the authority).
    is_org_main: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Failures before this moment no longer count towards a lockout (set by login and unlock).
    failures_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Demo accounts keep this until their password is changed; production refuses them meanwhile.
    demo_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set by a reset to a temporary password: every page but /auth leads to the password change.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id], lazy="joined")
    authority: Mapped[Authority | None] = relationship(lazy="joined")

    # Flask-Login protocol.
    @property
    def is_active(self) -> bool:
        return self.state == AccountState.ACTIVE

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str | None:
        """Flask-Login's id is the session token, so revoking the session row logs the cookie out."""
        return getattr(self, "session_token", None)

    @property
    def role_label(self) -> str:
        """Chinese name of the account's role."""
        return self.role.label

    @property
    def acting_unit(self) -> str:
        """The unit named to applicants when this account acts (never the official's name)."""
        if self.role == Role.AUTHORITY and self.authority is not None:
            return self.authority.full_name
        if self.role == Role.APPLICANT and self.organisation is not None:
            return self.organisation.name
        if self.role in (Role.ADMIN, Role.SECADMIN):
            return N_("商务部")
        return N_("评审专家组") if self.role == Role.REVIEWER else N_("商务部")

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class UserSession(db.Model):
    """A server-side login session; the cookie holds only a random token whose hash is stored here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(db.Model):
    """One failed login, counted per account in the database so lockout survives restarts and workers."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)


class FormStash(db.Model):
    """Input of a form posted after the session expired, restored once the same user logs in again."""

    __tablename__ = "form_stashes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    path: Mapped[str] = mapped_column(String(500))
    data: Mapped[str] = mapped_column(Text)  # JSON list of [name, value] pairs, CSRF token excluded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SystemFlag(db.Model):
    """Facts about the installation itself, e.g. that demo data was loaded (check-deploy refuses it)."""

    __tablename__ = "system_flags"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

