"""Eligibility gates at their boundaries: the years-open figure compares calendar dates exactly
(one day short fails, 29 February counts to 28 February) and the enterprise gates of the criteria file."""
from __future__ import annotations

from datetime import date

import pytest

from evalsys.domain import figures as fig
from evalsys.domain.scoring import check_gates
from evalsys.domain.criteria import find_system
from tests.domain.conftest import CRITERIA_DIR


@pytest.mark.parametrize(("opened", "reference", "years"), [
    ("2013-03-10", "2015-03-10", "2.00"),   # the second anniversary is the reference date
    ("2013-03-10", "2015-03-09", "1.99"),   # one day short: never rounded up to 2
    ("2013-03-11", "2015-03-10", "1.99"),
    ("2012-02-29", "2014-02-28", "2.00"),   # 29 February: the anniversary is 28 February
    ("2012-02-29", "2014-02-27", "1.99"),
    ("2012-02-29", "2016-02-28", "3.99"),   # a leap year again: the fourth anniversary is the 29th
    ("2012-02-29", "2016-02-29", "4.00"),
    ("2013-02-28", "2015-02-28", "2.00"),
    ("2014-01-01", "2014-12-31", "0.99"),
    ("2014-01-01", "2015-01-01", "1.00"),
    ("2015-05-01", "2015-03-10", "0.00"),   # opened after the reference date
])
def test_years_between_counts_whole_calendar_years_and_truncates(opened, reference, years):
    assert fig.years_between(opened, date.fromisoformat(reference)) == years


def test_add_years_keeps_the_day_or_falls_back_to_28_february():
    assert fig.add_years(date(2012, 2, 29), 2) == date(2014, 2, 28)
    assert fig.add_years(date(2012, 2, 29), 4) == date(2016, 2, 29)
    assert fig.add_years(date(2013, 3, 10), 2) == date(2015, 3, 10)


@pytest.fixture(scope="module")
def enterprise_system():
    return find_system("enterprise-2015-2016", 1, CRITERIA_DIR)


@pytest.mark.parametrize(("opened", "passes"), [("2013-03-10", True), ("2013-03-11", False),
                                                ("2012-02-29", True)])
def test_the_two_year_gate_of_the_enterprise_system(enterprise_system, opened, passes):
    reference = date(2015, 3, 10)
    values = fig.matrix_values(enterprise_system, {"shop_opened_on": opened,
                                                   "shop_years": fig.years_between(opened, reference)})
    assert ("gate_shop_years" not in check_gates(enterprise_system, values)) is passes
