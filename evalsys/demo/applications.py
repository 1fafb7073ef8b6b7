"""Demo calls and applications: the notice's two 2015 calls, an open call, and about sixty
applications that reached their states along coherent, historically timed paths.

The 2015 calls' deadlines are long past, so the services (which act "now") cannot replay them.
Instead every path is planned first (pure: `plan_call`), each step is checked against the
domain's transition table at its own 2015 moment (`check_transition(now=step.at)`), and then
written the way the services write it, under the application clock set to that moment
(demo/story.py): the state, a Transition row, an audit record (stamped then, naming the moment in
its detail too), a notification, the attachments and letters as stored files, and the quota
guard rows.
"""
from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ..domain.timeutil import BEIJING, format_beijing, parse_beijing
from ..domain.workflow import Action, ApplicationState, Role as FlowRole, check_transition
from ..extensions import db
from ..models import (Application, ApplicationAttachment, AttachmentKind, Authority, Call, CallKind,
                      Organisation, QuotaCounter, RecommendationLetter, Transition, User)
from ..models.types import utcnow
from ..services import audit
from ..services.applications import state_notice
from ..services.calls import CallData, create_call
from ..services.files import store_bytes
from ..services.notify import notice
from .application_documents import attachment_pdf, letter_pdf
from .application_content import (FAIL_REASONS, NOT_RECOMMEND_REASONS, RETURN_REASONS, STEM_CATEGORY,
                                  base_figures, base_narrative, enterprise_figures, enterprise_narrative,
                                  rng_for)
from .data import REGIONS
from .story import CALLS_CREATED, demo_clock

ENTERPRISE_CALL, BASE_CALL, OPEN_CALL = "enterprise-2015-2016", "base-2015-b2", "demo-open"
ENTERPRISE_CATEGORIES = ["retail", "wholesale", "service", "local-life", "cross-border", "comprehensive",
                         "innovation"]

S, A = ApplicationState, Action
# Final states in applicant order (applicant01–45 enterprises, applicant46–60 base operators).
# The enterprise call goes on to expert review, so most of it passed the formal check.
ENTERPRISE_STATES = [S.PASSED if c == "P" else {"D": S.DRAFT, "S": S.SUBMITTED, "R": S.RETURNED,
                                                 "N": S.NOT_RECOMMENDED, "F": S.FAILED}[c]
                     for c in "PPDPPPNPPRPPPFPPSPPPDPPNPPRPPPFPPSPPDPNPPRPPF"]
BASE_STATES = [S.PASSED, S.DRAFT, S.PASSED, S.SUBMITTED, S.RECOMMENDED, S.PASSED, S.RETURNED,
               S.NOT_RECOMMENDED, S.PASSED, S.FAILED, S.RECOMMENDED, S.PASSED, S.DRAFT, S.NOT_RECOMMENDED,
               S.PASSED]
RECOMMENDED_STATES = (S.RECOMMENDED, S.PASSED, S.FAILED)


