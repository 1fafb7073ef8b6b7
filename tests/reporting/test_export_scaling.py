"""Exports scale linearly: writing 100,000 rows costs about ten times 10,000 rows, never a hundred.

CPU time of this process is measured (not wall time), so a busy machine does not make it flaky;
the rows are narrow to keep the test short, since the quadratic cost was per row, not per cell.
"""
from __future__ import annotations

import gc
import time

import pytest

from evalsys.reporting.tabular import csv_chunks, xlsx_bytes

MAX_RATIO = 15


def _rows(n: int):
    for i in range(n):
        # Every 7th text is formula-like, so the text-cell path is timed too.
        yield [i, f"=cmd|{i}" if i % 7 == 0 else f"用户{i % 50}", "2015-06-03T08:00:00+00:00"]


def _cpu(write, n: int, tries: int = 3) -> float:
    """The writer's CPU time for n rows: the best of a few runs, each after a collection (a single run of a
    few tens of milliseconds on a shared machine measures its neighbours and the collector as much as it)."""
    best = float("inf")
    for _ in range(tries):
        gc.collect()
        gc.disable()  # a full collection walks the whole test process's heap: its cost is not the writer's
        try:
            start = time.process_time()
            write(n)
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


@pytest.mark.slow
def test_xlsx_and_csv_writers_are_linear_in_rows():
    def xlsx(n: int) -> None:
        data = xlsx_bytes("审计日志", ["编号", "用户", "时间"], _rows(n))
        assert len(data) > n  # every row was written

    def csv(n: int) -> None:
        assert sum(len(chunk) for chunk in csv_chunks(["编号", "用户", "时间"], _rows(n))) > 30 * n

    for write in (xlsx, csv):
        write(1000)  # warm up imports and caches
        small, large = _cpu(write, 10_000, tries=5), _cpu(write, 100_000, tries=1)  # the short run is the noisy one
        assert large / small <= MAX_RATIO, (write.__name__, small, large)


def test_rates_and_long_decimals_keep_their_value_and_show_their_rounding():
    """A percentage column shows 0.9 as 90.00%; a Decimal with more than two decimals (an average of
    expert scores) keeps its exact value and shows at most six decimals, never 15 digits."""
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    from evalsys.reporting.xlsx import DECIMAL_FORMAT, PERCENT_FORMAT, SheetSpec, workbook_bytes

    data = workbook_bytes([SheetSpec("t", ["rate", "mean", "score"],
                                     [[Decimal("0.9000"), Decimal("2.233333333333333"), Decimal("4.5")]],
                                     percent={1})])
    ws = load_workbook(io.BytesIO(data)).active
    rate, mean, score = ws[2]
    assert rate.value == 0.9 and rate.number_format == PERCENT_FORMAT
    assert mean.value == 2.233333333333333 and mean.number_format == DECIMAL_FORMAT
    assert score.value == 4.5 and score.number_format == "General"


def test_the_application_starts_without_matplotlib():
    """Charts import matplotlib when the first one is drawn: a worker that only serves pages and exports
    does not carry it (about 40 MB of the process's memory)."""
    import subprocess
    import sys

    code = ("import sys; from evalsys import create_app; "
            "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x' * 32, 'AUDIT_HMAC_KEY': 'x'}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
