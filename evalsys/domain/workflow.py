"""Application states, actions and the allowed-transition table of a call (domain.md §4)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from evalsys.domain.marking import N_
from evalsys.domain.timeutil import ensure_aware, format_beijing
from .errors import DomainError, Message
from typing import Any


class ApplicationState(StrEnum):
    """State of one application; the value is what the database stores."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RECOMMENDED = "recommended"
    RETURNED = "returned"
    NOT_RECOMMENDED = "not_recommended"
    PASSED = "passed"
    FAILED = "failed"
    UNDER_REVIEW = "under_review"
    SCORED = "scored"
    PROPOSED = "proposed"
    REJECTED = "rejected"
    IN_PUBLICITY = "in_publicity"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS: dict[ApplicationState, str] = {
    ApplicationState.DRAFT: N_("草稿"),
    ApplicationState.SUBMITTED: N_("已提交"),
    ApplicationState.RECOMMENDED: N_("已推荐"),
    ApplicationState.RETURNED: N_("退回修改"),
    ApplicationState.NOT_RECOMMENDED: N_("未推荐"),
    ApplicationState.PASSED: N_("形式审查通过"),
    ApplicationState.FAILED: N_("形式审查未通过"),
    ApplicationState.UNDER_REVIEW: N_("专家评审"),
    ApplicationState.SCORED: N_("已评分"),
    ApplicationState.PROPOSED: N_("拟入选"),
    ApplicationState.REJECTED: N_("未入选"),
    ApplicationState.IN_PUBLICITY: N_("公示中"),
    ApplicationState.APPROVED: N_("已公布"),
}


class Action(StrEnum):
    """Something a user does to an application; `return_` because `return` is a keyword."""

    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    RECOMMEND = "recommend"
    RETURN_ = "return"
    NOT_RECOMMEND = "not_recommend"
    RESUBMIT = "resubmit"
    TAKE_BACK = "take_back"
    PASS_CHECK = "pass_check"
    FAIL_CHECK = "fail_check"
    START_REVIEW = "start_review"
    CLOSE_REVIEW = "close_review"
    PROPOSE = "propose"
    REJECT = "reject"
    OPEN_PUBLICITY = "open_publicity"
    UPHOLD_OBJECTION = "uphold_objection"
    ANNOUNCE = "announce"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.SUBMIT: "提交",
    Action.WITHDRAW: "撤回",
    Action.RECOMMEND: "推荐",
    Action.RETURN_: "退回修改",
    Action.NOT_RECOMMEND: "不予推荐",
    Action.RESUBMIT: "重新提交",
    Action.TAKE_BACK: "撤回推荐",
    Action.PASS_CHECK: "形式审查通过",
    Action.FAIL_CHECK: "形式审查不通过",
    Action.START_REVIEW: "开始专家评审",
    Action.CLOSE_REVIEW: "结束专家评审",
    Action.PROPOSE: "拟入选",
    Action.REJECT: "未入选",
    Action.OPEN_PUBLICITY: "开始公示",
    Action.UPHOLD_OBJECTION: "异议成立",
    Action.ANNOUNCE: "公布",
}


class Role(StrEnum):
    """Who acts on an application; the ministry acts through the admin role."""

    APPLICANT = "applicant"
    AUTHORITY = "authority"
    ADMIN = "admin"


class Gate(StrEnum):
    """Which point in time limits an action.

    CLOSING and RECOMMENDATION are deadlines (allowed while now < deadline). REVIEW_END and
    PUBLICITY_END work the other way round (allowed once now >= that time): scores are final only
    when the review window closes, and the list is announced only after its publicity ran out.
    """

    NONE = "none"
    CLOSING = "closing"
    RECOMMENDATION = "recommendation"
    REVIEW_END = "review_end"
    PUBLICITY_END = "publicity_end"


@dataclass(frozen=True)
class Rule:
    """One allowed transition: target state, the only role that may act, reason, time gate."""

    target: ApplicationState
    role: Role
    reason_required: bool = False
    gate: Gate = Gate.NONE


S, A, R = ApplicationState, Action, Role

