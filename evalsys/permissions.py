"""Access control by declaration: every view names its roles; everything undeclared is refused.

Object rules (`can_<verb>(user, obj)`) live here too, so who may do what is readable in one place.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .domain.evaluation import AUTHORITY_EDITABLE, OPERATOR_EDITABLE, EvaluationState, RectificationState
from .domain.funds import ExpenditureStatus
from .models import (AccountState, AssignmentState, CaseState, FlagState, ObjectionState, OrganisationState,
                     OverrideState, ProposalState, ReviewerState, Role, SheetState)
from .models.types import utcnow

F = TypeVar("F", bound=Callable[..., Any])

#: Marker for views anyone may open, logged in or not.
PUBLIC = "public"
ALL_ROLES = frozenset(Role)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Declare the roles allowed to call a view; checked by the app-wide before_request hook."""
    if not roles:
        raise ValueError("declare at least one role")
    allowed = frozenset(roles)

    def mark(view: F) -> F:
        view.allowed_roles = allowed  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    """Declare a view open to everyone (login page, public lists, static files)."""
    view.allowed_roles = PUBLIC  # type: ignore[attr-defined]
    return view


def any_logged_in(view: F) -> F:
    """Declare a view open to every logged-in account whatever its role (e.g. change password)."""
    view.allowed_roles = ALL_ROLES  # type: ignore[attr-defined]
    return view


class TokenRoles(frozenset):
    """The roles of a view of the JSON API (`/api/v1`): it authenticates bearer tokens itself and
    answers 401/403 as problem+json; a session cookie counts for nothing there."""


def token_roles(*roles: Role) -> Callable[[F], F]:
    """Declare an API view: a bearer token of an account with one of these roles is required."""
    if not roles:
        raise ValueError("declare at least one role")
    allowed = TokenRoles(roles)

    def mark(view: F) -> F:
        view.allowed_roles = allowed  # type: ignore[attr-defined]
        return view

    return mark


def is_token_view(view: Callable[..., Any] | None) -> bool:
    """True for API views declared with `token_roles` (no session, no login redirect, no CSRF)."""
    return isinstance(declared_roles(view), TokenRoles)


def declared_roles(view: Callable[..., Any] | None) -> frozenset[Role] | str | None:
    """What a view declared: a set of roles, PUBLIC, or None (undeclared → refused)."""
    return getattr(view, "allowed_roles", None) if view is not None else None


# --- object rules ---------------------------------------------------------------------------------

def can_manage_account(actor: Any, target: Any) -> bool:
    """The security admin manages every account but its own role and state."""
    return actor.role == Role.SECADMIN and actor.id != target.id


def can_verify_organisation(actor: Any, org: Any) -> bool:
    """An authority verifies organisations of its own jurisdiction only."""
    return actor.role == Role.AUTHORITY and actor.authority_code == org.authority_code


def can_view_application(user: Any, app: Any) -> bool:
    """Applicants see their own organisation's, authorities their jurisdiction's, the ministry all."""
    if user.role == Role.APPLICANT:
        return user.organisation_id == app.organisation_id
    if user.role == Role.AUTHORITY:
        return user.authority_code is not None and user.authority_code == app.authority_code
    return user.role == Role.ADMIN


def can_edit_application(user: Any, app: Any) -> bool:
    """Only the applicant organisation's own accounts edit, attach, submit or withdraw."""
    return user.role == Role.APPLICANT and user.organisation_id == app.organisation_id


# --- expert review (issue 5) -----------------------------------------------------------------------

def can_review_assignment(user: Any, assignment: Any) -> bool:
    """A reviewer works only on its own active assignments (never one it declined or was removed from)."""
    return user.role == Role.REVIEWER and assignment.state.value == "active" \
        and assignment.reviewer.user_id is not None and assignment.reviewer.user_id == user.id


def can_see_identity(user: Any, assignment: Any) -> bool:
    """Who applied is shown to a reviewer only in a call that is not blind."""
    return can_review_assignment(user, assignment) and not assignment.application.call.blind


