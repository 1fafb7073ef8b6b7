"""Optimistic locking of edits made from a page: the form carries the version the page showed."""
from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError


def check_version(obj: object, expected: int | None) -> None:
    """Refuse an edit made from a page showing an older version (the 409 "stale" page); None skips the check."""
    if expected is not None and getattr(obj, "version_id") != expected:
        raise StaleDataError(f"{type(obj).__name__} version {expected} is stale")
