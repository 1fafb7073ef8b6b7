"""Decisions after the ranking (domain.md §4): propose from the official run, publicity, objections, announce.

Only an official, not stale run backs a proposal. The candidates it puts within the places are
the expected ones; proposing anything else needs a reason and a second admin's approval (another
account than the proposer's). No list ever names more candidates than the free places. A replacement after an upheld objection follows the same rule
(expected: the next scored candidate in the run's order) and gets a full publicity period.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from ..domain.timeutil import format_beijing, publicity_end, publicity_last_day
from ..domain.workflow import Action, ApplicationState as S
from ..extensions import db
from ..models import (Application, Call, CallAnnouncement, Objection, ObjectionState, Organisation,
                      Proposal, ProposalState, PublicityEntry, RankingRun, Role, User)
from ..models.types import utcnow
from ..permissions import can_approve_proposal, can_resolve_objection, can_withdraw_proposal
from . import audit
from .applications import apply_action
from .criteria import category_labels
from .ranking_report import names  # noqa: F401  (also used by the decisions pages)
from .runs import official_run
from ..domain.errors import DomainError, Message, N_

HELD = (S.PROPOSED, S.IN_PUBLICITY, S.APPROVED)  # states that occupy a place
CHANNELS = {"letter": "来信", "phone": "来电"}


class DecisionError(DomainError, ValueError):
    """A refused decision step (Chinese message; HTTP 409 in views)."""


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise DecisionError(N_("只有商务部管理员可以办理"))


def announcement(call: Call) -> CallAnnouncement | None:
    """The call's announcement, if the results were announced."""
    return db.session.get(CallAnnouncement, call.id)


def _cohort_apps(call: Call, category: str) -> dict[int, Application]:
    stmt = select(Application).where(Application.call_id == call.id)
    if category:
        stmt = stmt.where(Application.category == category)
    return {a.id: a for a in db.session.scalars(stmt)}


def expected_candidates(call: Call, category: str = "") -> tuple[RankingRun, list[int]]:
    """(official run, the application ids it puts into the free places now).

    Free places = the cohort's places minus candidates already proposed, in publicity or
    approved; the expected ones are the first scored candidates in the run's order (rank, then
    the display order inside a tie).
    """
    run = official_run(call, category)
    if run is None:
        raise DecisionError(N_("该范围尚无有效的正式排名结果（或结果已因评分表重新打开而失效），请先排名"))
    apps = _cohort_apps(call, category)
    held = sum(1 for a in apps.values() if a.state in HELD)
    free = max((run.places or 0) - held, 0)
    order = [int(r["id"]) for r in run.results["mcda"]["results"]]
    scored = [i for i in order if i in apps and apps[i].state == S.SCORED]
    return run, scored[:free]


def free_places(call: Call, category: str, *, excluding: Sequence[int] = ()) -> tuple[int, int]:
    """(places, places still free) for a proposal in one cohort.

    Places are per category where the call sets them, else one number for the whole call (all
    categories together); candidates proposed, in publicity or approved hold theirs.
    """
    places = call.places
    if call.places_by_category:
        limit = int(places.get(category, 0))
        stmt = select(func.count(Application.id)).where(Application.call_id == call.id,
                                                        Application.category == category)
    else:
        limit = int(call.places_total or 0)
        stmt = select(func.count(Application.id)).where(Application.call_id == call.id)
    stmt = stmt.where(Application.state.in_(HELD))
    if excluding:
        stmt = stmt.where(Application.id.not_in(list(excluding)))
    held = db.session.scalar(stmt) or 0
    return limit, max(limit - held, 0)


def _check_places(call: Call, category: str, ids: Sequence[int]) -> None:
    """Refuse a list naming more candidates than the free places: no reason lifts this."""
    limit, free = free_places(call, category, excluding=ids)
    if len(ids) > free:
        scope = Message(N_("类别“%(category)s”"),
                        category=category) if call.places_by_category else Message(N_("本批次"))
        raise DecisionError(N_("拟入选名单有 %(count)s 个对象，超过%(scope)s的拟入选名额（共 %(limit)s 个，尚余 %(free)s 个）；名额不能突破"),
                            count=len(ids), scope=scope, limit=limit, free=free)


