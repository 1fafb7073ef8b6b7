"""Funds of domain.md §8: categories, validation, each compliance flag both ways, figures."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalsys.domain.funds import (
    ALLOWED_CATEGORIES, CATEGORY_LABELS, FORBIDDEN_CATEGORIES, Allocation, ComplianceSettings,
    Expenditure, ExpenditureStatus, Figures, Tranche, category_label, check_expenditure,
    exceeds_received, figures_by_base_year, is_forbidden, spent_by_category, total_figures,
    validate_expenditure, verified_spent_fen,
)
from evalsys.domain.money import rate
from evalsys.domain.timeutil import default_allocation_period

V, P, RJ = ExpenditureStatus.VERIFIED, ExpenditureStatus.PENDING, ExpenditureStatus.REJECTED


def alloc(id: int = 1, base_id: int = 10, year: int = 2013, amount_fen: int = 100_000_00) -> Allocation:
    start, end = default_allocation_period(year)
    return Allocation(id, base_id, year, amount_fen, start, end, "商财函〔2013〕1号", "平台建设")


def exp(id: int = 100, allocation_id: int = 1, **kw: object) -> Expenditure:
    defaults: dict[str, object] = dict(
        date=date(2014, 3, 1), category="PSP", amount_fen=10_000_00, voucher_no=f"JZ-{id}",
        has_voucher_scan=True, project="公共服务平台", payee="某科技公司", status=V,
    )
    defaults.update(kw)
    return Expenditure(id=id, allocation_id=allocation_id, **defaults)  # type: ignore[arg-type]


ALLOCS = {1: alloc(1, base_id=10), 2: alloc(2, base_id=10, year=2014), 3: alloc(3, base_id=20)}
TRANCHES = [Tranche(1, 1, date(2013, 6, 1), 60_000_00), Tranche(2, 1, date(2013, 9, 1), 20_000_00)]


def codes(e: Expenditure, others: list[Expenditure] = [], **settings: object) -> list[str]:
    flags = check_expenditure(e, allocations=ALLOCS, tranches=TRANCHES, expenditures=[e, *others],
                              settings=ComplianceSettings(**settings))  # type: ignore[arg-type]
    assert all(f.message for f in flags)
    return [f.code for f in flags]


def test_categories() -> None:
    assert list(ALLOWED_CATEGORIES) == ["PSP", "TEC", "INC", "TRN", "LOG", "PRO", "STD", "FIN", "EVA", "OTH"]
    assert list(FORBIDDEN_CATEGORIES) == ["X-LND", "X-BLD", "X-STF", "X-WRK", "X-TRF", "X-OWN"]
    assert category_label("X-TRF") == "购买流量" and category_label("INC") == "创业孵化"
    assert all(is_forbidden(c) for c in FORBIDDEN_CATEGORIES)
    assert not any(is_forbidden(c) for c in ALLOWED_CATEGORIES)
    assert len(CATEGORY_LABELS) == 16


def test_clean_entry_has_no_flags() -> None:
    assert codes(exp()) == []


@pytest.mark.parametrize("category", list(FORBIDDEN_CATEGORIES))
def test_forbidden_category_flag(category: str) -> None:
    flags = check_expenditure(exp(category=category), allocations=ALLOCS, tranches=TRANCHES,
                              expenditures=[])
    assert [f.code for f in flags] == ["forbidden_category"]
    assert FORBIDDEN_CATEGORIES[category] in flags[0].message


@pytest.mark.parametrize("category", list(ALLOWED_CATEGORIES))
def test_allowed_category_no_flag(category: str) -> None:
    assert "forbidden_category" not in codes(exp(category=category, explanation="说明"))


def test_over_received_is_a_flag_only_when_configured() -> None:
    earlier = exp(101, amount_fen=70_000_00)  # received is 80,000.00
    this = exp(102, amount_fen=10_000_01, status=P)
    assert "over_received" in codes(this, [earlier], over_received_is_flag=True)
    assert "over_received" not in codes(this, [earlier])  # refusal mode: the service refuses
    exactly = exp(102, amount_fen=10_000_00, status=P)
    assert "over_received" not in codes(exactly, [earlier], over_received_is_flag=True)
    # Pending and rejected entries are not spending; another allocation's tranches do not count.
    assert "over_received" not in codes(this, [replace(earlier, status=P)], over_received_is_flag=True)
    assert "over_received" not in codes(replace(this, status=RJ), [earlier], over_received_is_flag=True)
    other_alloc = exp(103, allocation_id=2, amount_fen=1, status=P)
    assert "over_received" in codes(other_alloc, over_received_is_flag=True)


def test_exceeds_received_rule() -> None:
    assert exceeds_received(1, 80, 80)
    assert not exceeds_received(0, 80, 80)
    assert not exceeds_received(-5, 90, 80)  # a reversal never makes it worse
    assert not exceeds_received(10, 70, 80)


def test_reversal_lowers_verified_spending() -> None:
    original = exp(101, amount_fen=70_000_00)
    reversal = exp(102, amount_fen=-70_000_00, reverses=101, voucher_no="JZ-101")
    assert verified_spent_fen(1, [original, reversal]) == 0
    assert verified_spent_fen(1, [original, replace(reversal, status=P)]) == 70_000_00
    # A reversal carrying its original's voucher number is not a duplicate, either way round.
    assert "duplicate_voucher" not in codes(reversal, [original])
    assert "duplicate_voucher" not in codes(replace(original, voucher_no="JZ-101"), [reversal])


def test_duplicate_voucher_within_a_base() -> None:
    first = exp(101, voucher_no="JZ-2014-001")
    assert "duplicate_voucher" in codes(exp(102, voucher_no="JZ-2014-001"), [first])
    assert "duplicate_voucher" in codes(exp(102, voucher_no=" jz-2014-001 "), [first])
    # Same base through another allocation still counts.
    assert "duplicate_voucher" in codes(exp(102, allocation_id=2, voucher_no="JZ-2014-001"), [first])


def test_duplicate_voucher_negative_cases() -> None:
    first = exp(101, voucher_no="JZ-2014-001")
    assert "duplicate_voucher" not in codes(exp(102, voucher_no="JZ-2014-002"), [first])
    other_base = exp(102, allocation_id=3, voucher_no="JZ-2014-001")
    assert "duplicate_voucher" not in codes(other_base, [first])
    assert "duplicate_voucher" not in codes(exp(102, voucher_no="JZ-2014-001"),
                                            [replace(first, status=RJ)])
    assert "duplicate_voucher" not in codes(first, [first])  # itself is skipped by id


@pytest.mark.parametrize("day,flagged", [
    (date(2012, 12, 31), True), (date(2013, 1, 1), False), (date(2015, 12, 31), False),
    (date(2016, 1, 1), True),
])
def test_date_outside_period(day: date, flagged: bool) -> None:
    assert ("outside_period" in codes(exp(date=day))) is flagged


@pytest.mark.parametrize("amount,threshold,flagged", [
    (50_000_000, 50_000_000, False), (50_000_001, 50_000_000, True), (1_001, 1_000, True),
    (1_000, 1_000, False),
])
def test_large_payment_threshold(amount: int, threshold: int, flagged: bool) -> None:
    assert ("large_payment" in codes(exp(amount_fen=amount), large_payment_fen=threshold)) is flagged


def test_missing_voucher() -> None:
    assert "missing_voucher" in codes(exp(voucher_no=""))
    assert "missing_voucher" in codes(exp(voucher_no="  "))
    assert "missing_voucher" in codes(exp(has_voucher_scan=False))
    assert "missing_voucher" not in codes(exp())
    empty = exp(102, voucher_no="")
    assert "duplicate_voucher" not in codes(empty, [exp(101, voucher_no="")])


def test_validation_errors_are_not_flags() -> None:
    assert validate_expenditure(exp()) == []
    assert [e.field for e in validate_expenditure(exp(category="OTH"))] == ["explanation"]
    assert [e.field for e in validate_expenditure(exp(category="OTH", explanation=" "))] == ["explanation"]
    assert validate_expenditure(exp(category="OTH", explanation="场地租金")) == []
    assert [e.field for e in validate_expenditure(exp(category="XYZ"))] == ["category"]
    assert [e.field for e in validate_expenditure(exp(amount_fen=0))] == ["amount_fen"]
    assert [e.field for e in validate_expenditure(exp(amount_fen=1.5))] == ["amount_fen"]
    assert [e.field for e in validate_expenditure(exp(amount_fen=5, reverses=1))] == ["amount_fen"]
    assert validate_expenditure(exp(amount_fen=-5, reverses=1)) == []
    assert validate_expenditure(exp(category="X-BLD")) == []  # recorded, then flagged
    assert "OTH" not in {f.code for f in check_expenditure(
        exp(category="OTH"), allocations=ALLOCS, tranches=TRANCHES, expenditures=[])}


def test_figures_by_base_year() -> None:
    entries = [
        exp(101, amount_fen=30_000_00), exp(102, amount_fen=5_000_00, status=P),
        exp(103, amount_fen=7_000_00, status=RJ), exp(104, amount_fen=2_000_00, category="TRN"),
        exp(105, amount_fen=-2_000_00, reverses=104, category="TRN"),
        exp(106, allocation_id=2, amount_fen=1_00, date=date(2016, 1, 1)),
    ]
    figs = figures_by_base_year(ALLOCS.values(), TRANCHES, entries)
    assert set(figs) == {(10, 2013), (10, 2014), (20, 2013)}
    f = figs[(10, 2013)]
    assert (f.allocated_fen, f.received_fen, f.spent_fen) == (100_000_00, 80_000_00, 30_000_00)
    assert f.arrival_rate == "0.8000" and f.execution_rate == "0.3750"
    nothing = figs[(10, 2014)]
    assert (nothing.received_fen, nothing.arrival_rate, nothing.execution_rate) == (0, "0.0000", None)
    assert figs[(20, 2013)].spent_fen == 0
    total = total_figures(figs)
    assert total.allocated_fen == 300_000_00 and total.spent_fen == 30_001_00
    assert spent_by_category(ALLOCS.values(), entries) == {
        (10, 2013, "PSP"): 30_000_00, (10, 2013, "TRN"): 0, (10, 2014, "PSP"): 1_00}


def test_figures_rates_none_when_nothing_allocated() -> None:
    assert Figures(0, 0, 0).arrival_rate is None and Figures(0, 0, 0).execution_rate is None


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a shared, loaded machine
@given(st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.integers(1, 10**9),
                          st.sampled_from(list(ExpenditureStatus))), max_size=30),
       st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.integers(1, 10**9)), max_size=10))
def test_figures_add_up(rows: list[tuple[int, int, ExpenditureStatus]],
                        tranche_rows: list[tuple[int, int]]) -> None:
    entries = [exp(i, allocation_id=a, amount_fen=amt, status=s) for i, (a, amt, s) in enumerate(rows)]
    tranches = [Tranche(i, a, date(2014, 1, 1), amt) for i, (a, amt) in enumerate(tranche_rows)]
    figs = figures_by_base_year(ALLOCS.values(), tranches, entries)
    total = total_figures(figs)
    assert total.spent_fen == sum(amt for _, amt, s in rows if s == V)
    assert total.received_fen == sum(amt for _, amt in tranche_rows)
    assert total.execution_rate == rate(total.spent_fen, total.received_fen)
    by_cat = spent_by_category(ALLOCS.values(), entries)
    assert sum(by_cat.values()) == total.spent_fen
