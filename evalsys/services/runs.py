"""Stored ranking runs of a call: run, reproduce, mark stale."""
from __future__ import annotations

from sqlalchemy import update

from ..extensions import db
from ..models import Call, RankingRun, User
from . import audit


def mark_call_runs_stale(call: Call, *, reason: str, actor: User | None) -> int:
    """Mark every not-yet-stale stored run of ``call`` stale (a score sheet was reopened).

    Returns how many runs were marked. Stale runs stay stored and reproducible, but can no
    longer back a proposal. Flushes and audits; the caller commits.
    """
    result = db.session.execute(
        update(RankingRun)
        .where(RankingRun.call_id == call.id, RankingRun.stale.is_(False))
        .values(stale=True, stale_reason=reason)
        .execution_options(synchronize_session="fetch"))
    count = int(result.rowcount or 0)
    if count:
        audit.record("ranking.runs_stale", obj=call, actor=actor,
                     detail={"runs": count, "reason": reason})
    return count
