"""Performance evaluation rules: grade boundaries, totals, points against plan targets, states, serials."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from evalsys.domain.criteria import find_system
from evalsys.domain.evaluation import (EvalAction, EvaluationState, EvaluationTransitionError, Party, add_months,
                                       allowed_actions, default_rectification_deadline, grade_bands, grade_of,
                                       make_serial, next_state, parse_e_points, score, to_two_places)
from tests.domain.conftest import CRITERIA_DIR
from tests.evalutil import PLAN_TARGETS, inputs_at

PERF = find_system("perf-base-b1", 1, CRITERIA_DIR)


@pytest.mark.parametrize("total, label", [
    ("0", "差"), ("59.99", "差"), ("59.994", "差"), ("60", "中"), ("79.99", "中"), ("80", "良"),
    ("89.99", "良"), ("89.994", "良"), ("89.995", "优"), ("90", "优"), ("100", "优"),
])
def test_grade_boundaries(total, label):
    assert grade_of(Decimal(total), grade_bands(PERF)).label == label


def test_half_up_to_two_places_before_grading():
    assert to_two_places(Decimal("89.995")) == Decimal("90.00")
    assert to_two_places(89.995) == Decimal("90.00")  # float input: the decimal meant, not its binary value
    assert to_two_places(0.1 + 0.2 + 89.695) == Decimal("90.00")
    assert to_two_places("59.994") == Decimal("59.99")
    assert grade_of(89.995, grade_bands(PERF)).label == "优"


def _e(fraction: str) -> dict[str, Decimal]:
    return {i.id: (Decimal(str(i.max)) * Decimal(fraction)).quantize(Decimal("0.1"))
            for i in PERF.scored_indicators if i.type == "E"}


def test_everything_on_target_scores_100():
    result = score(PERF, inputs_at("1"), PLAN_TARGETS, _e("1"))
    assert result.complete
    assert result.total == Decimal("100.00")
    assert result.grade.label == "优"
    assert [g.points for g in result.groups] == [Decimal(15), Decimal(25), Decimal(30), Decimal(30)]


def test_half_of_every_target_gives_half_the_points():
    result = score(PERF, inputs_at("0.5"), PLAN_TARGETS, _e("0.5"))
    assert result.complete, result.missing
    assert result.total == Decimal("50.00")
    assert result.grade.label == "差"
    cost = next(r for g in result.groups for r in g.rows if r.indicator.id == "cost_vs_budget")
    assert cost.actual == 60_000_000.0 and cost.target == 30_000_000.0  # Q−: P·target/x
    assert cost.points == Decimal("2.50")


def test_above_target_is_clamped_and_q_minus_under_budget_is_full():
    values = inputs_at("1")
    values["service_reach"] = 99_999
    values["project_cost"] = 1_00
    result = score(PERF, values, PLAN_TARGETS, _e("1"))
    assert result.total == Decimal("100.00")


def test_missing_figures_and_targets_score_zero_and_are_listed():
    values = inputs_at("1")
    del values["new_jobs"]
    targets = dict(PLAN_TARGETS)
    del targets["plan_tasks"]
    e = _e("1")
    del e["sustainability"]
    result = score(PERF, values, targets, e)
    assert not result.complete
    text = "\n".join(result.missing)
    assert "新增就业" in text and "创建任务完成情况" in text and "可持续影响" in text
    assert result.total == Decimal("100.00") - 4 - 6 - 5


def test_bonus_is_separate_clamped_and_never_counts_for_the_grade():
    result = score(PERF, inputs_at("0.895"), PLAN_TARGETS, _e("0.9"), bonus=Decimal("25"))
    assert result.bonus == Decimal("10.00")
    assert result.total < 90 and result.grade.label == "良"


def test_expert_points_steps_and_range():
    assert parse_e_points("4.5", 5) == Decimal("4.5")
    for bad in ("4.55", "6", "-1", "abc", "", "NaN"):
        with pytest.raises(ValueError):
            parse_e_points(bad, 5)


def test_state_machine_happy_path_and_refusals():
    s = EvaluationState.DRAFT
    s = next_state(s, EvalAction.SUBMIT_SELF, Party.OPERATOR)
    assert s == EvaluationState.SELF_EVALUATED
    with pytest.raises(EvaluationTransitionError):
        next_state(s, EvalAction.ACCEPT, Party.MINISTRY)  # the authority has not evaluated yet
    with pytest.raises(EvaluationTransitionError):
        next_state(s, EvalAction.SUBMIT_EVALUATION, Party.OPERATOR)  # not the operator's step
    s = next_state(s, EvalAction.SUBMIT_EVALUATION, Party.AUTHORITY)
    with pytest.raises(EvaluationTransitionError, match="理由"):
        next_state(s, EvalAction.RETURN, Party.MINISTRY, "  ")
    s = next_state(s, EvalAction.RETURN, Party.MINISTRY, "补充佐证材料")
    assert s == EvaluationState.RETURNED
    assert allowed_actions(s, Party.AUTHORITY) == [EvalAction.SUBMIT_EVALUATION]
    s = next_state(s, EvalAction.SUBMIT_EVALUATION, Party.AUTHORITY)
    s = next_state(s, EvalAction.ACCEPT, Party.MINISTRY)
    s = next_state(s, EvalAction.ISSUE, Party.MINISTRY)
    assert s == EvaluationState.ISSUED
    with pytest.raises(EvaluationTransitionError):
        next_state(s, EvalAction.SUBMIT_SELF, Party.OPERATOR)


def test_rectification_deadline_is_three_calendar_months():
    start = datetime(2015, 11, 30, 8, 0, tzinfo=UTC)
    assert default_rectification_deadline(start) == datetime(2016, 2, 29, 8, 0, tzinfo=UTC)
    assert add_months(datetime(2015, 10, 15, tzinfo=UTC), 3) == datetime(2016, 1, 15, tzinfo=UTC)


def test_serial_has_round_sequence_and_random_part():
    assert make_serial("perf-2015", 7, "K7Q2M9XWRT") == "PERF-2015-0007-K7Q2M9XWRT"
    with pytest.raises(ValueError):
        make_serial("perf-2015", 7, "SHORT")
    with pytest.raises(ValueError):
        make_serial("perf-2015", 7, "O0I1LO0I1L")  # ambiguous characters are not in the alphabet


# --- rounding of the total (§7): unrounded indicator points are added, the total rounded once ------------

def _at_boundary(deficit_e: float, tasks: int) -> tuple[dict, dict]:
    """Figures and E points whose exact total is 98.995 − deficit_e − (6 − tasks/2): new jobs score
    3.004 (shown 3.00) and service reach 5.991 (shown 5.99), so rounding each indicator first
    would lose 0.005 and land a cent lower."""
    values = inputs_at("1")
    values["new_jobs"], values["service_reach"], values["tasks_completed"] = 1502, 19970, tasks
    e = _e("1")
    for ind in (i for i in PERF.scored_indicators if i.type == "E"):
        cut = min(float(e[ind.id]), deficit_e)
        e[ind.id] -= Decimal(str(cut))
        deficit_e -= cut
    assert deficit_e == 0
    return values, e


@pytest.mark.parametrize(("deficit_e", "tasks", "total", "label"), [
    (34, 2, "60.00", "中"),   # exact 59.995: rounding each indicator first would give 59.99 (差)
    (19, 12, "80.00", "良"),  # exact 79.995
    (9, 12, "90.00", "优"),   # exact 89.995
])
def test_the_total_rounds_the_unrounded_points_once_at_the_grade_boundaries(deficit_e, tasks, total, label):
    values, e = _at_boundary(deficit_e, tasks)
    result = score(PERF, values, PLAN_TARGETS, e)
    assert result.complete, result.missing
    rows = {r.indicator.id: r for g in result.groups for r in g.rows}
    assert (rows["new_jobs"].points, rows["service_reach"].points) == (Decimal("3.00"), Decimal("5.99"))
    assert rows["new_jobs"].exact == pytest.approx(3.004) and rows["service_reach"].exact == pytest.approx(5.991)
    shown_sum = sum(r.points for r in rows.values())
    assert shown_sum == Decimal(total) - Decimal("0.01")  # what rounding each indicator first would give
    assert result.total == Decimal(total)
    assert result.grade.label == label
    # Subtotals are rounded from the unrounded points too, and every shown figure has 2 decimals.
    for g in result.groups:
        assert g.points == to_two_places(sum(r.unrounded for r in g.rows))
    assert all(r.points == r.points.quantize(Decimal("0.01")) for r in rows.values())
