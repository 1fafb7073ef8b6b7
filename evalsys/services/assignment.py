"""Assigning reviewers to a call's applications: automatic (balanced min-cost flow), manual, replacements.

The rules live in `domain/assignment.py`; this module feeds it the pool, the conflicts and the
call's current loads, stores the plan and moves the applications into expert review.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from ..domain.assignment import (ApplicationInfo, AssignmentPlan, ReviewerInfo, conflict_group, exclusion,
                                 plan_assignment)
from ..domain.workflow import Action, ApplicationState
from ..extensions import db
from ..models import (AccountState, Application, Assignment, AssignmentState, Authority, Call, ConflictDeclaration,
                      ReviewerProfile, ReviewerState, ScoreSheet, SheetState, User)
from ..models.types import utcnow
from . import audit
from .applications import apply_action
from ..domain.errors import DomainError, Message, N_

# Applications that may still receive reviewers (a replacement after the window closed included).
REVIEWABLE = (ApplicationState.PASSED, ApplicationState.UNDER_REVIEW, ApplicationState.SCORED)


class ReviewError(DomainError, ValueError):
    """A refused review operation; the message is Chinese (HTTP 409 when it is not a form error)."""


class AssignmentInfeasible(ReviewError):
    """The call cannot be assigned: the plan's explanation says which applications lack reviewers."""

    def __init__(self, plan: AssignmentPlan):
        super().__init__(plan.explanation)
        self.plan = plan


# --- feeding the domain ------------------------------------------------------------------------

def _parents() -> dict[str, str | None]:
    return dict(db.session.execute(select(Authority.code, Authority.parent_code)).all())


def reviewer_infos(profiles: Sequence[ReviewerProfile]) -> list[ReviewerInfo]:
    """What the exclusion rule needs of each profile (one query for all declared conflicts)."""
    parents = _parents()
    declared: dict[int, set[str]] = defaultdict(set)
    ids = [p.id for p in profiles]
    if ids:
        rows = db.session.execute(select(ConflictDeclaration.reviewer_id, ConflictDeclaration.organisation_uscc)
                                  .where(ConflictDeclaration.reviewer_id.in_(ids)))
        for rid, uscc in rows:
            declared[rid].add(uscc)
    return [ReviewerInfo(p.id, conflict_group(p.home_authority_code, parents), p.organisation_uscc or None,
                         frozenset(declared[p.id]), p.name) for p in profiles]


def application_infos(apps: Sequence[Application]) -> list[ApplicationInfo]:
    """What the exclusion rule needs of each application."""
    parents = _parents()
    return [ApplicationInfo(a.id, conflict_group(a.authority_code, parents), a.organisation.uscc,
                            Message(N_("申报#%(id)s（%(name)s）"), id=a.id, name=a.organisation.name))
            for a in apps]


def exclusion_of(profile: ReviewerProfile, app: Application):
    """Why this reviewer may not judge this application (an Exclusion), or None."""
    return exclusion(reviewer_infos([profile])[0], application_infos([app])[0])


def exclusions_for(profiles: Sequence[ReviewerProfile], app: Application) -> dict[int, object]:
    """exclusion_of for many reviewers at once: their infos are read together, not one by one."""
    target = application_infos([app])[0]
    return {p.id: exclusion(info, target) for p, info in zip(profiles, reviewer_infos(profiles), strict=True)}


def active_pool() -> list[ReviewerProfile]:
    """Activated experts whose account may log in, in id order."""
    return list(db.session.scalars(
        select(ReviewerProfile).join(User, User.id == ReviewerProfile.user_id)
        .where(ReviewerProfile.state == ReviewerState.ACTIVE, User.state == AccountState.ACTIVE)
        .order_by(ReviewerProfile.id)))


def call_loads(call: Call) -> dict[int, int]:
    """Active assignments per reviewer in the call."""
    return dict(db.session.execute(
        select(Assignment.reviewer_id, func.count()).where(Assignment.call_id == call.id,
                                                           Assignment.state == AssignmentState.ACTIVE)
        .group_by(Assignment.reviewer_id)).all())


def _pairs_of(app_ids: Iterable[int]) -> dict[int, dict[int, AssignmentState]]:
    """Every (application → reviewer → state) row, whatever its state: a pair is never recreated."""
    out: dict[int, dict[int, AssignmentState]] = defaultdict(dict)
    ids = list(app_ids)
    if ids:
        for app_id, rid, state in db.session.execute(
                select(Assignment.application_id, Assignment.reviewer_id, Assignment.state)
                .where(Assignment.application_id.in_(ids))):
            out[app_id][rid] = state
    return out