# --- subsidy funds (issue 6) ------------------------------------------------------------------------

def _ministry_jurisdiction_or_own(user: Any, obj: Any) -> bool:
    """The ministry sees everything, an authority its jurisdiction's, an organisation's accounts their own."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.AUTHORITY:
        return user.authority_code is not None and user.authority_code == obj.authority_code
    return user.role == Role.APPLICANT and user.organisation_id is not None \
        and user.organisation_id == obj.organisation_id


def can_view_base(user: Any, base: Any) -> bool:
    """A first-batch base: the ministry, its jurisdiction's authority, its operator's accounts."""
    return _ministry_jurisdiction_or_own(user, base)


def can_operate_base(user: Any, base: Any) -> bool:
    """Only the operator organisation's applicant accounts record a base's expenditures."""
    return user.role == Role.APPLICANT and user.organisation_id is not None \
        and user.organisation_id == base.organisation_id


def can_decide_expenditure(user: Any, entry: Any) -> bool:
    """The authority of the base's jurisdiction verifies or rejects its entries and resolves flags."""
    return user.role == Role.AUTHORITY and user.authority_code is not None \
        and user.authority_code == entry.allocation.base.authority_code


def can_reopen_flag(user: Any, flag: Any) -> bool:
    """The ministry reopens flags an authority resolved."""
    return user.role == Role.ADMIN


# --- performance evaluation (issue 7) ------------------------------------------------------------------

def can_view_evaluation(user: Any, evaluation: Any) -> bool:
    """The ministry sees every evaluation (and its reports), an authority its jurisdiction's bases',
    an operator's applicant accounts their own base's."""
    return can_view_base(user, evaluation.base)


def can_self_evaluate(user: Any, evaluation: Any) -> bool:
    """Only the base operator's applicant accounts fill the self-evaluation and the rectification report."""
    return can_operate_base(user, evaluation.base)


def can_evaluate(user: Any, evaluation: Any) -> bool:
    """Only the authority of the base's jurisdiction evaluates it and re-checks its rectification."""
    return user.role == Role.AUTHORITY and user.authority_code is not None \
        and user.authority_code == evaluation.base.authority_code


def can_decide_evaluation(user: Any, evaluation: Any) -> bool:
    """The ministry accepts or returns evaluations, issues reports, requires rectification, revokes."""
    return user.role == Role.ADMIN


# --- password reset (issue 8) ----------------------------------------------------------------------

def can_reset_password(actor: Any, target: Any) -> bool:
    """The security admin resets staff accounts (never its own); an authority only applicant accounts of
    organisations in its own jurisdiction."""
    if actor.id == target.id:
        return False
    if actor.role == Role.SECADMIN:
        return target.role != Role.APPLICANT
    if actor.role == Role.AUTHORITY:
        org = target.organisation
        return (target.role == Role.APPLICANT and org is not None and actor.authority_code is not None
                and org.authority_code == actor.authority_code)
    return False


# --- decisions and typical cases (issue 5) -------------------------------------------------------------

def can_view_case(user: Any, case: Any) -> bool:
    """A typical case: its organisation's applicant accounts, its jurisdiction's authority, the ministry."""
    return _ministry_jurisdiction_or_own(user, case)


def can_submit_case(user: Any, app: Any) -> bool:
    """Only an approved base's or enterprise's own applicant accounts write its typical cases."""
    return user.role == Role.APPLICANT and user.organisation_id is not None \
        and user.organisation_id == app.organisation_id and app.state.value == "approved"


# --- what a page may offer now (the user's rights and the object's state) ---------------------------
# Templates ask these (exposed as template globals) instead of comparing state strings, so a page never
# shows an action that the server would refuse.

def can_edit_self_evaluation(user: Any, evaluation: Any) -> bool:
    """The operator edits its self-evaluation (figures, narratives, evidence) only while it is a draft."""
    return can_self_evaluate(user, evaluation) and evaluation.state in OPERATOR_EDITABLE


