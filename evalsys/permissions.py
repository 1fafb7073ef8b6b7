"""Access control by declaration: every view names its roles; everything undeclared is refused.

Object rules (`can_<verb>(user, obj)`) live here too, so who may do what is readable in one place.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .models import Role

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
