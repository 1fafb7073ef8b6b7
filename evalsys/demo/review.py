"""Demo expert review: the twelve reviewers' profiles, and assignments with score sheets for the two
2015 calls — `enterprise-2015-2016` completely scored and closed in May 2015 (with a couple of
divergence flags and their comments) and ranked (one official stored run per category),
`base-2015-b2` completely scored and closed in June 2015, its ranking not run yet.

As in `demo/applications.py`, the 2015 moments are past, so the services (which act "now") cannot
replay them. The plan comes from the same pure code the services use (`plan_assignment` with a
seed; the divergence rule through `judge_divergence`), and the rows are written the way the
services write them, under the application clock set to each historical moment
(demo/story.py); audit records name those times in their detail too.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..domain.assignment import plan_assignment
from ..domain.timeutil import clock_at, parse_beijing
from ..domain.workflow import Action, ApplicationState, Role as FlowRole, check_transition
from ..extensions import db
from ..models import (Application, Assignment, Call, ConflictDeclaration, RankingRun,
                      ReviewerProfile, ReviewerState, Role, Score, ScoreSheet, SheetState, Transition, User)
from ..services import audit, runs
from ..services.applications import state_notice, system_of
from ..services.assignment import application_infos, reviewer_infos
from ..services.notify import notice
from ..services.review_sheets import expert_indicators, judge_divergence
from .data import REVIEWER_HOMES, economic_region
from .story import PROFILES_CREATED, demo_clock

ENTERPRISE_CALL, BASE_CALL = "enterprise-2015-2016", "base-2015-b2"
SEED = 2015
DEMO = {"source": "demo"}

# (field tags, organisation name, USCC prefix) per reviewer01–12: universities and institutes carry
# a public-institution code (12…), firms a company code (91…); some experts have none on file.
PROFILES = [
    ("网络零售,品牌电商", "北京工商大学电子商务研究中心", "12"),
    ("供应链,物流", "南京财经大学营销与物流管理学院", "12"),
    ("跨境电商,外贸", "广东省电子商务协会", "51"),
    ("平台经济,支付", "", ""),
    ("农村电商,扶贫", "四川省农村电子商务研究院", "12"),
    ("数据安全,信息化", "武汉信息技术咨询有限公司", "91"),
    ("园区运营,产业规划", "", ""),
    ("跨境电商,港口物流", "青岛国际经济合作研究中心", "12"),
    ("网络零售,消费者保护", "上海市消费者权益保护研究会", "51"),
    ("电商服务,软件", "厦门电子商务服务有限公司", "91"),
    ("生活服务,O2O", "湖南商学院电子商务系", "12"),
    ("园区运营,丝路电商", "新疆财经大学丝路经济研究院", "12"),
]

REGION_TILT = {"east": 0.04, "centre": 0.015, "west": -0.02}

DIVERGENCE_NOTES = {
    "low": "经核对申报报告附件，其所述成效缺少第三方佐证材料，故本项给分明显低于平均水平。",
    "high": "该企业在本项有本人实地调研掌握的典型做法，申报材料未充分体现，故给分较高。",
}


def _bj(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return parse_beijing(datetime(y, m, d, h, mi))


def ensure_profiles() -> list[ReviewerProfile]:
    """A profile for each demo reviewer account (reviewer01–12), bound and active."""
    from . import demo_uscc  # the package imports this module, so not at the top

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    out = []
    for i, home in enumerate(REVIEWER_HOMES, start=1):
        user = db.session.scalar(select(User).where(User.username == f"reviewer{i:02d}", User.role == Role.REVIEWER))
        if user is None:
            continue
        profile = db.session.scalar(select(ReviewerProfile).where(ReviewerProfile.user_id == user.id))
        if profile is None:
            tags, org, prefix = PROFILES[(i - 1) % len(PROFILES)]
            code = demo_uscc(home, 3000 + i, prefix) if prefix else None
            profile = ReviewerProfile(user_id=user.id, name=user.display_name.replace("（专家）", ""), field_tags=tags,
                                      home_authority_code=home, organisation_uscc=code, organisation_name=org,
                                      state=ReviewerState.ACTIVE, created_by_id=admin.id if admin else None,
                                      created_at=_bj(2015, 4, 10))
            with demo_clock(PROFILES_CREATED):
                db.session.add(profile)
                db.session.flush()
                audit.record("reviewer_profile_created", obj=profile, actor=admin, detail={**DEMO, "home": home})
                audit.record("reviewer_activated", obj=profile, detail={**DEMO, "user": user.id})
        out.append(profile)
    return out


def _reviewer_actor(profile: ReviewerProfile) -> User:
    return db.session.get(User, profile.user_id)


def _transition(app: Application, action: Action, at: datetime, actor: User) -> None:
    rule = check_transition(app.state, action, role=FlowRole.ADMIN, now=at, deadlines=app.call.times.deadlines())
    db.session.add(Transition(application_id=app.id, action=action.value, from_state=app.state, to_state=rule.target,
                              actor_id=actor.id, acting_unit=actor.acting_unit, at=at))
    with clock_at(at):
        audit.record(f"application_{action.value}", obj=app, actor=actor,
                     detail={**DEMO, "from": app.state.value, "to": rule.target.value, "at": at.isoformat()})
    # As the service does on every state change: the organisation's main account is told in-app.
    main = db.session.scalar(select(User).where(User.organisation_id == app.organisation_id,
                                                User.is_org_main.is_(True)))
    if main is not None:
        note = notice(main.id, *state_notice(app.call.title, rule.target, actor.acting_unit, None),
                      link=f"/applicant/applications/{app.id}")
        note.created_at = at
    app.state = rule.target


def _assign(call: Call, pool: list[ReviewerProfile], admin: User, at: datetime) -> list[Assignment]:
    """The call's passed applications get their reviewers from the seeded balanced plan."""
    apps = list(db.session.scalars(select(Application).where(
        Application.call_id == call.id, Application.state == ApplicationState.PASSED).order_by(Application.id)))
    if not apps:
        return []
    plan = plan_assignment(application_infos(apps), reviewer_infos(pool), call.reviewers_per_application, seed=SEED)
    if not plan.feasible:
        raise RuntimeError(plan.explanation)
    rows = []
    for app_id, reviewer_id in plan.pairs:
        row = Assignment(call_id=call.id, application_id=app_id, reviewer_id=reviewer_id, source="auto",
                         created_by_id=admin.id, created_at=at)
        db.session.add(row)
        rows.append(row)
    for app in apps:
        _transition(app, Action.START_REVIEW, at, admin)
    if call.settings_locked_at is None:
        call.settings_locked_at = at
    with demo_clock(at):
        audit.record("review_assigned", obj=call, actor=admin, detail={
            **DEMO, "seed": SEED, "assignments": len(rows), "balanced": plan.balanced, "at": at.isoformat()})
    return rows


