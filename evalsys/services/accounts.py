"""Account workflows: self-registration, accounts made by the security admin, roles, unlocks, verification."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..domain import passwords as policy
from ..domain import uscc as uscc_rules
from ..domain.authorities import authority_for_region
from ..extensions import db
from ..models import AccountState, Authority, Organisation, OrganisationState, Role, User
from ..models.types import utcnow
from . import audit
from .auth import revoke_sessions
from .authority_list import authority_rows
from .passwords import check_password, hash_password
from ..domain.errors import DomainError, N_


class AccountError(DomainError, ValueError):
    """A refused account operation; the message is Chinese and shown to the user."""


@dataclass
class Registration:
    """Input of the self-registration form (already validated by the form)."""

    username: str
    password: str
    org_name: str
    uscc: str
    contact_name: str
    phone: str
    email: str
    authority_code: str | None = None  # None → from the USCC's region code
    authority_reason: str | None = None


def default_authority(code: str) -> str | None:
    """The authority the USCC's region code belongs to (domain.md §10)."""
    return authority_for_region(uscc_rules.region_code(code))


def register_applicant(data: Registration) -> User | None:
    """Register an applicant account; returns None when nothing was created.

    The caller answers the same in every case, so the page never reveals whether a username or a
    USCC exists. The first account of a USCC creates the organisation as unverified; a further
    account of an existing organisation is created pending, for the main account or the
    authority to approve.
    """
    code = uscc_rules.validate(data.uscc)
    if db.session.scalar(select(User.id).where(User.username == data.username)) is not None:
        audit.record_security("register_refused", username=data.username, outcome="failure",
                              detail={"reason": "username_taken"})
        return None
    org = db.session.scalar(select(Organisation).where(Organisation.uscc == code))
    if org is None:
        regional = default_authority(code)
        chosen = data.authority_code or regional
        if chosen is None or db.session.get(Authority, chosen) is None:
            raise AccountError(N_("无法确定推荐单位，请选择所属地方商务主管部门"))
        reason = None
        if chosen != regional:
            if not (data.authority_reason or "").strip():
                raise AccountError(N_("所选主管部门与统一社会信用代码的登记地不一致，请说明理由"))
            reason = data.authority_reason.strip()
        org = Organisation(uscc=code, name=data.org_name, authority_code=chosen,
                           state=OrganisationState.UNVERIFIED, authority_override_reason=reason)
        db.session.add(org)
        db.session.flush()
        audit.record("organisation_registered", obj=org, detail={"uscc": code, "flagged": reason is not None})
        state, main = AccountState.ACTIVE, True
    else:
        state, main = AccountState.PENDING, False
    user = User(username=data.username, password_hash=hash_password(data.password), role=Role.APPLICANT,
                state=state, display_name=data.contact_name, email=data.email, phone=data.phone,
                organisation_id=org.id, is_org_main=main, password_changed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record("user_registered", obj=user, username=user.username,
                 detail={"organisation": org.id, "state": state.value})
    return user


def authority_choices() -> list[tuple[str, str]]:
    """(code, "code 全称") of every authority, in code order, for select fields."""
    return [(a.code, f"{a.code} {a.full_name}") for a in authority_rows()]


def password_problems(password: str, username: str) -> list[str]:
    """The policy's objections to a password."""
    return policy.problems(password, username=username)


def create_user(username: str, role: Role, password: str, *, actor: User | None, display_name: str = "",
                authority_code: str | None = None, organisation: Organisation | None = None,
                email: str | None = None, phone: str | None = None, demo: bool = False) -> User:
    """Create an account with exactly one role (security admin, CLI or demo loader)."""
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(N_("用户名已存在"))
    problems = password_problems(password, username)
    if problems:
        raise AccountError(problems[0], problems[1:])
    _check_role_binding(role, authority_code, organisation)
    user = User(username=username, password_hash=hash_password(password), role=role,
                display_name=display_name or username, authority_code=authority_code,
                organisation_id=organisation.id if organisation else None, email=email, phone=phone,
                demo_password=demo, password_changed_at=None if demo else utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", obj=user, actor=actor, detail={"role": role.value, "authority": authority_code})
    return user


def _check_role_binding(role: Role, authority_code: str | None, organisation: Organisation | None) -> None:
    if role == Role.AUTHORITY and (not authority_code or db.session.get(Authority, authority_code) is None):
        raise AccountError(N_("地方商务主管部门账户必须绑定一个推荐单位"))
    if role != Role.AUTHORITY and authority_code and role != Role.REVIEWER:
        raise AccountError(N_("只有主管部门账户和评审专家可以关联推荐单位"))
    if role == Role.APPLICANT and organisation is None:
        raise AccountError(N_("申报单位账户必须属于一个单位"))


def set_role(user: User, role: Role, *, actor: User, authority_code: str | None = None) -> None:
    """Replace an account's single role; nobody changes their own. Existing sessions end."""
    if user.id == actor.id:
        raise AccountError(N_("不能修改自己的角色"))
    _check_role_binding(role, authority_code, user.organisation)
    old = user.role
    user.role = role
    user.authority_code = authority_code if role in (Role.AUTHORITY, Role.REVIEWER) else None
    revoke_sessions(user)
    audit.record("role_changed", obj=user, actor=actor, detail={"from": old.value, "to": role.value,
                                                                 "authority": user.authority_code})


def set_state(user: User, state: AccountState, *, actor: User) -> None:
    """Disable or re-enable an account; disabling ends its sessions."""
    if user.id == actor.id:
        raise AccountError(N_("不能停用或启用自己的账户"))
    old = user.state
    user.state = state
    if state != AccountState.ACTIVE:
        revoke_sessions(user)
    audit.record("account_state_changed", obj=user, actor=actor, detail={"from": old.value, "to": state.value})


def unlock_user(user: User, *, actor: User | None) -> None:
    """Lift a lockout and forget the failures that caused it."""
    user.locked_until = None
    user.failures_cleared_at = utcnow()
    audit.record("account_unlocked", obj=user, actor=actor)


def change_password(user: User, old: str, new: str) -> None:
    """Change one's own password; every existing session of the account ends."""
    if not check_password(user.password_hash, old):
        raise AccountError(N_("原密码不正确"))
    problems = password_problems(new, user.username)
    if problems:
        raise AccountError(problems[0], problems[1:])
    if check_password(user.password_hash, new):
        raise AccountError(N_("新密码不能与原密码相同"))
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.demo_password = False
    user.must_change_password = False  # a temporary password from a reset is now replaced
    revoke_sessions(user)
    audit.record("password_changed", obj=user, actor=user)


def verify_organisation(org: Organisation, *, actor: User, approve: bool, note: str = "") -> None:
    """The authority checks an organisation against its business licence."""
    if actor.role != Role.AUTHORITY or actor.authority_code != org.authority_code:
        raise AccountError(N_("只能核验本辖区的单位"))
    if org.state == OrganisationState.VERIFIED:
        raise AccountError(N_("该单位已核验"))
    org.state = OrganisationState.VERIFIED if approve else OrganisationState.REJECTED
    org.verified_by_id = actor.id
    org.verified_at = utcnow()
    audit.record("organisation_verified" if approve else "organisation_rejected", obj=org, actor=actor,
                 detail={"note": note} if note else None)


def can_approve_member(actor: User, member: User) -> bool:
    """The organisation's main account or its authority approves a further account."""
    org = member.organisation
    if org is None or member.state != AccountState.PENDING:
        return False
    if actor.role == Role.AUTHORITY:
        return actor.authority_code == org.authority_code
    return actor.role == Role.APPLICANT and actor.is_org_main and actor.organisation_id == org.id


def approve_member(member: User, *, actor: User, approve: bool) -> None:
    """Activate (or disable) a pending further account of an organisation."""
    if not can_approve_member(actor, member):
        raise AccountError(N_("无权审批该账户"))
    member.state = AccountState.ACTIVE if approve else AccountState.DISABLED
    audit.record("member_approved" if approve else "member_refused", obj=member, actor=actor)
