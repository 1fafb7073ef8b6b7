"""Input of a form posted after the session expired: kept, and given back once to the same user and page."""
from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from ..models import FormStash


def stash_form(user_id: int, path: str, pairs: Iterable[tuple[str, str]]) -> FormStash | None:
    """Keep the posted (name, value) pairs of ``path`` for ``user_id``; None when there is nothing to keep."""
    pairs = list(pairs)
    if not pairs:
        return None
    stash = FormStash(user_id=user_id, path=path, data=json.dumps(pairs, ensure_ascii=False))
    db.session.add(stash)
    db.session.flush()
    return stash


def take_stashed_form(user_id: int, path: str) -> list[tuple[str, str]] | None:
    """The newest input kept for this user and page, removed as it is handed back (used once)."""
    stash = db.session.scalar(select(FormStash).where(FormStash.user_id == user_id, FormStash.path == path)
                              .order_by(FormStash.id.desc()).limit(1))
    if stash is None:
        return None
    pairs = [(str(k), str(v)) for k, v in json.loads(stash.data)]
    db.session.delete(stash)
    db.session.flush()
    return pairs