def propose_candidates(call: Call, category: str, application_ids: Sequence[int], *, reason: str | None,
                       actor: User) -> Proposal:
    """Propose candidates for one cohort; applied at once when they are the official run's.

    A different selection is stored pending with its reason until another admin approves it.
    """
    _require_admin(actor)
    if announcement(call) is not None:
        raise DecisionError(N_("结果已公布，不能再提出拟入选名单"))
    run, expected = expected_candidates(call, category)
    ids = list(dict.fromkeys(int(i) for i in application_ids))
    if not ids:
        raise DecisionError(N_("请至少选择一个拟入选对象"))
    apps = _cohort_apps(call, category)
    in_run = {int(r["id"]) for r in run.results["mcda"]["results"]}
    for i in ids:
        if i not in apps or i not in in_run or apps[i].state != S.SCORED:
            raise DecisionError(N_("申报编号 %(application)s 不在该范围的正式排名中或不是“已评分”状态"), application=i)
    _check_places(call, category, ids)
    differs = sorted(ids) != sorted(expected)
    reason = (reason or "").strip() or None
    if differs and not reason:
        raise DecisionError(N_("拟入选名单与正式排名结果不一致，必须填写理由，并由另一位管理员批准"))
    pending = db.session.scalar(select(func.count(Proposal.id)).where(
        Proposal.call_id == call.id, Proposal.category == category, Proposal.state == ProposalState.PENDING))
    if pending:
        raise DecisionError(N_("该范围已有待批准的拟入选名单"))
    previous = db.session.scalar(select(func.count(Proposal.id)).where(
        Proposal.call_id == call.id, Proposal.category == category, Proposal.state == ProposalState.APPLIED))
    proposal = Proposal(call_id=call.id, category=category, run_id=run.id,
                        kind="replacement" if previous else "initial",
                        application_ids=json.dumps(ids), expected_ids=json.dumps(expected), differs=differs,
                        reason=reason, proposed_by_id=actor.id, state=ProposalState.PENDING)
    db.session.add(proposal)
    db.session.flush()
    audit.record("decision.proposed", obj=proposal, actor=actor,
                 detail={"call": call.code, "category": category, "ids": ids, "expected": expected,
                         "differs": differs, "reason": reason, "run": run.id})
    if not differs:
        _apply(proposal, actor)
    return proposal


def approve_proposal(proposal: Proposal, *, actor: User) -> None:
    """A second admin approves a proposal that differs from the official run; then it applies."""
    _require_admin(actor)
    if not can_approve_proposal(actor, proposal):  # the rule the decisions page asks before offering the button
        raise DecisionError(N_("该名单不是待批准状态") if proposal.state != ProposalState.PENDING
                            else N_("与正式排名不一致的名单须由另一位管理员批准，提出人不能自己批准"))
    call = db.session.get(Call, proposal.call_id)
    run = official_run(call, proposal.category)
    if run is None or run.id != proposal.run_id:
        raise DecisionError(N_("提出名单所依据的正式排名已失效或已被新的正式排名取代，请重新提出"))
    proposal.approved_by_id, proposal.approved_at = actor.id, utcnow()
    audit.record("decision.approved", obj=proposal, actor=actor, detail={"ids": proposal.ids})
    _apply(proposal, actor)


def withdraw_proposal(proposal: Proposal, *, actor: User) -> None:
    """Withdraw a pending proposal (e.g. the approver disagrees)."""
    _require_admin(actor)
    if not can_withdraw_proposal(actor, proposal):
        raise DecisionError(N_("该名单不是待批准状态"))
    proposal.state = ProposalState.WITHDRAWN
    audit.record("decision.withdrawn", obj=proposal, actor=actor)


def _apply(proposal: Proposal, actor: User) -> None:
    if proposal.differs and proposal.approved_by_id is None:
        # The guard behind every path: a differing list never applies without a second admin.
        raise DecisionError(N_("与正式排名不一致的名单未经另一位管理员批准"))
    _check_places(db.session.get(Call, proposal.call_id), proposal.category, proposal.ids)
    for app_id in proposal.ids:
        app = db.session.get(Application, app_id)
        # The reason for differing from the run is internal (proposal and audit record); the
        # applicant's timeline shows the step without it.
        apply_action(app, Action.PROPOSE, actor=actor)
    proposal.state = ProposalState.APPLIED


