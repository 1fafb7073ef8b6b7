"""Calls: create and edit a call with its timetable, indicator system, quota, places and review settings."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..domain.workflow import CallTimes, validate_call_times
from ..extensions import db
from ..models import Authority, Call, CallKind, QuotaCounter, User
from . import audit
from .criteria import system as criteria_system
from ..domain.errors import DomainError, Message, N_


class CallError(DomainError, ValueError):
    """A refused call definition; `messages` are Chinese."""

    def __init__(self, messages: list[str]):
        super().__init__(messages[0] if messages else "", messages[1:])  # lines() == messages
        self.messages = list(messages)


@dataclass
class CallData:
    """What the call form (or the demo loader) provides; times are aware UTC datetimes."""

    code: str
    kind: CallKind
    title: str
    year_from: int
    year_to: int
    opens_at: datetime
    closes_at: datetime
    recommend_deadline: datetime
    review_starts_at: datetime | None
    review_ends_at: datetime | None
    criteria_id: str
    criteria_version: int
    quota_per_authority: int
    places_total: int | None = None
    places_by_category: dict[str, int] | None = None
    reviewers_per_application: int = 5
    blind: bool = False
    publicity_days: int = 7
    categories: list[str] = field(default_factory=list)


_NOT_A_CODE = re.compile(r"[\x00-\x1f\x7f]")


def find_call(code: str | None) -> Call | None:
    """The call with this code, or None; text that cannot be a code (empty, over-long, control characters —
    a NUL byte is a database error on PostgreSQL) is not looked up."""
    if not code or len(code) > 40 or _NOT_A_CODE.search(code):
        return None
    return db.session.scalar(select(Call).where(Call.code == code))


def _problems(data: CallData, *, existing: Call | None) -> list[str]:
    problems = validate_call_times(CallTimes(data.opens_at, data.closes_at, data.recommend_deadline,
                                             data.review_starts_at, data.review_ends_at))
    if data.year_from > data.year_to:
        problems.append(N_("起始年度不能晚于截止年度"))
    if data.reviewers_per_application < 5:
        problems.append(N_("每份申报的评审专家不少于5人"))
    if data.quota_per_authority < 1:
        problems.append(N_("推荐名额至少为1"))
    if data.publicity_days < 1:
        problems.append(N_("公示天数至少为1天"))
    try:
        system = criteria_system(data.criteria_id, data.criteria_version)
    except Exception:  # noqa: BLE001 - any load problem means the version cannot be used
        problems.append(Message(N_("指标体系 %(criteria_id)s v%(criteria_version)s 不存在或无效"),
                                criteria_id=data.criteria_id, criteria_version=data.criteria_version))
        return problems
    if system.kind != data.kind.value:
        problems.append(N_("指标体系与申报类别不一致"))
    known = {c.code for c in system.categories}
    unknown = [c for c in data.categories if c not in known]
    if unknown:
        problems.append(Message(N_("指标体系中没有这些类别：%(items)s"), items='、'.join(unknown)))
    if data.places_by_category:
        if set(data.places_by_category) != set(data.categories):
            problems.append(N_("分类别名额须覆盖且只覆盖本批次的类别"))
        if any(v < 1 for v in data.places_by_category.values()):
            problems.append(N_("每个类别的名额至少为1"))
    elif not data.places_total or data.places_total < 1:
        problems.append(N_("请填写拟入选总名额（或分类别名额）"))
    clash = db.session.scalar(select(Call.id).where(Call.code == data.code))
    if clash is not None and (existing is None or clash != existing.id):
        problems.append(N_("批次代码已存在"))
    return problems


def _apply(call: Call, data: CallData) -> None:
    for name in ("code", "kind", "title", "year_from", "year_to", "opens_at", "closes_at", "recommend_deadline",
                 "review_starts_at", "review_ends_at", "criteria_id", "criteria_version", "quota_per_authority",
                 "reviewers_per_application", "blind", "publicity_days"):
        setattr(call, name, getattr(data, name))
    call.places_total = None if data.places_by_category else data.places_total
    call.places_by_category = json.dumps(data.places_by_category, ensure_ascii=False) if data.places_by_category \
        else None
    call.categories = json.dumps(data.categories, ensure_ascii=False)


def create_call(data: CallData, *, actor: User | None) -> Call:
    """Create a call and its quota guard rows (one per authority)."""
    problems = _problems(data, existing=None)
    if problems:
        raise CallError(problems)
    call = Call()
    _apply(call, data)
    db.session.add(call)
    db.session.flush()
    for code in db.session.scalars(select(Authority.code)):
        db.session.add(QuotaCounter(call_id=call.id, authority_code=code, used=0))
    audit.record("call_created", obj=call, actor=actor, detail={"code": call.code})
    return call


def update_call(call: Call, data: CallData, *, actor: User, expected_version: int) -> None:
    """Edit a call; a stale form (another admin saved meanwhile) is refused."""
    if expected_version != call.version_id:
        raise StaleDataError("stale call form")
    problems = _problems(data, existing=call)
    if problems:
        raise CallError(problems)
    _apply(call, data)
    audit.record("call_updated", obj=call, actor=actor, detail={"code": call.code})
