"""The unit convention end to end on literals: a plan target typed in people's units is stored as an
integer, scored through the indicator table and printed as the same number in the same unit."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalsys.domain.criteria import find_system
from evalsys.domain.evaluation import score
from evalsys.domain.figures import FigureError, parse_input
from evalsys.domain.units import (PLAN_SCALE, format_matrix, format_plan, parse_plan, parse_printed, plan_entry,
                                  plan_to_stored, unit_label)

SYSTEM = find_system("perf-base-b1", 1)
PLAN = {f.id: f for f in SYSTEM.fields if f.source == "plan"}
# Indicator id → (actual field, target field) for every Q indicator of the system.
Q = {i.id: (i.field, i.rule.target_field) for i in SYSTEM.scored_indicators if i.type != "E"}

PLACES = {"money": 2, "ratio": 2, "integer": 0, "decimal": 4}


def _entered(kind: str):
    """Numbers a person types for a plan field of `kind`, as Decimal in that field's unit."""
    places = PLACES[kind]
    top = {"money": 10**11, "ratio": 10**4, "integer": 10**9, "decimal": 10**5}[kind]
    return st.integers(min_value=1, max_value=top * 10**places).map(lambda n: Decimal(n).scaleb(-places))


@pytest.mark.parametrize("field_id, typed, stored, printed", [
    ("plan_leverage", "3.1", 31_000, "3.1 元/元"),
    ("plan_leverage", "3.1 元/元", 31_000, "3.1 元/元"),
    ("plan_leverage", "0.0125", 125, "0.0125 元/元"),
    ("plan_arrival_rate", "100", 10_000, "100.00%"),
    ("plan_satisfaction", "90%", 9_000, "90.00%"),
    ("plan_budget", "12,345,678.9", 1_234_567_890, "12,345,678.90 元"),
    ("plan_new_jobs", "1500", 1_500, "1,500 人"),
    ("plan_tasks", "12", 12, "12 项"),
])
def test_examples_of_each_unit(field_id, typed, stored, printed):
    f = PLAN[field_id]
    assert parse_plan(f, typed) == stored
    assert format_plan(f, stored) == printed
    assert parse_plan(f, plan_entry(f, stored)) == stored


def test_units_people_write():
    assert {unit_label(f) for f in PLAN.values()} == {"%", "元", "元/元", "人", "项", "人次"}


@pytest.mark.parametrize("field_id, typed", [("plan_leverage", "3.12345"), ("plan_arrival_rate", "95.555"),
                                             ("plan_new_jobs", "1.5"), ("plan_budget", "1.234"),
                                             ("plan_leverage", "abc"), ("plan_leverage", "-1"),
                                             ("plan_satisfaction", "101")])
def test_refused_entries(field_id, typed):
    with pytest.raises(FigureError):
        parse_plan(PLAN[field_id], typed)


def test_leverage_is_scored_in_yuan_per_yuan_not_ten_thousandths():
    """3.1 元/元 target, social investment 3.1 × received: full points (it was 0.0001 of them)."""
    targets = {"plan_leverage": parse_plan(PLAN["plan_leverage"], "3.1")}
    values = {"funds_received": 1_000_000_00, "social_investment": 3_100_000_00}
    row = next(r for g in score(SYSTEM, values, targets, {}).groups for r in g.rows if r.indicator.id == "leverage")
    assert row.target == pytest.approx(3.1) and row.actual == pytest.approx(3.1)
    assert row.points == Decimal("3.00")
    assert format_matrix(PLAN["plan_leverage"], row.target) == "3.1 元/元"
    assert parse_printed(PLAN["plan_leverage"], format_matrix(PLAN["plan_leverage"], row.target)) == Decimal("3.1")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(Q)), st.data())
def test_entered_stored_scored_printed_is_the_same_number(indicator_id, data):
    """Entered → stored (int) → scored (the indicator table's target) → printed → read back: equal."""
    _actual_field, target_field = Q[indicator_id]
    f = PLAN[target_field]
    entered = data.draw(_entered(f.kind))
    if f.max is not None and f.kind == "ratio":
        entered = min(entered, Decimal(str(f.max)) * 100)
    stored = parse_plan(f, f"{entered:f}")
    assert isinstance(stored, int)
    assert Decimal(stored) == entered * {"ratio": 100}.get(f.kind, PLAN_SCALE[f.kind])
    result = score(SYSTEM, {}, {target_field: stored}, {})
    row = next(r for g in result.groups for r in g.rows if r.indicator.id == indicator_id)
    for printed in (format_matrix(f, row.target), format_plan(f, stored)):
        assert printed.endswith(unit_label(f))
        assert parse_printed(f, printed) == entered
    # The stored value is also what the evaluation pages read as a figure of the same kind.
    assert Decimal(str(parse_input(f, plan_entry(f, stored)))) == Decimal(str(plan_to_stored(f, stored)))
