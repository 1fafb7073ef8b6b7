"""The 37 authorities as reference data: seeded by the first migration and never changed by the application,
yet named by many pages (filters, lists, choices). Read once per engine (one per app and database)."""
from __future__ import annotations

import weakref
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Authority


@dataclass(frozen=True)
class AuthorityRow:
    """One authority: code, short name and full name."""

    code: str
    name: str
    full_name: str


_read: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine → rows; gone with its engine


def authority_rows() -> tuple[AuthorityRow, ...]:
    """Every authority, by code (an empty table, before the migrations, is not remembered)."""
    key = db.engine
    rows = _read.get(key)
    if rows is None:
        rows = tuple(AuthorityRow(*r) for r in db.session.execute(
            select(Authority.code, Authority.name, Authority.full_name).order_by(Authority.code)))
        if rows:
            _read[key] = rows
    return rows


def authority_names() -> dict[str, str]:
    """Every authority's short name by code."""
    return {a.code: a.name for a in authority_rows()}


def full_name_of(code: str | None) -> str:
    """An authority's full name ("" for no authority)."""
    return next((a.full_name for a in authority_rows() if a.code == code), "")