def _need(call: Call, pairs: dict[int, AssignmentState]) -> int:
    return max(0, call.reviewers_per_application - sum(s == AssignmentState.ACTIVE for s in pairs.values()))


# --- automatic assignment ----------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentResult:
    """What assign_call did: the plan (loads, balance, explanation) and how many rows it created."""

    plan: AssignmentPlan
    applications: int
    created: int


def assign_call(call: Call, *, seed: int, actor: User) -> AssignmentResult:
    """Assign reviewers to every application of the call that passed the formal check.

    Every such application gets the call's number of reviewers (less any it already has), never
    an excluded one, with balanced loads or — when the exclusions make that impossible — the most
    balanced plan and the proof. The applications move to expert review and the call's ranking
    settings lock (domain.md §7). Nothing is stored when an application lacks eligible reviewers.
    """
    apps = list(db.session.scalars(select(Application).where(
        Application.call_id == call.id, Application.state == ApplicationState.PASSED).order_by(Application.id)))
    if not apps:
        raise ReviewError(N_("没有通过形式审查、等待分配评审专家的申报"))
    pool = active_pool()
    if not pool:
        raise ReviewError(N_("专家库中没有已启用的评审专家"))
    pairs = _pairs_of(a.id for a in apps)
    plan = plan_assignment(application_infos(apps), reviewer_infos(pool),
                           {a.id: _need(call, pairs[a.id]) for a in apps}, seed=seed,
                           existing_load=call_loads(call), already={a.id: set(pairs[a.id]) for a in apps})
    if not plan.feasible:
        # written in its own transaction: the refusal rolls the request back, its record stays
        audit.record_security("review_assignment_refused", obj=call, actor=actor, outcome="failure",
                              detail={"seed": seed, "explanation": plan.explanation})
        raise AssignmentInfeasible(plan)
    for app_id, reviewer_id in plan.pairs:
        db.session.add(Assignment(call_id=call.id, application_id=app_id, reviewer_id=reviewer_id, source="auto",
                                  created_by_id=actor.id))
    for app in apps:
        apply_action(app, Action.START_REVIEW, actor=actor)
    lock_call_settings(call, actor=actor)
    db.session.flush()
    audit.record("review_assigned", obj=call, actor=actor, detail={
        "seed": seed, "applications": len(apps), "assignments": len(plan.pairs), "balanced": plan.balanced,
        "bounds": list(plan.bounds), "spread": plan.spread, "explanation": plan.explanation or None})
    return AssignmentResult(plan=plan, applications=len(apps), created=len(plan.pairs))


def lock_call_settings(call: Call, *, actor: User) -> None:
    """Scoring starts: the call's weights, official method and aggregation option lock (once)."""
    if call.settings_locked_at is None:
        call.settings_locked_at = utcnow()
        audit.record("call_settings_locked", obj=call, actor=actor, detail={
            "method": call.official_method, "weight_rule": call.weight_rule,
            "weight_version": call.weight_version_id, "adjusted": call.adjusted_aggregation})


# --- manual changes ----------------------------------------------------------------------------

def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ReviewError(N_("请填写理由"))
    return text


def add_assignment(app: Application, profile: ReviewerProfile, *, reason: str, actor: User,
                   source: str = "manual") -> Assignment:
    """Assign one more reviewer by hand (or accept a proposed replacement), with a reason."""
    reason = _reason(reason)
    if app.state not in REVIEWABLE:
        raise ReviewError(N_("申报当前状态为“%(state)s”，不能分配评审专家"), state=Message(app.state.label))
    if profile.state != ReviewerState.ACTIVE or profile.user_id is None:
        raise ReviewError(N_("该专家尚未启用"))
    why = exclusion_of(profile, app)
    if why is not None:
        raise ReviewError(N_("该专家须回避本申报：%(why)s"), why=Message(why.label))
    row = db.session.scalar(select(Assignment).where(Assignment.application_id == app.id,
                                                     Assignment.reviewer_id == profile.id))
    if row is not None and row.state == AssignmentState.ACTIVE:
        raise ReviewError(N_("该专家已分配评审本申报"))
    if row is None:
        row = Assignment(call_id=app.call_id, application_id=app.id, reviewer_id=profile.id)
        db.session.add(row)
    else:
        # Undoing a removal: the voided sheet comes back as a draft the reviewer submits again.
        sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == row.id))
        if sheet is not None and sheet.state == SheetState.VOIDED:
            sheet.state, sheet.submitted_at = SheetState.DRAFT, None
    row.state, row.source, row.reason, row.created_by_id = AssignmentState.ACTIVE, source, reason, actor.id
    row.created_at = utcnow()
    db.session.flush()
    if app.state == ApplicationState.PASSED:
        apply_action(app, Action.START_REVIEW, actor=actor)
        lock_call_settings(app.call, actor=actor)
    audit.record("assignment_added", obj=row, actor=actor, detail={
        "application": app.id, "reviewer": profile.id, "source": source, "reason": reason})
    return row


