"""Column types shared by the models: UTC datetimes that come back timezone-aware on every database."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from ..domain.timeutil import utc_now


def utcnow() -> datetime:
    """The current time as an aware UTC datetime: the application clock (domain.timeutil.utc_now),
    so tests can freeze it and `clock_at` can replay a historical moment."""
    return utc_now()


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone and PostgreSQL must agree with it."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
