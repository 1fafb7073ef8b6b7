"""The transition table of domain.md §4: every state × action × role, time gates, reasons, calls."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from evalsys.domain.timeutil import parse_beijing
from evalsys.domain.workflow import (
    TRANSITIONS, Action, ApplicationState, CallPhase, CallTimes, Deadlines, Gate, Role,
    TransitionError, allowed_actions, call_phase, is_open_for_applications,
    is_open_for_recommendations, transition, validate_call_times,
)

# domain.md §4 restated independently of the module: (from, action, to, role, reason?, gate).
SPEC = [
    ("draft", "submit", "submitted", "applicant", False, "closing"),
    ("submitted", "withdraw", "draft", "applicant", False, "closing"),
    ("submitted", "recommend", "recommended", "authority", False, "recommendation"),
    ("submitted", "return", "returned", "authority", True, "recommendation"),
    ("submitted", "not_recommend", "not_recommended", "authority", True, "none"),
    ("returned", "resubmit", "submitted", "applicant", False, "recommendation"),
    ("recommended", "take_back", "submitted", "authority", False, "recommendation"),
    ("recommended", "pass_check", "passed", "admin", False, "none"),
    ("recommended", "fail_check", "failed", "admin", True, "none"),
    ("passed", "start_review", "under_review", "admin", False, "none"),
    ("under_review", "close_review", "scored", "admin", False, "review_end"),
    ("scored", "propose", "proposed", "admin", False, "none"),
    ("scored", "reject", "rejected", "admin", False, "none"),
    ("proposed", "open_publicity", "in_publicity", "admin", False, "none"),
    ("in_publicity", "uphold_objection", "rejected", "admin", True, "none"),
    ("in_publicity", "announce", "approved", "admin", False, "publicity_end"),
]
SPEC_BY_KEY = {(s, a): (t, r, reason, g) for s, a, t, r, reason, g in SPEC}

NOW = datetime(2015, 6, 10, 4, 0, tzinfo=UTC)
# Every gate open at NOW: deadlines ahead, review and publicity already over.
OPEN = Deadlines(
    closing=NOW + timedelta(hours=1), recommendation=NOW + timedelta(days=1),
    review_end=NOW - timedelta(hours=1), publicity_end=NOW - timedelta(hours=1),
)


def test_table_matches_the_spec_exactly() -> None:
    as_data = {
        (s.value, a.value): (r.target.value, r.role.value, r.reason_required, r.gate.value)
        for (s, a), r in TRANSITIONS.items()
    }
    assert as_data == SPEC_BY_KEY


@pytest.mark.parametrize(
    "state,action,role",
    list(itertools.product(ApplicationState, Action, Role)),
    ids=lambda v: v.value,
)
def test_every_state_action_role(state: ApplicationState, action: Action, role: Role) -> None:
    expected = SPEC_BY_KEY.get((state.value, action.value))
    if expected is None:
        with pytest.raises(TransitionError) as err:
            transition(state, action, role=role, now=NOW, deadlines=OPEN, reason="理由")
        assert err.value.code == TransitionError.ILLEGAL
        assert state.label in err.value.message and action.label in err.value.message
        return
    target, allowed_role, _, _ = expected
    if role.value != allowed_role:
        with pytest.raises(TransitionError) as err:
            transition(state, action, role=role, now=NOW, deadlines=OPEN, reason="理由")
        assert err.value.code == TransitionError.WRONG_ROLE
        return
    assert transition(state, action, role=role, now=NOW, deadlines=OPEN, reason="理由") == target


@pytest.mark.parametrize("state,action", [(s, a) for s, a, *_ in SPEC if SPEC_BY_KEY[(s, a)][2]])
def test_reason_required(state: str, action: str) -> None:
    role = Role(SPEC_BY_KEY[(state, action)][1])
    for reason in (None, "", "  \u3000 "):
        with pytest.raises(TransitionError) as err:
            transition(ApplicationState(state), Action(action), role=role, now=NOW,
                       deadlines=OPEN, reason=reason)
        assert err.value.code == TransitionError.REASON_MISSING
    assert transition(ApplicationState(state), Action(action), role=role, now=NOW,
                      deadlines=OPEN, reason="材料不全")


@pytest.mark.parametrize("state,action", [(s, a) for s, a, *_ in SPEC if not SPEC_BY_KEY[(s, a)][2]])
def test_reason_optional(state: str, action: str) -> None:
    role = Role(SPEC_BY_KEY[(state, action)][1])
    assert transition(ApplicationState(state), Action(action), role=role, now=NOW,
                      deadlines=OPEN, reason=None)


BEFORE_GATES = [(s, a) for s, a, *_, g in SPEC if g in ("closing", "recommendation")]
AFTER_GATES = [(s, a) for s, a, *_, g in SPEC if g in ("review_end", "publicity_end")]


@pytest.mark.parametrize("state,action", BEFORE_GATES)
def test_deadline_boundary_minute_in_beijing_time(state: str, action: str) -> None:
    _, role, _, gate = SPEC_BY_KEY[(state, action)]
    deadline = parse_beijing("2015-06-03 17:00")  # 09:00 UTC
    deadlines = Deadlines(**{**OPEN.__dict__, gate: deadline})
    args = dict(role=Role(role), deadlines=deadlines, reason="理由")
    assert transition(ApplicationState(state), Action(action),
                      now=parse_beijing("2015-06-03 16:59:59"), **args)
    for late in ("2015-06-03 17:00", "2015-06-03 17:01"):
        with pytest.raises(TransitionError) as err:
            transition(ApplicationState(state), Action(action), now=parse_beijing(late), **args)
        assert err.value.code == TransitionError.DEADLINE_PASSED
        assert "2015-06-03 17:00" in err.value.message  # shown in Beijing time, not UTC
    with pytest.raises(TransitionError) as err:  # a missing deadline closes the gate
        transition(ApplicationState(state), Action(action), now=NOW,
                   **{**args, "deadlines": Deadlines(**{**OPEN.__dict__, gate: None})})
    assert err.value.code == TransitionError.DEADLINE_PASSED


@pytest.mark.parametrize("state,action", AFTER_GATES)
def test_not_before_gates(state: str, action: str) -> None:
    _, role, _, gate = SPEC_BY_KEY[(state, action)]
    end = parse_beijing("2015-06-18 00:00")
    deadlines = Deadlines(**{**OPEN.__dict__, gate: end})
    args = dict(role=Role(role), deadlines=deadlines)
    with pytest.raises(TransitionError) as err:
        transition(ApplicationState(state), Action(action), now=end - timedelta(seconds=1), **args)
    assert err.value.code == TransitionError.NOT_YET
    assert transition(ApplicationState(state), Action(action), now=end, **args)
    with pytest.raises(TransitionError):
        transition(ApplicationState(state), Action(action), now=NOW, role=Role(role),
                   deadlines=Deadlines(**{**OPEN.__dict__, gate: None}))


def test_order_of_checks_illegal_before_role_before_time() -> None:
    late = Deadlines()  # every gate closed
    with pytest.raises(TransitionError) as err:
        transition(ApplicationState.APPROVED, Action.SUBMIT, role=Role.ADMIN, now=NOW, deadlines=late)
    assert err.value.code == TransitionError.ILLEGAL
    with pytest.raises(TransitionError) as err:
        transition(ApplicationState.DRAFT, Action.SUBMIT, role=Role.ADMIN, now=NOW, deadlines=late)
    assert err.value.code == TransitionError.WRONG_ROLE
    with pytest.raises(TransitionError) as err:
        transition(ApplicationState.SUBMITTED, Action.RETURN_, role=Role.AUTHORITY, now=NOW,
                   deadlines=late)
    assert err.value.code == TransitionError.DEADLINE_PASSED


def test_naive_now_and_plain_strings() -> None:
    with pytest.raises(ValueError):
        transition(ApplicationState.DRAFT, Action.SUBMIT, role=Role.APPLICANT,
                   now=datetime(2015, 6, 1), deadlines=OPEN)
    # Values read from the database arrive as plain strings.
    assert transition("draft", "submit", role="applicant", now=NOW, deadlines=OPEN) == "submitted"


def test_labels_are_complete_and_chinese() -> None:
    labels = [s.label for s in ApplicationState]
    assert labels == ["草稿", "已提交", "已推荐", "退回修改", "未推荐", "形式审查通过", "形式审查未通过",
                      "专家评审", "已评分", "拟入选", "未入选", "公示中", "已公布"]
    assert all(a.label for a in Action) and all(p.label for p in CallPhase)


def test_every_state_is_reachable_and_terminal_states_have_no_exit() -> None:
    reached, todo = {ApplicationState.DRAFT}, [ApplicationState.DRAFT]
    while todo:
        state = todo.pop()
        for (source, _), rule in TRANSITIONS.items():
            if source == state and rule.target not in reached:
                reached.add(rule.target)
                todo.append(rule.target)
    assert reached == set(ApplicationState)
    sources = {s for s, _ in TRANSITIONS}
    assert set(ApplicationState) - sources == {
        ApplicationState.NOT_RECOMMENDED, ApplicationState.FAILED,
        ApplicationState.REJECTED, ApplicationState.APPROVED,
    }


def test_allowed_actions_follow_role_and_time() -> None:
    s = ApplicationState.SUBMITTED
    assert allowed_actions(s, role=Role.APPLICANT, now=NOW, deadlines=OPEN) == [Action.WITHDRAW]
    assert set(allowed_actions(s, role=Role.AUTHORITY, now=NOW, deadlines=OPEN)) == {
        Action.RECOMMEND, Action.RETURN_, Action.NOT_RECOMMEND}
    after = NOW + timedelta(days=2)
    assert allowed_actions(s, role=Role.APPLICANT, now=after, deadlines=OPEN) == []
    assert allowed_actions(s, role=Role.AUTHORITY, now=after, deadlines=OPEN) == [
        Action.NOT_RECOMMEND]
    assert allowed_actions(s, role=Role.ADMIN, now=NOW, deadlines=OPEN) == []


TIMES = CallTimes(
    opening=parse_beijing("2015-04-01 09:00"), closing=parse_beijing("2015-04-30 17:00"),
    recommendation_deadline=parse_beijing("2015-05-10 17:00"),
    review_start=parse_beijing("2015-05-20 09:00"), review_end=parse_beijing("2015-05-30 17:00"),
)


@pytest.mark.parametrize("when,phase,apply,recommend", [
    ("2015-04-01 08:59", CallPhase.NOT_OPEN, False, False),
    ("2015-04-01 09:00", CallPhase.OPEN, True, True),
    ("2015-04-30 16:59", CallPhase.OPEN, True, True),
    ("2015-04-30 17:00", CallPhase.RECOMMENDING, False, True),
    ("2015-05-10 17:00", CallPhase.CHECKING, False, False),
    ("2015-05-20 09:00", CallPhase.REVIEWING, False, False),
    ("2015-05-30 17:00", CallPhase.REVIEW_CLOSED, False, False),
])
def test_call_phases(when: str, phase: CallPhase, apply: bool, recommend: bool) -> None:
    now = parse_beijing(when)
    assert call_phase(TIMES, now) is phase
    assert is_open_for_applications(TIMES, now) is apply
    assert is_open_for_recommendations(TIMES, now) is recommend


def test_call_deadlines_gate_transitions() -> None:
    d = TIMES.deadlines()
    ok = parse_beijing("2015-04-30 16:59")
    assert transition("draft", "submit", role="applicant", now=ok, deadlines=d) == "submitted"
    with pytest.raises(TransitionError):
        transition("draft", "submit", role="applicant", now=parse_beijing("2015-04-30 17:00"),
                   deadlines=d)


def test_validate_call_times() -> None:
    assert validate_call_times(TIMES) == []
    bad = CallTimes(opening=TIMES.closing, closing=TIMES.opening,
                    recommendation_deadline=TIMES.opening - timedelta(days=1), review_start=TIMES.review_end,
                    review_end=TIMES.review_start)
    assert len(validate_call_times(bad)) == 3
    half = CallTimes(TIMES.opening, TIMES.closing, TIMES.recommendation_deadline, TIMES.review_start)
    assert validate_call_times(half) == ["评审开始和结束时间须同时填写"]
    early = CallTimes(TIMES.opening, TIMES.closing, TIMES.recommendation_deadline,
                      TIMES.opening, TIMES.review_end)
    assert validate_call_times(early) == ["专家评审不能早于推荐截止时间开始"]


def test_gate_names_cover_deadlines() -> None:
    assert {g.value for g in Gate} - {"none"} == set(Deadlines.__dataclass_fields__)
