"""Exports scale linearly: writing 100,000 rows costs about ten times 10,000 rows, never a hundred.

CPU time of this process is measured (not wall time), so a busy machine does not make it flaky;
the rows are narrow to keep the test short, since the quadratic cost was per row, not per cell.
"""
from __future__ import annotations

import time

import pytest

from evalsys.reporting.tabular import csv_chunks, xlsx_bytes

MAX_RATIO = 15


def _rows(n: int):
    for i in range(n):
        # Every 7th text is formula-like, so the text-cell path is timed too.
        yield [i, f"=cmd|{i}" if i % 7 == 0 else f"用户{i % 50}", "2015-06-03T08:00:00+00:00"]


def _cpu(write, n: int) -> float:
    start = time.process_time()
    write(n)
    return time.process_time() - start


@pytest.mark.slow
def test_xlsx_and_csv_writers_are_linear_in_rows():
    def xlsx(n: int) -> None:
        data = xlsx_bytes("审计日志", ["编号", "用户", "时间"], _rows(n))
        assert len(data) > n  # every row was written

    def csv(n: int) -> None:
        assert sum(len(chunk) for chunk in csv_chunks(["编号", "用户", "时间"], _rows(n))) > 30 * n

    for write in (xlsx, csv):
        write(1000)  # warm up imports and caches
        small, large = _cpu(write, 10_000), _cpu(write, 100_000)
        assert large / small <= MAX_RATIO, (write.__name__, small, large)