def _bj(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return parse_beijing(datetime(y, m, d, h, mi))


def call_definitions(now: datetime) -> list[CallData]:
    """The two calls of the notice (2015, Beijing time) and an open call relative to `now`."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    # The base call's experts score in June 2015; the second batch was announced on 6 July 2015.
    review_end = _bj(2015, 6, 26, 17)
    return [
        CallData(code=BASE_CALL, kind=CallKind.BASE, title="第二批国家电子商务示范基地", year_from=2015,
                 year_to=2015, opens_at=_bj(2015, 3, 20), closes_at=_bj(2015, 5, 8, 17),
                 recommend_deadline=_bj(2015, 5, 22, 17), review_starts_at=_bj(2015, 5, 28),
                 review_ends_at=review_end, criteria_id="base-2015-b2", criteria_version=1,
                 quota_per_authority=3, places_total=5, reviewers_per_application=7, publicity_days=7),
        CallData(code=ENTERPRISE_CALL, kind=CallKind.ENTERPRISE, title="2015—2016年度电子商务示范企业",
                 year_from=2015, year_to=2016, opens_at=_bj(2015, 3, 20), closes_at=_bj(2015, 4, 30, 17),
                 recommend_deadline=_bj(2015, 5, 15, 17), review_starts_at=_bj(2015, 5, 20),
                 review_ends_at=_bj(2015, 5, 31, 17), criteria_id="enterprise-2015-2016", criteria_version=1,
                 quota_per_authority=8, categories=ENTERPRISE_CATEGORIES,
                 places_by_category={"retail": 3, "wholesale": 3, "service": 3, "local-life": 3,
                                     "cross-border": 4, "comprehensive": 3, "innovation": 3},
                 reviewers_per_application=5, publicity_days=15),
        CallData(code=OPEN_CALL, kind=CallKind.ENTERPRISE, title="电子商务示范企业（演示开放批次）",
                 year_from=2015, year_to=2016, opens_at=hour - timedelta(days=1),
                 closes_at=hour + timedelta(days=30), recommend_deadline=hour + timedelta(days=40),
                 review_starts_at=None, review_ends_at=None, criteria_id="enterprise-2015-2016",
                 criteria_version=1, quota_per_authority=8, categories=ENTERPRISE_CATEGORIES,
                 places_by_category={c: 3 for c in ENTERPRISE_CATEGORIES}, reviewers_per_application=5,
                 publicity_days=15),
    ]


# --- planning (no database) ----------------------------------------------------------------------

@dataclass
class Step:
    """One transition of a planned path."""

    action: Action
    at: datetime
    reason: str | None = None


@dataclass
class Plan:
    """One application to create: who, what it says, and its timeline."""

    item: dict
    place: str
    state: ApplicationState
    created_at: datetime
    figures: dict
    narrative: dict
    category: str | None
    complete: bool
    steps: list[Step] = field(default_factory=list)
    uploads: list[tuple[AttachmentKind, datetime]] = field(default_factory=list)


def _between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    """A minute strictly between low and high, in Beijing office hours where the span allows."""
    span = max((high - low).total_seconds(), 120)
    at = (low + timedelta(seconds=rng.uniform(60, span - 60))).replace(second=0, microsecond=0)
    local = at.astimezone(BEIJING)
    office = local.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59)).astimezone(at.tzinfo)
    return office if low < office < high else at


def _path(state: ApplicationState, n: int) -> list[Action]:
    """The actions that lead to `state`; n (the position among equals) picks a variant."""
    if state is S.DRAFT:
        return [A.SUBMIT, A.WITHDRAW] if n % 2 else []
    head = {S.SUBMITTED: [], S.RETURNED: [A.RETURN_], S.NOT_RECOMMENDED: [A.NOT_RECOMMEND],
            S.RECOMMENDED: [A.RECOMMEND], S.FAILED: [A.RECOMMEND, A.FAIL_CHECK]}
    if state is S.PASSED:
        if n % 7 == 1:  # returned once, fixed and resubmitted
            return [A.SUBMIT, A.RETURN_, A.RESUBMIT, A.RECOMMEND, A.PASS_CHECK]
        if n % 7 == 4:  # the authority took its recommendation back and gave it again
            return [A.SUBMIT, A.RECOMMEND, A.TAKE_BACK, A.RECOMMEND, A.PASS_CHECK]
        return [A.SUBMIT, A.RECOMMEND, A.PASS_CHECK]
    return [A.SUBMIT, *head[state]]


def _place(item: dict) -> str:
    region = item["uscc"][2:8]
    return next(p for r, p in REGIONS[item["authority"]] if r == region)


def plan_call(call: Call | CallData, items: list[dict], states: list[ApplicationState]) -> list[Plan]:
    """Plan each application's content and timeline; deterministic (seeded by the USCC)."""
    plans, seen = [], {}
    for item, state in zip(items, states):
        rng = rng_for(f"{call.code}|{item['uscc']}")
        n = seen[state] = seen.get(state, -1) + 1
        place = _place(item)
        if call.kind is CallKind.BASE:
            figures = base_figures(rng)
            narrative = base_narrative(item["org_name"], place, figures, rng)
            category = None
        else:
            category = next(c for stem, c in STEM_CATEGORY.items() if stem in item["org_name"])
            figures = enterprise_figures(rng, category)
            narrative = enterprise_narrative(item["org_name"], place, figures, rng)
        actions = _path(state, n)
        created = _between(rng, call.opens_at + timedelta(hours=6), call.opens_at + timedelta(days=12))
        plan = Plan(item, place, state, created, figures, narrative, category, complete=bool(actions))
        if not plan.complete:  # an abandoned draft: half the figures, three sections, two documents
            plan.figures = {k: v for i, (k, v) in enumerate(sorted(figures.items())) if i % 2 == 0}
            plan.narrative = dict(list(narrative.items())[:3])
            plan.category = category if n % 2 == 0 else None
        prev, last = created, None
        for action in actions:
            reason = None
            if action is A.SUBMIT:
                at = _between(rng, prev + timedelta(days=2), call.closes_at - timedelta(hours=3))
            elif action is A.WITHDRAW:
                at = _between(rng, prev, call.closes_at - timedelta(hours=1))
            elif last in (A.RETURN_, A.RESUBMIT, A.RECOMMEND, A.TAKE_BACK) and action is not A.PASS_CHECK:
                at = _between(rng, prev, prev + timedelta(days=2))  # resubmit, take back, recommend again
            elif action in (A.PASS_CHECK, A.FAIL_CHECK):
                at = _between(rng, call.recommend_deadline + timedelta(hours=6),
                              call.recommend_deadline + timedelta(days=3, hours=12))
            else:  # the authority's first decision, mostly after the closing time
                at = _between(rng, max(prev, call.closes_at - timedelta(days=5)),
                              call.closes_at + timedelta(days=5))
            if action is A.RETURN_:
                # the one that was fixed and resubmitted uploaded new accounts (reason 0 asks for them)
                reason = RETURN_REASONS[0 if A.RESUBMIT in actions else n % len(RETURN_REASONS)]
            elif action is A.NOT_RECOMMEND:
                reason = NOT_RECOMMEND_REASONS[n % len(NOT_RECOMMEND_REASONS)]
            elif action is A.FAIL_CHECK:
                reason = FAIL_REASONS[n % len(FAIL_REASONS)]
            plan.steps.append(Step(action, at, reason))
            prev, last = at, action
        # Documents arrive between starting the draft and submitting it; the accounts again after a return.
        kinds = list(AttachmentKind) if plan.complete else [AttachmentKind.LICENCE, AttachmentKind.REPORT]
        first_submit = plan.steps[0].at if plan.steps else created + timedelta(days=5)
        for k, kind in enumerate(kinds):
            plan.uploads.append((kind, created + (first_submit - created) * (k + 1) / (len(kinds) + 1)))
        for i, step in enumerate(plan.steps):
            if step.action is A.RESUBMIT:
                ret = plan.steps[i - 1].at
                plan.uploads.append((AttachmentKind.ACCOUNTS, ret + (step.at - ret) / 2))
        plans.append(plan)
    return plans


# --- writing ------------------------------------------------------------------------------------

_FLOW_ROLE = {A.SUBMIT: FlowRole.APPLICANT, A.WITHDRAW: FlowRole.APPLICANT, A.RESUBMIT: FlowRole.APPLICANT,
              A.PASS_CHECK: FlowRole.ADMIN, A.FAIL_CHECK: FlowRole.ADMIN}


class _Writer:
    """Writes planned applications of one call, as the services would have at the planned times."""

    def __init__(self, call: Call):
        self.call = call
        self.admin = db.session.scalar(select(User).where(User.username == "admin"))
        self.urls = current_app.url_map.bind("localhost")  # paths only: no request in the CLI
        self.deadlines = call.times.deadlines()
        self.created = 0
        self.quota: dict[str, int] = {}

    def user(self, username: str) -> User:
        return db.session.scalar(select(User).where(User.username == username))

    def _store(self, name: str, data: bytes, purpose: str, actor: User, at: datetime) -> int:
        # Not fsynced one by one (two fsyncs × ~280 files): load_applications syncs once at the end.
        stored = store_bytes(data, name, "application/pdf", purpose=purpose, actor_id=actor.id, durable=False)
        stored.created_at = at
        return stored.id

    def write(self, plan: Plan) -> None:
        org = db.session.scalar(select(Organisation).where(Organisation.uscc == plan.item["uscc"]))
        applicant = self.user(plan.item["username"])
        authority = self.user(f"authority-{org.authority_code}")
        if db.session.scalar(select(Application.id).where(Application.call_id == self.call.id,
                                                          Application.organisation_id == org.id)):
            return
        if org.verified_at is None or org.verified_at > plan.created_at:  # verified before it could apply
            org.verified_at = plan.created_at - timedelta(days=3)
            org.verified_by_id = authority.id
        submits = [s.at for s in plan.steps if s.action in (A.SUBMIT, A.RESUBMIT)]
        last = plan.steps[-1].at if plan.steps else plan.created_at
        app = Application(
            call_id=self.call.id, organisation_id=org.id, authority_code=org.authority_code, state=plan.state,
            category=plan.category, contact_name=plan.item["contact"], contact_phone=applicant.phone or "",
            contact_email=applicant.email or "", address=f"{plan.place}市高新技术产业开发区创业路88号",
            legal_representative=plan.item["legal_rep"], figures=_json(plan.figures),
            narrative=_json(plan.narrative),
            submitted_at=submits[-1] if submits and plan.state != S.DRAFT else None,
            created_at=plan.created_at, updated_at=last, recommend_order=plan.item.get("order"))
        demo = {"source": "demo"}
        with demo_clock(plan.created_at):
            db.session.add(app)
            db.session.flush()
            self.created += 1
            db.session.add(Transition(application_id=app.id, action="create", from_state=S.DRAFT,
                                      to_state=S.DRAFT, actor_id=applicant.id, acting_unit=applicant.acting_unit,
                                      at=plan.created_at))
            audit.record("application_created", obj=app, actor=applicant,
                         detail={**demo, "call": self.call.code, "at": plan.created_at.isoformat()})
        self._attach(app, plan, org, applicant, authority)
        first = plan.steps[0].at if plan.steps else None
        saved = [at for _, at in plan.uploads if first is None or at < first]
        with demo_clock(max([plan.created_at, *saved])):
            audit.record("application_saved", obj=app, actor=applicant, detail=demo)
        state = S.DRAFT
        link = self.urls.build("applicant.application_detail", {"app_id": app.id})
        for step in plan.steps:
            with demo_clock(step.at):
                state = self._step(app, plan, step, state, applicant, authority, link)
        assert state is plan.state, (plan.item["username"], state, plan.state)

    def _step(self, app: Application, plan: Plan, step: Step, state: ApplicationState, applicant: User,
              authority: User, link: str) -> ApplicationState:
        """One transition of a planned path, written at its moment; returns the new state."""
        demo, org_authority = {"source": "demo"}, plan.item["authority"]
        actor = {FlowRole.APPLICANT: applicant, FlowRole.ADMIN: self.admin}.get(
            _FLOW_ROLE.get(step.action), authority)
        rule = check_transition(state, step.action, role=_FLOW_ROLE.get(step.action, FlowRole.AUTHORITY),
                                now=step.at, deadlines=self.deadlines, reason=step.reason)
        db.session.add(Transition(application_id=app.id, action=step.action.value, from_state=state,
                                  to_state=rule.target, actor_id=actor.id, acting_unit=actor.acting_unit,
                                  reason=step.reason, at=step.at))
        audit.record(f"application_{step.action.value}", obj=app, actor=actor,
                     detail={**demo, "from": state.value, "to": rule.target.value, "reason": step.reason,
                             "at": step.at.isoformat()})
        note = notice(applicant.id, *state_notice(self.call.title, rule.target, actor.acting_unit, step.reason),
                      link=link)
        note.created_at, note.read_at = step.at, step.at + timedelta(days=1)
        if step.action is A.RECOMMEND:
            self.quota[org_authority] = self.quota.get(org_authority, 0) + 1
        elif step.action is A.TAKE_BACK:
            self.quota[org_authority] -= 1
        return rule.target

    def _attach(self, app: Application, plan: Plan, org: Organisation, applicant: User,
                authority: User) -> None:
        from ..services.applications import outline_of

        titles = {s.id: s.title for s in outline_of(self.call)}
        for kind, at in plan.uploads:
            name, data = attachment_pdf(
                kind.value, org=org.name, uscc=org.uscc, place=plan.place, call_title=self.call.title,
                authority=authority.acting_unit, legal_rep=plan.item["legal_rep"], figures=plan.figures,
                narrative={k: (titles[k], v) for k, v in plan.narrative.items()},
                day=format_beijing(at, "%Y年%m月%d日"))
            with demo_clock(at):
                file_id = self._store(name, data, f"application:{kind.value}", applicant, at)
                db.session.add(ApplicationAttachment(application_id=app.id, kind=kind, file_id=file_id,
                                                     uploaded_by_id=applicant.id, uploaded_at=at))
                audit.record("attachment_added", obj=app, actor=applicant,
                             detail={"source": "demo", "kind": kind.value, "file": file_id, "at": at.isoformat()})

    def letters(self, plans: list[Plan]) -> None:
        """One sealed letter per authority that recommended, uploaded before its first recommendation."""
        by_authority: dict[str, list[Plan]] = {}
        for plan in plans:
            if plan.state in RECOMMENDED_STATES:
                by_authority.setdefault(plan.item["authority"], []).append(plan)
        for code, group in sorted(by_authority.items()):
            exists = select(RecommendationLetter.id).where(RecommendationLetter.call_id == self.call.id,
                                                           RecommendationLetter.authority_code == code)
            if db.session.scalar(exists):
                continue
            first = min(s.at for p in group for s in p.steps if s.action is A.RECOMMEND)
            at = first - timedelta(hours=random.Random(code).randint(2, 40))
            group.sort(key=lambda p: p.item["order"])
            authority = self.user(f"authority-{code}")
            full_name = db.session.get(Authority, code).full_name
            data = letter_pdf(authority=full_name, call_title=self.call.title,
                              names=[p.item["org_name"] for p in group], day=format_beijing(at, "%Y年%m月%d日"))
            with demo_clock(at):
                file_id = self._store("推荐函.pdf", data, "recommendation_letter", authority, at)
                letter = RecommendationLetter(call_id=self.call.id, authority_code=code, file_id=file_id,
                                              uploaded_by_id=authority.id, uploaded_at=at)
                db.session.add(letter)
                db.session.flush()
                audit.record("recommendation_letter_uploaded", obj=letter, actor=authority,
                             detail={"source": "demo", "call": self.call.code, "at": at.isoformat()})

    def count_quota(self) -> None:
        """The guard rows count what the authorities recommended (as `recommend`/`take_back` do)."""
        for code, used in self.quota.items():
            db.session.execute(update(QuotaCounter).where(QuotaCounter.call_id == self.call.id,
                                                          QuotaCounter.authority_code == code)
                               .values(used=QuotaCounter.used + used))


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _number_recommendations(plans: list[Plan]) -> None:
    """Each authority's recommendation order, by the time of the (last) recommendation."""
    by_authority: dict[str, list[tuple[datetime, Plan]]] = {}
    for plan in plans:
        if plan.state in RECOMMENDED_STATES:
            at = max(s.at for s in plan.steps if s.action is A.RECOMMEND)
            by_authority.setdefault(plan.item["authority"], []).append((at, plan))
    for group in by_authority.values():
        for order, (_at, plan) in enumerate(sorted(group, key=lambda g: g[0]), start=1):
            plan.item["order"] = order


def load_applications(plan_items: list[dict]) -> dict[str, int]:
    """Create the demo calls and applications that do not exist yet; returns the counts created."""
    from . import person_name  # the package imports this module, so not at the top

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    calls_created = 0
    with demo_clock(None):  # the open call lives in the present
        now = utcnow()
    for data in call_definitions(now):
        if db.session.scalar(select(Call.id).where(Call.code == data.code)) is None:
            with demo_clock(None if data.code == OPEN_CALL else CALLS_CREATED):
                create_call(data, actor=admin)
            calls_created += 1
    items = [dict(item, legal_rep=person_name(i + 100)) for i, item in enumerate(plan_items)]
    groups = [(BASE_CALL, [i for i in items if i["kind"] == "base_operator"], BASE_STATES),
              (ENTERPRISE_CALL, [i for i in items if i["kind"] == "enterprise"], ENTERPRISE_STATES)]
    created = 0
    for code, group, states in groups:
        call = db.session.scalar(select(Call).where(Call.code == code))
        plans = plan_call(call, group, states)
        _number_recommendations(plans)
        writer = _Writer(call)
        for plan in plans:
            writer.write(plan)
        if writer.created:
            writer.letters(plans)
            writer.count_quota()
        created += writer.created
    if created:
        os.sync()  # the demo files are on disk before the rows that name them commit
    db.session.flush()
    return {"calls_created": calls_created, "applications_created": created}
