"""Recommendation quotas per authority: the call's quota is the default, the ministry may set an
authority's own figure (a large province, a separately-listed city). The figure lives on the
authority's guard row, so the recommendation guard reads it in the same conditional UPDATE."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from ..domain.errors import DomainError, Message, N_
from ..extensions import db
from ..models import Authority, Call, QuotaCounter, User
from . import audit


class QuotaError(DomainError, ValueError):
    """Refused quota figures; `by_code` maps an authority code to its Chinese message."""

    status = 422

    def __init__(self, by_code: dict[str, str]) -> None:
        super().__init__(N_("推荐名额未保存"), list(by_code.values()))
        self.by_code = by_code
        self.errors = by_code  # shown beside each authority's row

    def __str__(self) -> str:
        return "；".join(self.lines())


@dataclass(frozen=True)
class QuotaRow:
    """One line of the call's quota table."""

    code: str
    name: str
    quota: int       # the figure in force
    own: bool        # True when the authority has its own figure (not the call's default)
    used: int


def quota_limit(call: Call) -> ColumnElement[int]:
    """SQL expression of the figure in force on a guard row: its own, else the call's default."""
    return func.coalesce(QuotaCounter.quota, call.quota_per_authority)


def in_force(call: Call, own: int | None) -> int:
    """The figure in force, given the authority's own figure as read from its guard row (None: none set)."""
    return call.quota_per_authority if own is None else own


def authority_quota(call: Call, authority_code: str) -> int:
    """The most applications this authority may recommend in the call."""
    own = db.session.scalar(select(QuotaCounter.quota).where(QuotaCounter.call_id == call.id,
                                                             QuotaCounter.authority_code == authority_code))
    return in_force(call, own)


def quota_table(call: Call) -> list[QuotaRow]:
    """Every authority (37 rows, in code order) with the figure in force and its use."""
    rows = db.session.execute(
        select(Authority.code, Authority.name, QuotaCounter.quota, QuotaCounter.used)
        .outerjoin(QuotaCounter, (QuotaCounter.authority_code == Authority.code) & (QuotaCounter.call_id == call.id))
        .order_by(Authority.code)).all()
    return [QuotaRow(code, name, in_force(call, own), own is not None, used or 0)
            for code, name, own, used in rows]


def set_authority_quotas(call: Call, figures: Mapping[str, int | None], *, actor: User) -> dict[str, list]:
    """Set the authorities' figures ({code: quota}); a figure equal to the call's default, or None,
    follows the default. Refused as a whole when a figure is negative or below what the authority
    has already recommended. Returns the changes {code: [old, new]} (audited)."""
    counters = {c.authority_code: c for c in db.session.scalars(
        select(QuotaCounter).where(QuotaCounter.call_id == call.id).with_for_update())}
    problems: dict[str, str] = {}
    changes: dict[str, list] = {}
    names = dict(db.session.execute(select(Authority.code, Authority.name)).all())
    for code, value in sorted(figures.items()):
        counter = counters.get(code)
        if counter is None:
            problems[code] = Message(N_("推荐单位 %(code)s 不存在"), code=code)
            continue
        if value is not None and value < 0:
            problems[code] = Message(N_("%(name)s：名额不能为负数"), name=names.get(code, code))
            continue
        own = None if value is None or value == call.quota_per_authority else value
        effective = in_force(call, own)
        if effective < counter.used:
            problems[code] = Message(N_("%(name)s：名额 %(effective)s 个少于已推荐的 %(used)s 个"),
                                     name=names.get(code, code), effective=effective, used=counter.used)
            continue
        if own != counter.quota:
            changes[code] = [counter.quota, own]
            counter.quota = own
    if problems:
        raise QuotaError(problems)
    if changes:
        db.session.flush()
        audit.record("call_quotas_set", obj=call, actor=actor,
                     detail={"default": call.quota_per_authority, "changes": changes})
    return changes