# domain.md §4 as data. Notes on choices the text leaves open:
# - not_recommend has no deadline, so an authority can close out submissions it left unhandled
#   when the recommendation deadline passed; nothing is gained by leaving them "submitted".
# - take_back only before the recommendation deadline: afterwards it could not be re-recommended.
# - candidates below the places stay "scored" until the list is final, so a replacement for a
#   candidate whose objection is upheld is proposed from "scored" and gets its own publicity.
TRANSITIONS: dict[tuple[ApplicationState, Action], Rule] = {
    (S.DRAFT, A.SUBMIT): Rule(S.SUBMITTED, R.APPLICANT, gate=Gate.CLOSING),
    (S.SUBMITTED, A.WITHDRAW): Rule(S.DRAFT, R.APPLICANT, gate=Gate.CLOSING),
    (S.SUBMITTED, A.RECOMMEND): Rule(S.RECOMMENDED, R.AUTHORITY, gate=Gate.RECOMMENDATION),
    (S.SUBMITTED, A.RETURN_): Rule(S.RETURNED, R.AUTHORITY, True, Gate.RECOMMENDATION),
    (S.SUBMITTED, A.NOT_RECOMMEND): Rule(S.NOT_RECOMMENDED, R.AUTHORITY, True),
    (S.RETURNED, A.RESUBMIT): Rule(S.SUBMITTED, R.APPLICANT, gate=Gate.RECOMMENDATION),
    (S.RECOMMENDED, A.TAKE_BACK): Rule(S.SUBMITTED, R.AUTHORITY, gate=Gate.RECOMMENDATION),
    (S.RECOMMENDED, A.PASS_CHECK): Rule(S.PASSED, R.ADMIN),
    (S.RECOMMENDED, A.FAIL_CHECK): Rule(S.FAILED, R.ADMIN, True),
    (S.PASSED, A.START_REVIEW): Rule(S.UNDER_REVIEW, R.ADMIN),
    (S.UNDER_REVIEW, A.CLOSE_REVIEW): Rule(S.SCORED, R.ADMIN, gate=Gate.REVIEW_END),
    (S.SCORED, A.PROPOSE): Rule(S.PROPOSED, R.ADMIN),
    (S.SCORED, A.REJECT): Rule(S.REJECTED, R.ADMIN),
    (S.PROPOSED, A.OPEN_PUBLICITY): Rule(S.IN_PUBLICITY, R.ADMIN),
    (S.IN_PUBLICITY, A.UPHOLD_OBJECTION): Rule(S.REJECTED, R.ADMIN, True),
    (S.IN_PUBLICITY, A.ANNOUNCE): Rule(S.APPROVED, R.ADMIN, gate=Gate.PUBLICITY_END),
}
del S, A, R


@dataclass(frozen=True)
class Deadlines:
    """The times that gate transitions (aware datetimes). A missing time closes its gate."""

    closing: datetime | None = None
    recommendation: datetime | None = None
    review_end: datetime | None = None
    publicity_end: datetime | None = None

    def for_gate(self, gate: Gate) -> datetime | None:
        return None if gate is Gate.NONE else getattr(self, gate.value)


class TransitionError(DomainError):
    """A refused transition; `code` tells why, the message is Chinese for the user (HTTP 409)."""

    ILLEGAL = "illegal_transition"
    WRONG_ROLE = "wrong_role"
    DEADLINE_PASSED = "deadline_passed"
    NOT_YET = "not_yet"
    REASON_MISSING = "reason_missing"

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.code = code


_ROLE_NAMES = {Role.APPLICANT: N_("申报单位"), Role.AUTHORITY: N_("推荐单位"), Role.ADMIN: N_("商务部")}
_GATE_NAMES = {
    Gate.CLOSING: N_("申报截止时间"),
    Gate.RECOMMENDATION: N_("推荐截止时间"),
    Gate.REVIEW_END: N_("专家评审结束时间"),
    Gate.PUBLICITY_END: N_("公示期结束时间"),
}


def check_transition(
    state: ApplicationState, action: Action, *, role: Role, now: datetime,
    deadlines: Deadlines, reason: str | None = None,
) -> Rule:
    """Return the rule that allows `action` now, or raise TransitionError.

    Checked in this order so that the message names the most basic problem: illegal for the
    state, wrong role, time gate, missing reason.
    """
    state, action, role = ApplicationState(state), Action(action), Role(role)
    now = ensure_aware(now)
    rule = TRANSITIONS.get((state, action))
    if rule is None:
        raise TransitionError(
            TransitionError.ILLEGAL,
            N_("当前状态为“%(state)s”，不能执行“%(action)s”操作"),
            state=Message(state.label), action=Message(action.label),
        )
    if role is not rule.role:
        raise TransitionError(
            TransitionError.WRONG_ROLE, N_("“%(action)s”只能由%(role)s操作"),
            action=Message(action.label), role=Message(_ROLE_NAMES[rule.role]),
        )
    when = deadlines.for_gate(rule.gate)
    if rule.gate in (Gate.CLOSING, Gate.RECOMMENDATION):
        if when is None or not now < ensure_aware(when):
            shown = Message(N_("（%(time)s）"), time=format_beijing(when)) if when else ""
            raise TransitionError(
                TransitionError.DEADLINE_PASSED,
                N_("已过%(gate)s%(shown)s，不能执行“%(action)s”操作"),
                gate=Message(_GATE_NAMES[rule.gate]), shown=shown, action=Message(action.label),
            )
    elif rule.gate is not Gate.NONE:
        if when is None or now < ensure_aware(when):
            shown = Message(N_("（%(time)s）"), time=format_beijing(when)) if when else ""
            raise TransitionError(
                TransitionError.NOT_YET,
                N_("%(gate)s%(shown)s之前不能执行“%(action)s”操作"),
                gate=Message(_GATE_NAMES[rule.gate]), shown=shown, action=Message(action.label),
            )
    if rule.reason_required and not (reason and reason.strip()):
        raise TransitionError(
            TransitionError.REASON_MISSING, N_("“%(action)s”必须填写理由"), action=Message(action.label)
        )
    return rule


