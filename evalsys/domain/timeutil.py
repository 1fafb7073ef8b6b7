"""Beijing time for people, UTC for storage: parsing, display, deadlines, publicity and fund periods."""
from __future__ import annotations

import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo
from .errors import N_

BEIJING = ZoneInfo("Asia/Shanghai")

# Forms send either "2015-06-03 09:00" or the HTML datetime-local form "2015-06-03T09:00";
# seconds are optional in both.
_INPUT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
DISPLAY_FORMAT = "%Y-%m-%d %H:%M"


# A replayed clock (start instant, monotonic reading when it was set), or None for the real clock.
_CLOCK: ContextVar[tuple[datetime, float] | None] = ContextVar("evalsys_clock", default=None)


def utc_now() -> datetime:
    """The current instant as an aware UTC datetime (the only kind the domain compares).

    Inside `clock_at(...)` it is the replayed instant, advancing with the real elapsed time (so
    records written one after another keep their order)."""
    replay = _CLOCK.get()
    if replay is None:
        return datetime.now(UTC)
    start, mono = replay
    return start + timedelta(seconds=_time.monotonic() - mono)


@contextmanager
def clock_at(at: datetime | None) -> Iterator[datetime | None]:
    """Run a block as if it were `at` (aware): every `utc_now()` in it, and so every stamp the
    services and models write (audit records, timelines, issued reports), reads that moment.
    `None` is the real clock (inside an outer replayed block).

    Used to replay history (the demo's 2015 story) through the ordinary code; the previous clock is
    back when the block ends, also on an error. Blocks nest; they are per thread and task."""
    start = None if at is None else ensure_aware(at)
    token = _CLOCK.set(None if start is None else (start, _time.monotonic()))
    try:
        yield start
    finally:
        _CLOCK.reset(token)


def ensure_aware(dt: datetime) -> datetime:
    """Return `dt` converted to UTC; a naive datetime is a programming error, not Beijing time."""
    if not isinstance(dt, datetime):
        raise TypeError(f"expected datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        # Guessing the zone of a naive value is how off-by-8-hours bugs start.
        raise ValueError("naive datetime: attach a time zone (stored values are UTC)")
    return dt.astimezone(UTC)


def parse_beijing(value: str | datetime) -> datetime:
    """Parse a Beijing wall-clock time typed into a form; return it as an aware UTC datetime.

    A naive `datetime` is read as Beijing wall-clock time too (that is what a form field yields);
    an aware one is only converted. Raises ValueError with a Chinese message on bad input.
    """
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=BEIJING)
        return local.astimezone(UTC)
    if not isinstance(value, str):
        raise TypeError(f"expected str or datetime, got {type(value).__name__}")
    text = value.strip()
    for fmt in _INPUT_FORMATS:
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=BEIJING).astimezone(UTC)
    raise ValueError(N_("时间格式应为“年-月-日 时:分”（北京时间），例如 2015-06-03 09:00"))


def to_beijing(dt: datetime) -> datetime:
    """Convert an aware datetime to Beijing time."""
    return ensure_aware(dt).astimezone(BEIJING)


def format_beijing(dt: datetime | None, fmt: str = DISPLAY_FORMAT) -> str:
    """Format a stored UTC instant for display in Beijing time ("" for None)."""
    if dt is None:
        return ""
    return to_beijing(dt).strftime(fmt)


def beijing_date(dt: datetime) -> date:
    """The Beijing calendar date of an instant."""
    return to_beijing(dt).date()


def beijing_midnight(day: date) -> datetime:
    """00:00 Beijing time at the start of `day`, as aware UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=BEIJING).astimezone(UTC)


def is_before_deadline(now: datetime, deadline: datetime) -> bool:
    """An action is allowed while now < its deadline: at the deadline minute itself it is closed."""
    return ensure_aware(now) < ensure_aware(deadline)


def publicity_end(opening: datetime, days: int) -> datetime:
    """End of a publicity period of `days` calendar days, the opening day counting as day 1.

    The period ends at 24:00 Beijing time of its last day, i.e. 00:00 of the next day, whatever
    the hour of opening: 2015-06-03 (any time) with 15 days ends 2015-06-18 00:00 Beijing.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(N_("公示天数必须是正整数"))
    first_day = beijing_date(opening)
    return beijing_midnight(first_day + timedelta(days=days))


def publicity_last_day(opening: datetime, days: int) -> date:
    """The last calendar day of a publicity period (Beijing), as printed in a notice."""
    return beijing_date(publicity_end(opening, days)) - timedelta(days=1)


def default_allocation_period(year: int) -> tuple[date, date]:
    """Default period of a fund allocation: 1 January of its year to 31 December two years later."""
    return date(year, 1, 1), date(year + 2, 12, 31)


def last_day_before(deadline: datetime) -> date:
    """The last Beijing calendar day on which an action with this deadline is still possible.

    A deadline at 2015-06-18 00:00 Beijing leaves 17 June as the last day; one at 17:00 on the
    18th leaves the 18th.
    """
    return beijing_date(ensure_aware(deadline) - timedelta(microseconds=1))


def reminder_dates(deadline: datetime, days_before: tuple[int, ...] = (3, 1)) -> list[date]:
    """Beijing dates on which to remind people of a deadline, counted back from its last day."""
    last = last_day_before(deadline)
    return sorted({last - timedelta(days=n) for n in days_before})
