"""The demo's calendar: the moments of the 2015 story, and the clock the loader replays them under.

Every historical step of the loader runs inside `demo_clock(moment)`: the application clock
(domain/timeutil.clock_at) reads that moment, so the services' own stamps — audit records,
timelines, notifications, issued reports and their serials' dates — carry it, exactly as if the
step had been taken then. Rows are flushed before the block ends, so column defaults (evaluated at
flush) get the same moment. `demo_clock(None)` is the real clock (the open call `demo-open`).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from ..domain.timeutil import clock_at, parse_beijing
from ..extensions import db


def bj(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    """A Beijing wall-clock moment, as aware UTC."""
    return parse_beijing(datetime(y, m, d, h, mi))


# The system goes live after the notice (3 April 2015 is its date; the calls open 20 March on the
# ministry's earlier announcement): accounts, organisations and the first batch's funds history.
LAUNCH = bj(2015, 3, 16)
CALLS_CREATED = bj(2015, 3, 18, 10)
PROFILES_CREATED = bj(2015, 4, 10)
ROUND_CREATED = bj(2015, 9, 1, 10)
SELF_EVALUATION = bj(2015, 10, 12, 10)      # the bases self-evaluate from here on (deadline 31 October)
AUTHORITY_EVALUATION = bj(2015, 11, 9, 10)  # the authorities evaluate from here on (deadline 30 November)
ACCEPTANCE = bj(2015, 12, 3, 10)            # the ministry accepts from here on
ISSUE = bj(2015, 12, 15, 10)                # and issues the reports
SUMMARY = bj(2016, 4, 15, 10)               # the national summary, once the 差 bases' cases are settled
CASES = bj(2015, 9, 14, 10)                 # typical cases of the announced enterprises


@contextmanager
def demo_clock(at: datetime | None) -> Iterator[datetime | None]:
    """Run a block of the loader at `at` (None: the real clock); flush what it wrote before leaving."""
    with clock_at(at) as moment:
        yield moment
        db.session.flush()


def spaced(start: datetime, k: int, *, days: float = 1.0, hours: float = 0.0) -> datetime:
    """The k-th of a series of moments `days` (+ `hours`) apart, from `start`."""
    return start + k * timedelta(days=days, hours=hours)