def void_sheet_of(assignment: Assignment, *, actor: User | None, reason: str) -> ScoreSheet | None:
    """Void the assignment's sheet; a submitted one changes the scores, so the call's runs go stale."""
    sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id))
    if sheet is None or sheet.state == SheetState.VOIDED:
        return None
    was_submitted = sheet.state == SheetState.SUBMITTED
    sheet.state = SheetState.VOIDED
    sheet.updated_at = utcnow()
    audit.record("score_sheet_voided", obj=sheet, actor=actor, detail={"reason": reason,
                                                                        "was_submitted": was_submitted})
    if was_submitted:
        from .runs import mark_call_runs_stale

        mark_call_runs_stale(assignment.application.call, reason=f"评分表#{sheet.id}作废：{reason}", actor=actor)
    return sheet


def remove_assignment(assignment: Assignment, *, reason: str, actor: User) -> None:
    """Take a reviewer off an application, with a reason; its sheet (if any) is voided."""
    reason = _reason(reason)
    if assignment.state != AssignmentState.ACTIVE:
        raise ReviewError(N_("该分配已不在有效状态"))
    assignment.state, assignment.reason = AssignmentState.REMOVED, reason
    void_sheet_of(assignment, actor=actor, reason=reason)
    audit.record("assignment_removed", obj=assignment, actor=actor, detail={"reason": reason})


# --- replacements ------------------------------------------------------------------------------

def short_applications(call: Call) -> list[tuple[Application, int]]:
    """Applications under review (or scored) with fewer active reviewers than the call requires."""
    active = (select(Assignment.application_id, func.count().label("n"))
              .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE)
              .group_by(Assignment.application_id).subquery())
    rows = db.session.execute(
        select(Application, func.coalesce(active.c.n, 0)).outerjoin(active, active.c.application_id == Application.id)
        .where(Application.call_id == call.id,
               Application.state.in_((ApplicationState.UNDER_REVIEW, ApplicationState.SCORED)),
               func.coalesce(active.c.n, 0) < call.reviewers_per_application)
        .order_by(Application.id)).all()
    return [(app, int(n)) for app, n in rows]


def propose_replacements(call: Call, *, seed: int = 0) -> dict[int, ReviewerProfile | None]:
    """A proposed reviewer for every missing place of every short application (None: nobody eligible).

    The same min-cost flow as the automatic assignment, on the call's current loads, so the
    proposal goes to the least-loaded eligible reviewers. Several places of one application give
    a list; the dict maps application id → the first proposal, `proposals_for` gives all.
    """
    return {app_id: (ps[0] if ps else None) for app_id, ps in proposals_for(call, seed=seed).items()}


def proposals_for(call: Call, *, seed: int = 0) -> dict[int, list[ReviewerProfile]]:
    """Every short application → proposed reviewers (fewer than missing, or none, when the pool lacks them)."""
    short = short_applications(call)
    if not short:
        return {}
    pool = active_pool()
    by_id = {p.id: p for p in pool}
    apps = [a for a, _n in short]
    pairs = _pairs_of(a.id for a in apps)
    infos = application_infos(apps)
    need = {a.id: call.reviewers_per_application - n for a, n in short}
    reviewers = reviewer_infos(pool)
    plan = plan_assignment(infos, reviewers, need, seed=seed, existing_load=call_loads(call),
                           already={a.id: set(pairs[a.id]) for a in apps})
    if not plan.feasible:  # plan the applications that can be served; the others get nobody
        lacking = {s.application for s in plan.shortages}
        plan = plan_assignment([i for i in infos if i.id not in lacking], reviewers, need, seed=seed,
                               existing_load=call_loads(call), already={a.id: set(pairs[a.id]) for a in apps})
    out: dict[int, list[ReviewerProfile]] = {a.id: [] for a in apps}
    for app_id, rid in plan.pairs:
        out[app_id].append(by_id[rid])
    return out
