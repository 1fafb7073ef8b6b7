"""Beijing time ↔ UTC, deadlines, publicity periods, allocation periods and reminders."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalsys.domain.timeutil import (
    BEIJING, beijing_date, default_allocation_period, ensure_aware, format_beijing,
    is_before_deadline, last_day_before, parse_beijing, publicity_end, publicity_last_day,
    reminder_dates, to_beijing,
)


@pytest.mark.parametrize("text", ["2015-06-03 09:00", "2015-06-03T09:00", " 2015-06-03 09:00:00 "])
def test_parse_beijing_form_input(text: str) -> None:
    assert parse_beijing(text) == datetime(2015, 6, 3, 1, 0, tzinfo=UTC)


def test_parse_beijing_crosses_the_date_line() -> None:
    assert parse_beijing("2015-06-03 07:59") == datetime(2015, 6, 2, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "2015/06/03 09:00", "2015-06-31 09:00", "tomorrow", "2015-06-03"])
def test_parse_beijing_refuses_with_chinese_message(text: str) -> None:
    with pytest.raises(ValueError, match="北京时间"):
        parse_beijing(text)


def test_parse_beijing_datetime_objects() -> None:
    assert parse_beijing(datetime(2015, 6, 3, 9, 0)) == datetime(2015, 6, 3, 1, 0, tzinfo=UTC)
    aware = datetime(2015, 6, 3, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_beijing(aware) == datetime(2015, 6, 3, 14, 0, tzinfo=UTC)


def test_format_beijing() -> None:
    assert format_beijing(datetime(2015, 6, 17, 16, 0, tzinfo=UTC)) == "2015-06-18 00:00"
    assert format_beijing(None) == ""
    assert to_beijing(datetime(2015, 6, 17, 16, 0, tzinfo=UTC)).utcoffset() == timedelta(hours=8)


@given(st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2090, 1, 1)))
def test_round_trip_display(dt: datetime) -> None:
    moment = dt.replace(second=0, microsecond=0, tzinfo=UTC)
    assert parse_beijing(format_beijing(moment)) == moment


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        ensure_aware(datetime(2015, 6, 3))
    with pytest.raises(TypeError):
        ensure_aware(date(2015, 6, 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_beijing(datetime(2015, 6, 3))


def test_deadline_is_exclusive() -> None:
    deadline = parse_beijing("2015-04-30 17:00")
    assert is_before_deadline(deadline - timedelta(microseconds=1), deadline)
    assert not is_before_deadline(deadline, deadline)
    assert not is_before_deadline(deadline + timedelta(minutes=1), deadline)


@pytest.mark.parametrize("opening", ["2015-06-03 00:00", "2015-06-03 09:30", "2015-06-03 23:59"])
def test_publicity_2015_enterprises_is_3_to_17_june(opening: str) -> None:
    start = parse_beijing(opening)
    end = publicity_end(start, 15)
    assert end == datetime(2015, 6, 17, 16, 0, tzinfo=UTC)
    assert format_beijing(end) == "2015-06-18 00:00"
    assert publicity_last_day(start, 15) == date(2015, 6, 17)
    # Counting calendar days with the opening day as day 1 gives back N.
    assert (publicity_last_day(start, 15) - beijing_date(start)).days + 1 == 15


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2080, 1, 1)),
       st.integers(min_value=1, max_value=60))
def test_publicity_end_properties(opening: datetime, days: int) -> None:
    start = opening.replace(tzinfo=UTC)
    end = publicity_end(start, days)
    local_end = to_beijing(end)
    assert (local_end.hour, local_end.minute, local_end.second) == (0, 0, 0)
    assert (local_end.date() - beijing_date(start)).days == days
    assert end > start


@pytest.mark.parametrize("days", [0, -1, True])
def test_publicity_days_must_be_positive(days: int) -> None:
    with pytest.raises(ValueError):
        publicity_end(parse_beijing("2015-06-03 09:00"), days)


def test_default_allocation_period() -> None:
    assert default_allocation_period(2013) == (date(2013, 1, 1), date(2015, 12, 31))
    assert default_allocation_period(2015) == (date(2015, 1, 1), date(2017, 12, 31))


def test_reminders_count_back_from_the_last_day() -> None:
    midnight = parse_beijing("2015-06-18 00:00")
    assert last_day_before(midnight) == date(2015, 6, 17)
    assert reminder_dates(midnight) == [date(2015, 6, 14), date(2015, 6, 16)]
    afternoon = parse_beijing("2015-04-30 17:00")
    assert reminder_dates(afternoon) == [date(2015, 4, 27), date(2015, 4, 29)]
    assert reminder_dates(afternoon, (7,)) == [date(2015, 4, 23)]


def test_zone_is_shanghai() -> None:
    assert str(BEIJING) == "Asia/Shanghai"


def test_clock_at_replays_a_moment_nests_and_restores() -> None:
    from evalsys.domain.timeutil import clock_at, utc_now

    then = parse_beijing("2015-06-03 09:00")
    later = parse_beijing("2016-03-01 10:00")
    with clock_at(then) as moment:
        assert moment == then and then <= utc_now() < then + timedelta(seconds=5)
        first = utc_now()
        assert utc_now() >= first  # it advances with the real time, so records keep their order
        with clock_at(later):
            assert later <= utc_now() < later + timedelta(seconds=5)
            with clock_at(None):  # the real clock inside a replayed block
                assert abs(utc_now() - datetime.now(UTC)) < timedelta(seconds=5)
        assert then <= utc_now() < then + timedelta(seconds=5)
    assert abs(utc_now() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(RuntimeError), clock_at(then):
        raise RuntimeError("boom")
    assert abs(utc_now() - datetime.now(UTC)) < timedelta(seconds=5)  # restored after an error too
    with pytest.raises(ValueError):
        with clock_at(datetime(2015, 6, 3, 9, 0)):  # naive: refused like everywhere else
            pass