def open_publicity(call: Call, *, actor: User, now: datetime | None = None) -> list[PublicityEntry]:
    """Open publicity for every proposed candidate of the call: the call's number of days, the
    opening day counting as day 1, ending at 24:00 Beijing time (domain.md §4)."""
    _require_admin(actor)
    now = now or utcnow()
    apps = db.session.scalars(select(Application).where(Application.call_id == call.id,
                                                        Application.state == S.PROPOSED)
                              .order_by(Application.id)).all()
    if not apps:
        raise DecisionError(N_("没有待公示的拟入选对象"))
    ends = publicity_end(now, call.publicity_days)
    entries = []
    for app in apps:
        apply_action(app, Action.OPEN_PUBLICITY, actor=actor)
        entry = PublicityEntry(call_id=call.id, application_id=app.id, opened_at=now, ends_at=ends,
                               days=call.publicity_days, opened_by_id=actor.id)
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    audit.record("decision.publicity_opened", obj=call, actor=actor,
                 detail={"applications": [a.id for a in apps], "ends_at": format_beijing(ends)})
    return entries


def record_objection(app: Application, *, channel: str, received_at: datetime, summary: str,
                     actor: User) -> Objection:
    """Record an objection received by letter or phone against a candidate in publicity."""
    _require_admin(actor)
    if app.state != S.IN_PUBLICITY:
        raise DecisionError(N_("只能对公示中的对象登记异议"))
    if channel not in CHANNELS:
        raise DecisionError(N_("异议来源须为来信或来电"))
    if not summary.strip():
        raise DecisionError(N_("请填写异议内容摘要"))
    if received_at > utcnow():
        raise DecisionError(N_("收到时间不能晚于当前时间"))
    objection = Objection(call_id=app.call_id, application_id=app.id, channel=channel, received_at=received_at,
                          summary=summary.strip(), recorded_by_id=actor.id)
    db.session.add(objection)
    db.session.flush()
    audit.record("decision.objection_recorded", obj=objection, actor=actor,
                 detail={"application": app.id, "channel": channel})
    return objection


def resolve_objection(objection: Objection, *, upheld: bool, reason: str, actor: User) -> None:
    """Resolve an objection with a reason; an upheld one rejects the candidate (a place frees up)."""
    _require_admin(actor)
    if not can_resolve_objection(actor, objection):
        raise DecisionError(N_("该异议已处理"))
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError(N_("处理异议必须填写理由"))
    app = db.session.get(Application, objection.application_id)
    if upheld:
        if app.state == S.IN_PUBLICITY:
            apply_action(app, Action.UPHOLD_OBJECTION, actor=actor, reason=reason)
        for other in db.session.scalars(select(Objection).where(
                Objection.application_id == app.id, Objection.state == ObjectionState.OPEN,
                Objection.id != objection.id)):
            # The candidate is out; its other open objections need no separate decision.
            other.state, other.resolution = ObjectionState.UPHELD, Message(N_("同一对象的异议（编号 %(id)s）已成立"),
                                                                           id=objection.id)
            other.resolved_by_id, other.resolved_at = actor.id, utcnow()
    objection.state = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
    objection.resolution, objection.resolved_by_id, objection.resolved_at = reason, actor.id, utcnow()
    audit.record("decision.objection_resolved", obj=objection, actor=actor,
                 detail={"upheld": upheld, "reason": reason, "application": app.id})


