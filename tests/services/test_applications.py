"""Application services: the transition table (every state × action × role), the quota under 50
concurrent recommendations, deadlines at the Beijing boundary minute, one application per
organisation and call (also under a race), verification and gates before submission."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from evalsys.domain.timeutil import beijing_date
from evalsys.domain.workflow import TRANSITIONS, Action, ApplicationState, Gate, TransitionError
from evalsys.domain.workflow import Role as FlowRole
from evalsys.extensions import db
from evalsys.models import (Application, AuditRecord, CallKind, Notification, OrganisationState, QuotaCounter,
                            Role, Transition, User)
from evalsys.services import applications as svc
from evalsys.services import recommendations as rec
from evalsys.services.criteria import system as criteria_system
from tests.factories import make_application, make_call, make_letter, make_org, make_user

S = ApplicationState
ROLES = {Role.APPLICANT: FlowRole.APPLICANT, Role.AUTHORITY: FlowRole.AUTHORITY, Role.ADMIN: FlowRole.ADMIN}
REASON = "材料不齐全，请补充"


# --- helpers ------------------------------------------------------------------------------------------------

def snapshot(app_row: Application) -> dict:
    """Everything an action may change; compared before and after a refused action."""
    app_id, call_id, authority = app_row.id, app_row.call_id, app_row.authority_code
    return {
        "state": app_row.state, "order": app_row.recommend_order, "submitted_at": app_row.submitted_at,
        "version": app_row.version_id,
        "timeline": db.session.scalar(select(func.count(Transition.id))
                                     .where(Transition.application_id == app_id)),
        "audit": db.session.scalar(select(func.count(AuditRecord.id))),
        "notifications": db.session.scalar(select(func.count(Notification.id))),
        "quota": db.session.scalar(select(QuotaCounter.used).where(QuotaCounter.call_id == call_id,
                                                                   QuotaCounter.authority_code == authority)),
    }


def rule_for(state: ApplicationState, action: Action, role: Role):
    rule = TRANSITIONS.get((state, action))
    return rule if rule is not None and rule.role == ROLES[role] else None


def actors_of(action: Action) -> set[FlowRole]:
    return {r.role for (_s, a), r in TRANSITIONS.items() if a == action}


def _submit_action(state: ApplicationState) -> Action:
    return Action.RESUBMIT if state == S.RETURNED else Action.SUBMIT


# The services of this issue and the table action each one performs.
SERVICES = {
    "submit": (lambda a, u: svc.submit(a, actor=u), _submit_action),
    "withdraw": (lambda a, u: svc.withdraw(a, actor=u), lambda s: Action.WITHDRAW),
    "recommend": (lambda a, u: rec.recommend(a, actor=u, order=3), lambda s: Action.RECOMMEND),
    "take_back": (lambda a, u: rec.take_back(a, actor=u), lambda s: Action.TAKE_BACK),
    "return": (lambda a, u: rec.return_for_revision(a, actor=u, reason=REASON), lambda s: Action.RETURN_),
    "not_recommend": (lambda a, u: rec.not_recommend(a, actor=u, reason=REASON),
                      lambda s: Action.NOT_RECOMMEND),
    "pass_check": (lambda a, u: rec.formal_check(a, actor=u, passed=True, reason=None),
                   lambda s: Action.PASS_CHECK),
    "fail_check": (lambda a, u: rec.formal_check(a, actor=u, passed=False, reason=REASON),
                   lambda s: Action.FAIL_CHECK),
}


def _past_call():
    """A call whose review window has closed (for the review-end gate)."""
    from evalsys.models.types import utcnow

    now = utcnow()
    return make_call(opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=30),
                     recommend_deadline=now - timedelta(days=20), review_starts_at=now - timedelta(days=15),
                     review_ends_at=now - timedelta(days=1), quota_per_authority=100)


def run_matrix(app, perform, action_of, *, past: bool = False) -> list[str]:
    """Apply `perform` to one fresh application per state × role; return a list of failures."""
    with app.test_request_context():
        call = _past_call() if past else make_call(quota_per_authority=100)
        authority = make_user(Role.AUTHORITY, authority_code="320000", commit=False)
        admin = make_user(Role.ADMIN, commit=False)
        make_letter(call, authority)
        cases = []
        for state in ApplicationState:
            for role in ROLES:
                org = make_org()
                applicant = make_user(Role.APPLICANT, organisation=org, commit=False)
                row = make_application(call, org, state, actor=applicant)
                actor = {Role.APPLICANT: applicant, Role.AUTHORITY: authority, Role.ADMIN: admin}[role]
                cases.append((state, role, row.id, actor.id))
        db.session.commit()

        failures = []
        for state, role, app_id, actor_id in cases:
            row, actor = db.session.get(Application, app_id), db.session.get(User, actor_id)
            action = action_of(state)
            rule = rule_for(state, action, role)
            allowed = rule is not None and rule.gate is not Gate.PUBLICITY_END  # no publicity end known yet
            before = snapshot(row)
            where = f"{state.value} × {action.value} × {role.value}"
            try:
                perform(row, actor)
            except (TransitionError, PermissionError, svc.ApplicationError) as e:
                after = snapshot(row)
                if allowed:
                    failures.append(f"{where}: refused ({e})")
                elif after != before:
                    failures.append(f"{where}: refused but changed {before} → {after}")
                elif isinstance(e, svc.ApplicationError):
                    failures.append(f"{where}: refused with ApplicationError, not a transition refusal: {e}")
                elif ROLES[role] in actors_of(action) and not isinstance(e, TransitionError):
                    # The role that may take this action elsewhere must hear why not here; another role
                    # may also be stopped earlier by the jurisdiction check (PermissionError).
                    failures.append(f"{where}: illegal for the state but {type(e).__name__}")
                elif isinstance(e, TransitionError) and not e.message:
                    failures.append(f"{where}: no message")
                db.session.rollback()
                continue
            if not allowed:
                failures.append(f"{where}: allowed, the table forbids it")
                db.session.rollback()
                continue
            after = snapshot(row)
            step = db.session.scalars(select(Transition).where(Transition.application_id == app_id)
                                      .order_by(Transition.id.desc()).limit(1)).one()
            if after["state"] != rule.target or step.to_state != rule.target or step.from_state != state \
                    or step.actor_id != actor_id or step.action != action.value:
                failures.append(f"{where}: wrong result {after['state']} / {step.action} {step.to_state}")
            if after["timeline"] != before["timeline"] + 1 or after["audit"] <= before["audit"]:
                failures.append(f"{where}: no timeline row or audit record")
            if after["notifications"] <= before["notifications"]:
                failures.append(f"{where}: no notification")
            db.session.commit()
        return failures


# --- the transition table -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SERVICES))
def test_services_follow_the_transition_table(app, name):
    perform, action_of = SERVICES[name]
    assert run_matrix(app, perform, action_of) == []


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_apply_action_follows_the_transition_table(app, action):
    rules = [r for (s, a), r in TRANSITIONS.items() if a == action]
    past = any(r.gate is Gate.REVIEW_END for r in rules)
    failures = run_matrix(app, lambda a, u: svc.apply_action(a, action, actor=u, reason=REASON),
                          lambda s: action, past=past)
    assert failures == []


def test_other_roles_cannot_act_at_all(app):
    with app.test_request_context():
        call = make_call()
        row = make_application(call, make_org(), S.SUBMITTED)
        for role in (Role.REVIEWER, Role.SECADMIN, Role.AUDITOR):
            user = make_user(role, commit=False)
            before = snapshot(row)
            with pytest.raises(svc.ApplicationError):
                svc.apply_action(row, Action.RECOMMEND, actor=user)
            assert snapshot(row) == before


def test_reason_is_required_where_the_table_says_so(app):
    with app.test_request_context():
        call = make_call()
        authority = make_user(Role.AUTHORITY, commit=False)
        row = make_application(call, make_org(), S.SUBMITTED)
        before = snapshot(row)
        for blank in ("", "   ", None):
            with pytest.raises(TransitionError) as e:
                rec.return_for_revision(row, actor=authority, reason=blank)
            assert e.value.code == TransitionError.REASON_MISSING
        assert snapshot(row) == before


def test_authority_cannot_act_outside_its_jurisdiction(app):
    with app.test_request_context():
        call = make_call()
        other = make_user(Role.AUTHORITY, authority_code="330000", commit=False)
        make_letter(call, other)
        row = make_application(call, make_org(), S.SUBMITTED)
        before = snapshot(row)
        for act in (lambda: rec.recommend(row, actor=other, order=1),
                    lambda: rec.return_for_revision(row, actor=other, reason=REASON),
                    lambda: rec.not_recommend(row, actor=other, reason=REASON)):
            with pytest.raises(PermissionError):
                act()
            assert snapshot(row) == before


# --- quota --------------------------------------------------------------------------------------------------

def _recommend_in_thread(app, app_id: int, actor_id: int, barrier: threading.Barrier,
                         outcomes: list[str]) -> None:
    with app.test_request_context():
        try:
            barrier.wait()
            rec.recommend(db.session.get(Application, app_id), actor=db.session.get(User, actor_id), order=1)
            db.session.commit()
            outcomes.append("ok")
        except svc.ApplicationError as e:
            db.session.rollback()
            outcomes.append("refused" if "名额上限" in str(e) else f"error {e}")
        except Exception as exc:  # recorded, so the test fails with the reason
            db.session.rollback()
            outcomes.append(f"error {type(exc).__name__}: {exc}")
        finally:
            db.session.remove()


@pytest.mark.slow
def test_50_concurrent_recommendations_against_a_quota_of_8(app):
    with app.test_request_context():
        call = make_call(quota_per_authority=8)
        authority = make_user(Role.AUTHORITY, authority_code="320000", commit=False)
        make_letter(call, authority)
        ids = [make_application(call, make_org(), S.SUBMITTED).id for _ in range(50)]
        call_id, actor_id = call.id, authority.id
        db.session.commit()
    barrier = threading.Barrier(len(ids))
    outcomes: list[str] = []
    threads = [threading.Thread(target=_recommend_in_thread, args=(app, i, actor_id, barrier, outcomes),
                                daemon=True) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("ok") == 8 and outcomes.count("refused") == 42
    with app.app_context():
        used = db.session.scalar(select(QuotaCounter.used).where(QuotaCounter.call_id == call_id,
                                                                 QuotaCounter.authority_code == "320000"))
        recommended = db.session.scalar(select(func.count(Application.id)).where(
            Application.call_id == call_id, Application.state == S.RECOMMENDED))
        steps = db.session.scalar(select(func.count(Transition.id)).where(Transition.action == "recommend"))
        assert used == recommended == steps == 8


# (authority, its own figure or None for the call's default 8, applications racing)
PER_AUTHORITY = [("320000", 12, 20), ("330000", 3, 15), ("440000", None, 15)]


@pytest.mark.slow
def test_50_concurrent_recommendations_against_per_authority_quotas(app):
    from evalsys.services import quotas

    with app.test_request_context():
        call = make_call(quota_per_authority=8)
        admin = make_user(Role.ADMIN, commit=False)
        quotas.set_authority_quotas(call, {code: own for code, own, _ in PER_AUTHORITY}, actor=admin)
        jobs = []
        for code, _, n in PER_AUTHORITY:
            authority = make_user(Role.AUTHORITY, authority_code=code, commit=False)
            make_letter(call, authority)
            region = code[:2] + "0100"
            jobs += [(make_application(call, make_org(region=region, authority_code=code), S.SUBMITTED).id,
                      authority.id) for _ in range(n)]
        call_id = call.id
        db.session.commit()
    assert len(jobs) == 50
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    threads = [threading.Thread(target=_recommend_in_thread, args=(app, i, actor, barrier, outcomes), daemon=True)
               for i, actor in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("ok") == 12 + 3 + 8 and outcomes.count("refused") == 50 - 23
    with app.app_context():
        for code, own, _ in PER_AUTHORITY:
            used = db.session.scalar(select(QuotaCounter.used).where(QuotaCounter.call_id == call_id,
                                                                     QuotaCounter.authority_code == code))
            recommended = db.session.scalar(select(func.count(Application.id)).where(
                Application.call_id == call_id, Application.authority_code == code,
                Application.state == S.RECOMMENDED))
            assert used == recommended == (own or 8), code


def test_the_quota_table_defaults_and_refuses_figures_below_use(app):
    from evalsys.services import quotas

    with app.test_request_context():
        call = make_call(quota_per_authority=2)
        admin = make_user(Role.ADMIN, commit=False)
        table = quotas.quota_table(call)
        assert len(table) == 37 and all(r.quota == 2 and not r.own for r in table)
        authority = make_user(Role.AUTHORITY, authority_code="320000", commit=False)
        make_letter(call, authority)
        rows = [make_application(call, make_org(), S.SUBMITTED) for _ in range(3)]
        quotas.set_authority_quotas(call, {"320000": 3, "210200": 2, "660000": 0}, actor=admin)
        by_code = {r.code: r for r in quotas.quota_table(call)}
        assert (by_code["320000"].quota, by_code["320000"].own) == (3, True)
        assert (by_code["210200"].quota, by_code["210200"].own) == (2, False)  # equal to the default: follows it
        assert (by_code["660000"].quota, by_code["660000"].own) == (0, True)
        for row in rows:
            rec.recommend(row, actor=authority, order=1)
        assert rec.quota_used(call, "320000") == 3
        with pytest.raises(quotas.QuotaError, match="少于已推荐的 3 个"):
            quotas.set_authority_quotas(call, {"320000": 2}, actor=admin)
        with pytest.raises(quotas.QuotaError, match="不能为负数"):
            quotas.set_authority_quotas(call, {"330000": -1}, actor=admin)
        assert quotas.authority_quota(call, "320000") == 3
        events = [r for r in db.session.scalars(select(AuditRecord).where(AuditRecord.event == "call_quotas_set"))]
        assert len(events) == 1


def test_quota_refusal_and_take_back_frees_a_place(app):
    with app.test_request_context():
        call = make_call(quota_per_authority=2)
        authority = make_user(Role.AUTHORITY, authority_code="320000", commit=False)
        make_letter(call, authority)
        rows = [make_application(call, make_org(), S.SUBMITTED) for _ in range(3)]
        rec.recommend(rows[0], actor=authority, order=1)
        rec.recommend(rows[1], actor=authority, order=2)
        db.session.commit()
        before = snapshot(rows[2])
        with pytest.raises(svc.ApplicationError, match="名额上限（2个）"):
            rec.recommend(rows[2], actor=authority, order=3)
        assert snapshot(rows[2]) == before
        db.session.rollback()
        assert rec.quota_used(call, "320000") == 2

        rec.take_back(rows[0], actor=authority)
        db.session.commit()
        assert rows[0].state == S.SUBMITTED and rows[0].recommend_order is None
        assert rec.quota_used(call, "320000") == 1
        rec.recommend(rows[2], actor=authority, order=3)
        db.session.commit()
        assert rec.quota_used(call, "320000") == 2 == rec.recommended_count(call, "320000")


def test_another_authority_has_its_own_quota(app):
    with app.test_request_context():
        call = make_call(quota_per_authority=1)
        js = make_user(Role.AUTHORITY, authority_code="320000", commit=False)
        zj = make_user(Role.AUTHORITY, authority_code="330000", commit=False)
        make_letter(call, js)
        make_letter(call, zj)
        rec.recommend(make_application(call, make_org(), S.SUBMITTED), actor=js, order=1)
        rec.recommend(make_application(call, make_org(region="330100", authority_code="330000"), S.SUBMITTED),
                      actor=zj, order=1)
        db.session.commit()
        assert rec.quota_used(call, "320000") == rec.quota_used(call, "330000") == 1


def test_recommendation_needs_the_letter(app):
    with app.test_request_context():
        call = make_call()
        authority = make_user(Role.AUTHORITY, commit=False)
        row = make_application(call, make_org(), S.SUBMITTED)
        before = snapshot(row)
        with pytest.raises(svc.ApplicationError, match="推荐函"):
            rec.recommend(row, actor=authority, order=1)
        assert snapshot(row) == before


# --- deadlines, frozen at the Beijing boundary minute -------------------------------------------------------

BEIJING = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime(2015, 5, 21, 0, 0, tzinfo=BEIJING)  # 20 May 2015, 24:00 Beijing = 16:00 UTC
MOMENTS = {
    "23:59:59": (DEADLINE - timedelta(seconds=1), True),
    "at the deadline": (DEADLINE, False),
    "within the deadline minute": (DEADLINE + timedelta(seconds=30), False),
}
# action: (state before, state after, which deadline counts, who acts)
DEADLINE_ACTIONS = {
    "submit": (S.DRAFT, S.SUBMITTED, "closes_at", Role.APPLICANT),
    "withdraw": (S.SUBMITTED, S.DRAFT, "closes_at", Role.APPLICANT),
    "recommend": (S.SUBMITTED, S.RECOMMENDED, "recommend_deadline", Role.AUTHORITY),
    "resubmit": (S.RETURNED, S.SUBMITTED, "recommend_deadline", Role.APPLICANT),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("action", list(DEADLINE_ACTIONS))
def test_deadlines_at_the_beijing_boundary(app, action, moment):
    start, target, gate, role = DEADLINE_ACTIONS[action]
    when, allowed = MOMENTS[moment]
    times = {"opens_at": DEADLINE - timedelta(days=20)}
    if gate == "closes_at":
        times.update(closes_at=DEADLINE, recommend_deadline=DEADLINE + timedelta(days=5))
    else:
        times.update(closes_at=DEADLINE - timedelta(days=5), recommend_deadline=DEADLINE)
    with app.test_request_context():
        call = make_call(**times)
        db.session.commit()
        db.session.refresh(call)
        stored = getattr(call, gate)
        assert stored.utcoffset() == timedelta(0) and (stored.hour, stored.minute) == (16, 0)
        org = make_org()
        applicant = make_user(Role.APPLICANT, organisation=org, commit=False)
        authority = make_user(Role.AUTHORITY, commit=False)
        make_letter(call, authority)
        row = make_application(call, org, start, actor=applicant)
        db.session.commit()
        actor = applicant if role == Role.APPLICANT else authority
        perform = {"submit": svc.submit, "resubmit": svc.submit, "withdraw": svc.withdraw,
                   "recommend": lambda a, actor: rec.recommend(a, actor=actor, order=1)}[action]
        before = snapshot(row)
        with time_machine.travel(when, tick=False):
            if allowed:
                perform(row, actor=actor)
                assert row.state == target
                db.session.commit()
                return
            with pytest.raises((TransitionError, svc.ApplicationError)) as e:
                perform(row, actor=actor)
        message = str(e.value)
        assert "截止" in message or "不在申报期内" in message, message
        assert snapshot(row) == before


# --- one application per organisation and call --------------------------------------------------------------

def test_one_application_per_organisation_and_call(app):
    with app.test_request_context():
        call = make_call()
        org = make_org()
        first = make_user(Role.APPLICANT, organisation=org, commit=False)
        second = make_user(Role.APPLICANT, organisation=org, is_org_main=False, commit=False)
        svc.start_application(call, org, actor=first)
        db.session.commit()
        with pytest.raises(svc.ApplicationError, match="只能申报一次"):
            svc.start_application(call, org, actor=second)
        db.session.rollback()
        # Another call is a separate matter.
        svc.start_application(make_call(), org, actor=second)
        db.session.commit()
        count = select(func.count(Application.id)).where(Application.organisation_id == org.id)
        assert db.session.scalar(count) == 2


def _start_in_thread(app, call_id: int, user_id: int, barrier: threading.Barrier,
                     outcomes: list[str]) -> None:
    from evalsys.models import Call

    with app.test_request_context():
        try:
            barrier.wait()  # before any query: on SQLite the first query takes the write lock
            user = db.session.get(User, user_id)
            call = db.session.get(Call, call_id)
            svc.start_application(call, user.organisation, actor=user)
            db.session.commit()
            outcomes.append("ok")
        except svc.ApplicationError:
            db.session.rollback()
            outcomes.append("refused")
        except Exception as exc:
            db.session.rollback()
            outcomes.append(f"error {type(exc).__name__}: {exc}")
        finally:
            db.session.remove()


@pytest.mark.slow
def test_two_concurrent_starts_make_exactly_one_application(app):
    with app.test_request_context():
        call = make_call()
        org = make_org()
        users = [make_user(Role.APPLICANT, organisation=org, is_org_main=i == 0, commit=False).id
                 for i in range(2)]
        call_id, org_id = call.id, org.id
        db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    threads = [threading.Thread(target=_start_in_thread, args=(app, call_id, u, barrier, outcomes),
                                daemon=True) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["ok", "refused"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id)).where(
            Application.call_id == call_id, Application.organisation_id == org_id)) == 1


# --- what stops a submission --------------------------------------------------------------------------------

def test_unverified_organisation_cannot_submit(app):
    with app.test_request_context():
        call = make_call()
        org = make_org(state=OrganisationState.UNVERIFIED)
        applicant = make_user(Role.APPLICANT, organisation=org, commit=False)
        row = make_application(call, org, actor=applicant)
        db.session.commit()
        before = snapshot(row)
        with pytest.raises(svc.ApplicationError, match="尚未通过.*核验"):
            svc.submit(row, actor=applicant)
        assert snapshot(row) == before
        db.session.rollback()
        org.state = OrganisationState.VERIFIED
        svc.submit(row, actor=applicant)
        assert row.state == S.SUBMITTED


def test_incomplete_application_lists_what_is_missing(app):
    with app.test_request_context():
        call = make_call()
        org = make_org()
        applicant = make_user(Role.APPLICANT, organisation=org, commit=False)
        row = make_application(call, org, complete=False, actor=applicant)
        before = snapshot(row)
        with pytest.raises(svc.ApplicationError) as e:
            svc.submit(row, actor=applicant)
        message = str(e.value)
        for expected in ("未填写：上年度营业收入", "未选择申报类别", "未填写：企业概况", "未上传：营业执照",
                         "未上传：盖章申报表（扫描件）"):
            assert expected in message
        assert snapshot(row) == before


# (kind, asked field, value a person types that fails the gate, field the gate reads)
GATE_CASES = [
    (CallKind.ENTERPRISE, "dedicated_unit", "no", "dedicated_unit"),
    (CallKind.ENTERPRISE, "violation_3y", "yes", "violation_3y"),
    (CallKind.ENTERPRISE, "shop_opened_on", "recent", "shop_years"),
    (CallKind.BASE, "operator_clear", "no", "operator_clear"),
    (CallKind.BASE, "major_violation", "yes", "major_violation"),
    (CallKind.BASE, "floor_area", "9999.9", "floor_area"),
    (CallKind.BASE, "ecommerce_firms", "29", "ecommerce_firms"),
    (CallKind.BASE, "opened_on", "recent", "years_operating"),
]


@pytest.mark.parametrize(("kind", "field", "typed", "gate_field"), GATE_CASES, ids=[c[1] for c in GATE_CASES])
def test_gates_refuse_submission_with_the_gate_title(app, kind, field, typed, gate_field):
    import json

    from tests.factories import stored_figures

    with app.test_request_context():
        call = make_call(kind=kind)
        system = criteria_system(call.criteria_id, call.criteria_version)
        if typed == "recent":
            typed = (beijing_date(call.closes_at) - timedelta(days=200)).isoformat()
        org = make_org()
        applicant = make_user(Role.APPLICANT, organisation=org, commit=False)
        row = make_application(call, org, actor=applicant)
        row.figures = json.dumps(stored_figures(system, **{field: typed}))
        db.session.flush()
        before = snapshot(row)
        with pytest.raises(svc.ApplicationError) as e:
            svc.submit(row, actor=applicant)
        message = str(e.value)
        failing = [g.title for g in system.gates if g.gate.field == gate_field]
        assert failing and all(f"不符合申报条件：{t}" in message for t in failing), message
        others = [g.title for g in system.gates if g.gate.field != gate_field]
        assert not any(t in message for t in others), message
        assert snapshot(row) == before


def test_parent_and_subsidiary_cannot_both_apply(app):
    with app.test_request_context():
        call = make_call()
        parent = make_org()
        make_application(call, parent, S.SUBMITTED)
        child = make_org()
        applicant = make_user(Role.APPLICANT, organisation=child, commit=False)
        row = make_application(call, child, actor=applicant, parent_uscc=parent.uscc)
        system = criteria_system(call.criteria_id, call.criteria_version)
        title = next(g.title for g in system.gates if g.gate.field == "duplicate_parent_subsidiary")
        with pytest.raises(svc.ApplicationError, match=f"不符合申报条件：{title}"):
            svc.submit(row, actor=applicant)
        assert row.state == S.DRAFT


# --- the gates the system determines: legal entity, two years open, parent and subsidiary -------------------

def _submitting(call, org, **figures):
    import json

    from tests.factories import stored_figures

    applicant = make_user(Role.APPLICANT, organisation=org, commit=False)
    row = make_application(call, org, actor=applicant)
    if figures:
        system = criteria_system(call.criteria_id, call.criteria_version)
        row.figures = json.dumps(stored_figures(system, **figures))
        db.session.flush()
    return row, applicant


def test_an_individual_business_is_refused_by_the_legal_entity_gate(app):
    from evalsys.domain import uscc

    with app.test_request_context():
        call = make_call()
        row, applicant = _submitting(call, make_org(code=uscc.make("92", "320500", "MA1234567")))
        with pytest.raises(svc.ApplicationError) as e:
            svc.submit(row, actor=applicant)
        message = str(e.value)
        assert "不符合申报条件：境内独立法人" in message and "个体工商户" in message and "不具有法人资格" in message
        assert row.state == S.DRAFT
        # The same application from an enterprise (91…) passes this gate.
        company, company_applicant = _submitting(call, make_org())
        svc.submit(company, actor=company_applicant)
        assert company.state == S.SUBMITTED


def test_the_two_year_gate_refuses_one_day_short_and_passes_on_the_anniversary(app):
    from evalsys.domain import figures as fig

    with app.test_request_context():
        call = make_call()
        closing = beijing_date(call.closes_at)
        anniversary = fig.add_years(closing, -2)
        short, short_applicant = _submitting(call, make_org(),
                                             shop_opened_on=(anniversary + timedelta(days=1)).isoformat())
        with pytest.raises(svc.ApplicationError, match="不符合申报条件：自有网站或网店开通满 2 年"):
            svc.submit(short, actor=short_applicant)
        assert short.state == S.DRAFT
        exact, exact_applicant = _submitting(call, make_org(), shop_opened_on=anniversary.isoformat())
        svc.submit(exact, actor=exact_applicant)
        assert exact.state == S.SUBMITTED


def test_parent_and_subsidiary_are_checked_both_ways(app):
    with app.test_request_context():
        call = make_call()
        parent_org, child_org = make_org(), make_org()
        # The subsidiary applied first, declaring its parent; the parent declares nothing.
        child, _ = _submitting(call, child_org)
        child.parent_uscc = parent_org.uscc
        child.state = S.SUBMITTED
        db.session.flush()
        parent, parent_applicant = _submitting(call, parent_org)
        with pytest.raises(svc.ApplicationError, match="母子公司未就同一范围重复申报"):
            svc.submit(parent, actor=parent_applicant)
        assert parent.state == S.DRAFT
        # A draft declaration does not block; an application in another call does not either.
        child.state = S.DRAFT
        db.session.flush()
        svc.submit(parent, actor=parent_applicant)
        assert parent.state == S.SUBMITTED
        other_call = make_call()
        elsewhere, elsewhere_applicant = _submitting(other_call, make_org())
        elsewhere.parent_uscc = parent_org.uscc
        svc.submit(elsewhere, actor=elsewhere_applicant)
        assert elsewhere.state == S.SUBMITTED