def can_edit_evaluation(user: Any, evaluation: Any) -> bool:
    """The authority edits its evaluation only after the self-evaluation and before submitting."""
    return can_evaluate(user, evaluation) and evaluation.state in AUTHORITY_EDITABLE


def can_report_rectification(user: Any, evaluation: Any) -> bool:
    """The operator reports on a required rectification (once)."""
    rect = evaluation.rectification
    return can_self_evaluate(user, evaluation) and rect is not None and rect.state == RectificationState.REQUIRED


def can_recheck_rectification(user: Any, evaluation: Any) -> bool:
    """The authority re-checks a required or reported rectification."""
    rect = evaluation.rectification
    return can_evaluate(user, evaluation) and rect is not None \
        and rect.state in (RectificationState.REQUIRED, RectificationState.REPORTED)


def can_require_rectification(user: Any, evaluation: Any) -> bool:
    """The ministry requires a base whose accepted or issued grade is 差 to rectify (once)."""
    return can_decide_evaluation(user, evaluation) and evaluation.rectification is None \
        and evaluation.grade_label == "差" \
        and evaluation.state in (EvaluationState.ACCEPTED, EvaluationState.ISSUED)


def can_revoke_title(user: Any, evaluation: Any) -> bool:
    """The ministry revokes the title after a failed rectification."""
    rect = evaluation.rectification
    return can_decide_evaluation(user, evaluation) and rect is not None and rect.state == RectificationState.FAILED


def can_resubmit_case(user: Any, case: Any) -> bool:
    """The organisation corrects and resubmits a returned typical case."""
    return user.role == Role.APPLICANT and can_view_case(user, case) and case.state == CaseState.RETURNED


def can_resolve_flag(user: Any, flag: Any) -> bool:
    """The authority of the base resolves an open compliance flag."""
    return flag.state == FlagState.OPEN and can_decide_expenditure(user, flag.expenditure)


def can_reopen_resolved_flag(user: Any, flag: Any) -> bool:
    """The ministry reopens a flag that an authority resolved."""
    return flag.state == FlagState.RESOLVED and can_reopen_flag(user, flag)


def application_actions(user: Any, app: Any, now: Any = None) -> list[str]:
    """What `user` may do to an application now (its state, the call's deadlines, the user's rights)."""
    from .domain.workflow import Role as FlowRole, allowed_actions
    from .models.types import utcnow

    if user.role == Role.APPLICANT and can_edit_application(user, app):
        role = FlowRole.APPLICANT
    elif user.role == Role.AUTHORITY and can_view_application(user, app):
        role = FlowRole.AUTHORITY
    elif user.role == Role.ADMIN:
        role = FlowRole.ADMIN
    else:
        return []
    return [a.value for a in allowed_actions(app.state, role=role, now=now or utcnow(),
                                             deadlines=app.call.times.deadlines())]


def can_withdraw_application(user: Any, app: Any) -> bool:
    """The organisation withdraws a submitted application before the closing time."""
    return "withdraw" in application_actions(user, app)


def can_check_application(user: Any, app: Any) -> bool:
    """The ministry runs the formal check of a recommended application."""
    return "pass_check" in application_actions(user, app)


def can_decide_organisation(actor: Any, org: Any) -> bool:
    """The authority verifies or rejects an organisation of its jurisdiction that awaits verification."""
    return can_verify_organisation(actor, org) and org.state == OrganisationState.UNVERIFIED


def can_enable_account(actor: Any, target: Any) -> bool:
    """The security admin re-enables a disabled account (never its own)."""
    return can_manage_account(actor, target) and target.state == AccountState.DISABLED


def can_disable_account(actor: Any, target: Any) -> bool:
    """The security admin disables an account that is not disabled (never its own)."""
    return can_manage_account(actor, target) and target.state != AccountState.DISABLED