def announce_results(call: Call, *, actor: User, now: datetime | None = None) -> CallAnnouncement:
    """Announce: candidates whose publicity ended are approved, every other scored one rejected.

    Refused while an objection is open, a proposal waits for approval, a proposed candidate has
    not been in publicity, or any publicity period is still running.
    """
    _require_admin(actor)
    now = now or utcnow()
    if announcement(call) is not None:
        raise DecisionError(N_("结果已公布"))
    problems = []
    if db.session.scalar(select(func.count(Objection.id)).where(Objection.call_id == call.id,
                                                                Objection.state == ObjectionState.OPEN)):
        problems.append(N_("尚有未处理的异议"))
    if db.session.scalar(select(func.count(Proposal.id)).where(Proposal.call_id == call.id,
                                                               Proposal.state == ProposalState.PENDING)):
        problems.append(N_("尚有待批准的拟入选名单"))
    apps = db.session.scalars(select(Application).where(Application.call_id == call.id)).all()
    entries = {e.application_id: e for e in db.session.scalars(
        select(PublicityEntry).where(PublicityEntry.call_id == call.id))}
    if any(a.state == S.PROPOSED for a in apps):
        problems.append(N_("尚有拟入选对象未公示"))
    running = [e for a in apps if a.state == S.IN_PUBLICITY and (e := entries.get(a.id)) and now < e.ends_at]
    if running:
        problems.append(Message(N_("公示期尚未结束（至 %(time)s）"),
                                time=format_beijing(max(e.ends_at for e in running))))
    if not any(a.state == S.IN_PUBLICITY for a in apps):
        problems.append(N_("没有完成公示的对象"))
    for category in call.category_codes or [""]:
        cohort = [a for a in apps if not category or a.category == category]
        if any(a.state == S.SCORED for a in cohort) and not any(a.state in HELD for a in cohort):
            problems.append(Message(N_("范围“%(scope)s”尚未提出拟入选名单"), scope=category or Message(N_("全部"))))
    if problems:
        raise DecisionError(N_("暂不能公布："), problems)
    for app in apps:
        if app.state == S.IN_PUBLICITY:
            apply_action(app, Action.ANNOUNCE, actor=actor, publicity_end=entries[app.id].ends_at)
        elif app.state == S.SCORED:
            apply_action(app, Action.REJECT, actor=actor)
    row = CallAnnouncement(call_id=call.id, announced_at=now, announced_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("decision.announced", obj=call, actor=actor,
                 detail={"approved": [a.id for a in apps if a.state == S.APPROVED]})
    return row


def publicity_list(call: Call) -> list[tuple[Application, PublicityEntry]]:
    """Candidates in (or through) publicity with their periods, by category then period then id."""
    rows = db.session.execute(
        select(Application, PublicityEntry).join(PublicityEntry, PublicityEntry.application_id == Application.id)
        .where(Application.call_id == call.id,
               Application.state.in_((S.IN_PUBLICITY, S.APPROVED)))
        .order_by(Application.category, PublicityEntry.opened_at, Application.id)).all()
    return [(a, e) for a, e in rows]


def publicity_rows(call: Call, *, labels: dict[str, str] | None = None,
                   period: str = "%(first)s 至 %(last)s") -> list[tuple[str, str, str, str]]:
    """(organisation, authority, category label, period "YYYY-MM-DD 至 YYYY-MM-DD") of the publicity list;
    a page in another language passes its category labels and period text."""
    pairs = publicity_list(call)
    labels = category_labels(call) if labels is None else labels
    named = names([a.id for a, _ in pairs])
    rows = []
    for app, entry in pairs:
        org, authority = named.get(app.id, ("", app.authority_code))
        days = period % {"first": format_beijing(entry.opened_at, "%Y-%m-%d"),
                         "last": publicity_last_day(entry.opened_at, entry.days).isoformat()}
        rows.append((org, authority, labels.get(app.category or "", app.category or "—"), days))
    return rows


def authority_results(call: Call, authority_code: str) -> list[tuple[Application, str, dict | None]]:
    """An authority's announced results: (application, organisation name, {rank, score} or None).

    Empty until the announcement; only the jurisdiction's approved and rejected applications.
    """
    if announcement(call) is None or not authority_code:
        return []
    apps = db.session.execute(
        select(Application, Organisation.name).join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.call_id == call.id, Application.authority_code == authority_code,
               Application.state.in_((S.APPROVED, S.REJECTED)))
        .order_by(Application.category, Application.id)).all()
    results: dict[int, dict] = {}
    for run in decided_runs(call).values():
        for r in run.results["mcda"]["results"]:
            results[int(r["id"])] = {"rank": r["rank"], "score": r["score"]}
    return [(a, str(name), results.get(a.id)) for a, name in apps]


def decided_runs(call: Call) -> dict[str, RankingRun]:
    """{category: the official run the newest applied proposal of that cohort was made from}."""
    out: dict[str, RankingRun] = {}
    for proposal in db.session.scalars(select(Proposal).where(
            Proposal.call_id == call.id, Proposal.state == ProposalState.APPLIED).order_by(Proposal.id)):
        run = db.session.get(RankingRun, proposal.run_id)
        if run is not None:
            out[proposal.category] = run
    return out