def transition(
    state: ApplicationState, action: Action, *, role: Role, now: datetime,
    deadlines: Deadlines, reason: str | None = None,
) -> ApplicationState:
    """The state after `action`, or TransitionError; the caller records who, when and why."""
    return check_transition(
        state, action, role=role, now=now, deadlines=deadlines, reason=reason
    ).target


def allowed_actions(
    state: ApplicationState, *, role: Role, now: datetime, deadlines: Deadlines
) -> list[Action]:
    """Actions `role` may take on an application in `state` now (reasons aside): for buttons."""
    result = []
    for (from_state, action), rule in TRANSITIONS.items():
        if from_state != state or rule.role != role:
            continue
        try:
            check_transition(state, action, role=role, now=now, deadlines=deadlines,
                             reason="-" if rule.reason_required else None)
        except TransitionError:
            continue
        result.append(action)
    return result


class CallPhase(StrEnum):
    """Where a call stands in time (shown on call lists)."""

    NOT_OPEN = "not_open"
    OPEN = "open"
    RECOMMENDING = "recommending"
    CHECKING = "checking"
    REVIEWING = "reviewing"
    REVIEW_CLOSED = "review_closed"

    @property
    def label(self) -> str:
        return {
            "not_open": N_("未开始"), "open": N_("申报中"), "recommending": N_("推荐中"),
            "checking": N_("形式审查"), "reviewing": N_("专家评审"), "review_closed": N_("评审结束"),
        }[self.value]


@dataclass(frozen=True)
class CallTimes:
    """The timetable of a call, aware datetimes (stored UTC, entered in Beijing time)."""

    opening: datetime
    closing: datetime
    recommendation_deadline: datetime
    review_start: datetime | None = None
    review_end: datetime | None = None

    def deadlines(self, publicity_end: datetime | None = None) -> Deadlines:
        """Gates for one application; publicity end is per application (replacements differ)."""
        return Deadlines(self.closing, self.recommendation_deadline, self.review_end, publicity_end)


def validate_call_times(times: CallTimes) -> list[str]:
    """Chinese messages for an inconsistent timetable ([] when it is fine)."""
    errors = []
    if not times.opening < times.closing:
        errors.append(N_("申报截止时间必须晚于开始时间"))
    if not times.closing <= times.recommendation_deadline:
        errors.append(N_("推荐截止时间不能早于申报截止时间"))
    if (times.review_start is None) != (times.review_end is None):
        errors.append(N_("评审开始和结束时间须同时填写"))
    elif times.review_start is not None and times.review_end is not None:
        if not times.recommendation_deadline <= times.review_start:
            errors.append(N_("专家评审不能早于推荐截止时间开始"))
        if not times.review_start < times.review_end:
            errors.append(N_("评审结束时间必须晚于开始时间"))
    return errors


def is_open_for_applications(times: CallTimes, now: datetime) -> bool:
    """Applicants may submit while opening <= now < closing."""
    now = ensure_aware(now)
    return ensure_aware(times.opening) <= now < ensure_aware(times.closing)


def is_open_for_recommendations(times: CallTimes, now: datetime) -> bool:
    """Authorities may recommend from opening until now < recommendation deadline."""
    now = ensure_aware(now)
    return ensure_aware(times.opening) <= now < ensure_aware(times.recommendation_deadline)


def call_phase(times: CallTimes, now: datetime) -> CallPhase:
    """The phase of a call at `now`."""
    now = ensure_aware(now)
    if now < ensure_aware(times.opening):
        return CallPhase.NOT_OPEN
    if now < ensure_aware(times.closing):
        return CallPhase.OPEN
    if now < ensure_aware(times.recommendation_deadline):
        return CallPhase.RECOMMENDING
    if times.review_start is None or now < ensure_aware(times.review_start):
        return CallPhase.CHECKING
    if times.review_end is None or now < ensure_aware(times.review_end):
        return CallPhase.REVIEWING
    return CallPhase.REVIEW_CLOSED
