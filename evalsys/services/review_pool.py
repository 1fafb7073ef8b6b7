"""Expert review (domain.md §5), the pool: expert profiles, their accounts, conflicts of interest."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..domain import uscc as uscc_rules
from ..extensions import db
from ..models import (Application, Assignment, AssignmentState, Authority, Call, ConflictDeclaration, Organisation,
                      ReviewerProfile, ReviewerState, Role, User)
from ..models.types import utcnow
from . import audit
from .accounts import create_user
from .assignment import ReviewError, proposals_for, void_sheet_of
from ..domain.errors import N_


# --- the pool ----------------------------------------------------------------------------------

@dataclass
class ProfileData:
    """An expert profile as the admin enters it."""

    name: str
    home_authority_code: str
    field_tags: str = ""
    organisation_uscc: str | None = None
    organisation_name: str = ""


def create_reviewer_profile(data: ProfileData, *, actor: User) -> ReviewerProfile:
    """The admin adds an expert to the pool; it becomes a reviewer when the security admin activates it."""
    if db.session.get(Authority, data.home_authority_code) is None:
        raise ReviewError(N_("请选择专家所属地区（推荐单位）"))
    code = None
    if data.organisation_uscc and data.organisation_uscc.strip():
        try:
            code = uscc_rules.validate(data.organisation_uscc)
        except uscc_rules.USCCError as e:
            raise ReviewError(str(e)) from None
    tags = ",".join(t.strip() for t in re.split(r"[,，、;；\s]+", data.field_tags or "") if t.strip())
    profile = ReviewerProfile(name=data.name.strip(), field_tags=tags[:300], home_authority_code=data.home_authority_code,
                              organisation_uscc=code, organisation_name=(data.organisation_name or "").strip(),
                              state=ReviewerState.PENDING, created_by_id=actor.id)
    db.session.add(profile)
    db.session.flush()
    audit.record("reviewer_profile_created", obj=profile, actor=actor,
                 detail={"home": profile.home_authority_code, "organisation": code})
    return profile


def activate_reviewer(profile: ReviewerProfile, *, actor: User, username: str, password: str,
                      email: str | None = None) -> User:
    """The security admin creates the reviewer account bound to the profile (separation of duties)."""
    if actor.role != Role.SECADMIN:
        raise ReviewError(N_("只有安全管理员可以启用评审专家账户"))
    if profile.user_id is not None:
        raise ReviewError(N_("该专家已有账户"))
    user = create_user(username, Role.REVIEWER, password, actor=actor, display_name=profile.name,
                       authority_code=profile.home_authority_code, email=email)
    link_reviewer_user(profile, user, actor=actor)
    return user


def link_reviewer_user(profile: ReviewerProfile, user: User, *, actor: User | None) -> None:
    """Bind an existing reviewer account to a profile and activate it (activation, demo loader)."""
    if user.role != Role.REVIEWER:
        raise ReviewError(N_("只能绑定评审专家角色的账户"))
    profile.user_id = user.id
    profile.state = ReviewerState.ACTIVE
    db.session.flush()
    audit.record("reviewer_activated", obj=profile, actor=actor, detail={"user": user.id})


def set_reviewer_state(profile: ReviewerProfile, state: ReviewerState, *, actor: User) -> None:
    """Take an expert out of the pool (no new assignments) or back in."""
    if state == ReviewerState.ACTIVE and profile.user_id is None:
        raise ReviewError(N_("该专家尚无账户，须由安全管理员启用"))
    old = profile.state
    profile.state = state
    audit.record("reviewer_state_changed", obj=profile, actor=actor, detail={"from": old.value, "to": state.value})


def profile_of(user: User) -> ReviewerProfile | None:
    """The expert profile bound to a reviewer account (its `user` is `user`, not read again)."""
    return db.session.scalar(select(ReviewerProfile).options(lazyload(ReviewerProfile.user))
                             .where(ReviewerProfile.user_id == user.id))


# --- conflicts ---------------------------------------------------------------------------------

@dataclass
class ConflictOutcome:
    """A declared conflict: the assignments it ended and the proposed replacements (app id → profiles)."""

    declaration: ConflictDeclaration
    declined: list[Assignment] = field(default_factory=list)
    proposals: dict[int, list[ReviewerProfile]] = field(default_factory=dict)


def declare_conflict(profile: ReviewerProfile, uscc: str, reason: str, *, actor: User) -> ConflictOutcome:
    """Declare a conflict with an organisation (by USCC), at any time.

    Every active assignment of the reviewer to that organisation's applications is declined; a
    sheet already submitted is voided (the call's runs go stale), and replacements are proposed.
    """
    try:
        code = uscc_rules.validate(uscc)
    except uscc_rules.USCCError as e:
        raise ReviewError(str(e)) from None
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(N_("请说明回避理由"))
    decl = db.session.scalar(select(ConflictDeclaration).where(ConflictDeclaration.reviewer_id == profile.id,
                                                               ConflictDeclaration.organisation_uscc == code))
    if decl is None:
        decl = ConflictDeclaration(reviewer_id=profile.id, organisation_uscc=code, reason=reason)
        db.session.add(decl)
        db.session.flush()
    audit.record("conflict_declared", obj=decl, actor=actor, detail={"reviewer": profile.id, "uscc": code})
    hit = list(db.session.scalars(
        select(Assignment).join(Application, Application.id == Assignment.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Assignment.reviewer_id == profile.id, Assignment.state == AssignmentState.ACTIVE,
               Organisation.uscc == code)))
    calls = set()
    for assignment in hit:
        assignment.state, assignment.reason = AssignmentState.DECLINED, f"声明回避：{reason}"
        void_sheet_of(assignment, actor=actor, reason=f"专家声明回避：{reason}")
        audit.record("assignment_declined", obj=assignment, actor=actor, detail={"reason": reason})
        calls.add(assignment.call_id)
    db.session.flush()
    proposals: dict[int, list[ReviewerProfile]] = {}
    for call_id in sorted(calls):
        proposals.update(proposals_for(db.session.get(Call, call_id)))
    return ConflictOutcome(decl, hit, {a.application_id: proposals.get(a.application_id, []) for a in hit})


def decline_assignment(assignment: Assignment, reason: str, *, actor: User) -> ConflictOutcome:
    """The reviewer declines an assignment by declaring a conflict with the applicant organisation."""
    return declare_conflict(assignment.reviewer, assignment.application.organisation.uscc, reason, actor=actor)


def confirm_no_conflict(assignment: Assignment, *, actor: User) -> None:
    """Blind call: the reviewer saw only the organisation's name and USCC and confirms no conflict."""
    if assignment.state != AssignmentState.ACTIVE:
        raise ReviewError(N_("该评审任务已不在有效状态"))
    if assignment.no_conflict_confirmed_at is None:
        assignment.no_conflict_confirmed_at = utcnow()
        audit.record("no_conflict_confirmed", obj=assignment, actor=actor)