def can_remove_assignment(user: Any, assignment: Any) -> bool:
    """The ministry removes an expert from an active assignment."""
    return user.role == Role.ADMIN and assignment.state == AssignmentState.ACTIVE


def can_reopen_sheet(user: Any, assignment: Any, sheet: Any) -> bool:
    """The ministry reopens a submitted sheet of an active assignment."""
    return can_remove_assignment(user, assignment) and sheet is not None and sheet.state == SheetState.SUBMITTED


def can_deactivate_reviewer(user: Any, profile: Any) -> bool:
    """The ministry stops assigning an active expert."""
    return user.role == Role.ADMIN and profile.state == ReviewerState.ACTIVE


def can_reactivate_reviewer(user: Any, profile: Any) -> bool:
    """The ministry takes an inactive expert back into the pool."""
    return user.role == Role.ADMIN and profile.state == ReviewerState.INACTIVE


def can_verify_expenditure(user: Any, entry: Any) -> bool:
    """The authority of the base's jurisdiction verifies a pending entry."""
    return entry.status == ExpenditureStatus.PENDING and can_decide_expenditure(user, entry)


def can_reject_expenditure(user: Any, entry: Any) -> bool:
    """The authority of the base's jurisdiction rejects a pending entry (with a reason)."""
    return can_verify_expenditure(user, entry)


def can_attach_voucher(user: Any, entry: Any) -> bool:
    """The operator attaches or replaces the voucher scan of its own pending entry."""
    return entry.status == ExpenditureStatus.PENDING and can_operate_base(user, entry.allocation.base)


def can_reverse_expenditure(user: Any, entry: Any, reversals: Any) -> bool:
    """The operator reverses its own verified entry, which is no reversal itself and has no reversal
    in force (`reversals`: the entry's reversing entries; a rejected one does not count)."""
    return entry.status == ExpenditureStatus.VERIFIED and not entry.is_reversal \
        and all(r.status == ExpenditureStatus.REJECTED for r in reversals) \
        and can_operate_base(user, entry.allocation.base)


def can_approve_override(user: Any, item: Any) -> bool:
    """A ministry admin other than the proposer approves a pending allocation exception."""
    return user.role == Role.ADMIN and item.state == OverrideState.PENDING and item.proposed_by_id != user.id


def can_withdraw_override(user: Any, item: Any) -> bool:
    """A ministry admin (the proposer or another) withdraws a pending allocation exception."""
    return user.role == Role.ADMIN and item.state == OverrideState.PENDING


def can_approve_proposal(user: Any, proposal: Any) -> bool:
    """A ministry admin other than the proposer approves a pending list that differs from the official run."""
    return user.role == Role.ADMIN and proposal.state == ProposalState.PENDING \
        and proposal.proposed_by_id != user.id


def can_withdraw_proposal(user: Any, proposal: Any) -> bool:
    """A ministry admin (the proposer or another) withdraws a pending list."""
    return user.role == Role.ADMIN and proposal.state == ProposalState.PENDING


def can_resolve_objection(user: Any, objection: Any) -> bool:
    """The ministry resolves an open objection (with a reason)."""
    return user.role == Role.ADMIN and objection.state == ObjectionState.OPEN


def can_manage_tokens_of(actor: Any, target: Any) -> bool:
    """Everyone manages their own API tokens; the security admin also those of other staff accounts."""
    if actor.id == target.id:
        return True
    return actor.role == Role.SECADMIN and target.role != Role.APPLICANT


def can_revoke_token(user: Any, token: Any) -> bool:
    """A token still in force (neither revoked nor expired) is revoked by whoever manages its account's tokens."""
    return token.is_valid(utcnow()) and can_manage_tokens_of(user, token.user)


def template_rules() -> dict[str, Callable[..., bool]]:
    """Every `can_*` rule of this module, for templates."""
    rules = {name: fn for name, fn in globals().items() if name.startswith("can_") and callable(fn)}
    return {**rules, "application_actions": application_actions}