def _quality(rng: random.Random) -> float:
    return rng.uniform(0.45, 0.9)


def _write_sheet(assignment: Assignment, system, quality: float, bias: float, rng: random.Random, *,
                 state: SheetState, at: datetime, skew: dict[str, float] | None = None) -> ScoreSheet:
    """One sheet: each E score ≈ (application quality + reviewer bias + noise) × maximum, in steps of 0.1."""
    sheet = ScoreSheet(assignment_id=assignment.id, state=state, submitted_at=at if state == SheetState.SUBMITTED
                       else None, updated_at=at, comment="总体符合示范创建条件，建议关注后续示范带动效应。"
                       if rng.random() < 0.3 else "")
    db.session.add(sheet)
    db.session.flush()
    indicators = expert_indicators(system)
    if state == SheetState.DRAFT:  # a draft is partly filled
        indicators = indicators[: max(1, len(indicators) // 2)]
    for ind in indicators:
        share = quality + bias + rng.gauss(0, 0.03) + (skew or {}).get(ind.id, 0.0)
        tenths = int(round(min(1.0, max(0.0, share)) * ind.max * 10))
        db.session.add(Score(sheet_id=sheet.id, indicator_id=ind.id, tenths=tenths,
                             comment="材料翔实，成效有数据支撑" if share > 0.8 else ""))
    return sheet


def _score_closed(call: Call, rows: list[Assignment], pool: list[ReviewerProfile], admin: User, *,
                  seed: int = SEED) -> None:
    """Every sheet submitted within the window; two deliberate outliers; closed an hour after the
    window (31 May 2015 for the enterprises, 26 June for the bases)."""
    rng = random.Random(seed)
    system = system_of(call)
    bias = {p.id: rng.uniform(-0.05, 0.05) for p in pool}
    quality = {a.application_id: None for a in rows}
    regions = dict(db.session.execute(select(Application.id, Application.authority_code)
                                      .where(Application.id.in_(list(quality)))).all())
    for app_id in sorted(quality):
        # The experts judge the eastern firms' e-commerce a little more mature on average (domain.md §3).
        quality[app_id] = _quality(rng) + REGION_TILT[economic_region(regions[app_id])]
    first_e = expert_indicators(system)[1].id  # 模式、技术与管理创新
    outliers = {rows[3].id: {first_e: -0.45}, rows[min(17, len(rows) - 1)].id: {first_e: +0.45}}
    start, end = call.review_starts_at, call.review_ends_at
    for row in rows:
        at = start + timedelta(seconds=rng.uniform(3600, (end - start).total_seconds() - 3600))
        with clock_at(at):
            _write_sheet(row, system, quality[row.application_id], bias[row.reviewer_id], rng,
                         state=SheetState.SUBMITTED, at=at, skew=outliers.get(row.id))
            audit.record("score_sheet_submitted", obj=row, actor=_reviewer_actor(row.reviewer),
                         detail={**DEMO, "application": row.application_id, "at": at.isoformat()})
    db.session.flush()
    closed = end + timedelta(hours=1)
    apps = db.session.scalars(select(Application).where(Application.id.in_(list(quality))))
    for app in apps:
        _transition(app, Action.CLOSE_REVIEW, closed, admin)
    with demo_clock(closed):
        flagged = judge_divergence(call, notify=False)  # the comments below are already written
        for sheet in flagged:
            skew = outliers.get(sheet.assignment_id, {})
            sheet.divergence_comment = DIVERGENCE_NOTES["high" if sum(skew.values()) > 0 else "low"]
            sheet.updated_at = closed + timedelta(days=1)
        audit.record("review_closed", obj=call, actor=admin, detail={
            **DEMO, "applications": len(quality), "flagged": len(flagged), "at": closed.isoformat()})


def _declare_one_conflict(pool: list[ReviewerProfile], call: Call) -> None:
    """reviewer03 declared a conflict with one enterprise applicant before the assignment (回避 shown in the pool)."""
    app = db.session.scalar(select(Application).where(Application.call_id == call.id,
                                                      Application.state == ApplicationState.PASSED)
                            .order_by(Application.id.desc()))
    profile = next((p for p in pool if p.user_id and _reviewer_actor(p).username == "reviewer03"), None)
    if app is None or profile is None:
        return
    if db.session.scalar(select(ConflictDeclaration.id).where(ConflictDeclaration.reviewer_id == profile.id)):
        return
    decl = ConflictDeclaration(reviewer_id=profile.id, organisation_uscc=app.organisation.uscc,
                               reason="本人曾为该企业提供跨境业务咨询服务", declared_at=_bj(2015, 5, 18))
    with demo_clock(decl.declared_at):
        db.session.add(decl)
        db.session.flush()
        audit.record("conflict_declared", obj=decl, actor=_reviewer_actor(profile), detail=DEMO)


def _rank_enterprise(call: Call, admin: User) -> int:
    """The official stored runs of the closed enterprise call, one per category (made once).

    They are made by the same service as on the ranking page, from the sheets above, with the
    call's locked settings and 200 robustness samples; stamped two days after the review closed."""
    if call.review_ends_at is None or db.session.scalar(
            select(RankingRun.id).where(RankingRun.call_id == call.id).limit(1)) is not None:
        return 0
    try:
        with demo_clock(call.review_ends_at + timedelta(days=2)):
            made = runs.run_call(call, samples=runs.DEFAULT_SAMPLES, seed=SEED, actor=admin)
    except runs.RunRefused:
        return 0  # an incomplete demo review (e.g. a reduced data set) is left unranked
    return len(made)


def load_review_demo() -> dict[str, int]:
    """Create what does not exist yet: profiles, then assignments and sheets of each 2015 call."""
    pool = ensure_profiles()
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    created = ranked = 0
    for code in (ENTERPRISE_CALL, BASE_CALL):
        call = db.session.scalar(select(Call).where(Call.code == code))
        if call is None or admin is None or not pool or call.review_starts_at is None:
            continue
        if db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.call_id == call.id)):
            if code == ENTERPRISE_CALL:
                ranked += _rank_enterprise(call, admin)
            continue  # already loaded
        if code == ENTERPRISE_CALL:
            _declare_one_conflict(pool, call)
        rows = _assign(call, pool, admin, call.review_starts_at + timedelta(hours=2))
        if not rows:
            continue
        created += len(rows)
        if code == ENTERPRISE_CALL:
            _score_closed(call, rows, pool, admin)
            ranked += _rank_enterprise(call, admin)
        else:
            _score_closed(call, rows, pool, admin, seed=SEED + 1)
    db.session.flush()
    return {"reviewers": len(pool), "assignments_created": created, "runs_created": ranked}
