"""Deadline reminders, 3 days and 1 day before each deadline that concerns a user (run daily by cron).

Deadlines: a call's closing time (applicants with a draft), its recommendation deadline (authorities
with submitted applications; applicants whose application was returned), the review window
(reviewers with unsubmitted sheets), the self-evaluation deadline (base operators), rectification.
Each reminder is recorded, so a second run on the same day sends nothing new.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, select

from ..domain.marking import N_
from ..domain.notices import render
from ..domain.timeutil import beijing_date, format_beijing, last_day_before, reminder_dates
from ..domain.workflow import ApplicationState
from ..extensions import db
from ..models import (AccountState, Application, Assignment, AssignmentState, Call, ReviewerProfile, Role,
                      ScoreSheet, SheetState, User)
from ..models.evaluation import Evaluation, EvaluationRound, Rectification
from ..models.funds import FirstBatchBase
from ..models.messaging import ReminderSent
from .notify import notify, path_for

DAYS_BEFORE = (3, 1)
_HORIZON = timedelta(days=max(DAYS_BEFORE) + 2)


@dataclass
class Reminder:
    """Users to remind of one deadline today: the notice's template (a catalogue msgid) and its values."""

    key: str
    user_ids: set[int]
    template: str
    params: dict[str, str]
    link: str | None

    @property
    def message(self) -> str:
        """The Chinese text."""
        return render(self.template, self.params)


def _days_left(deadline: datetime, today: date) -> int | None:
    """3 or 1 when today is a reminder day of the deadline, else None."""
    if today not in reminder_dates(deadline, DAYS_BEFORE):
        return None
    return (last_day_before(deadline) - today).days


def _org_users(org_ids: Iterable[int]) -> set[int]:
    ids = set(org_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.organisation_id.in_(ids),
                                                        User.state == AccountState.ACTIVE)))


def _authority_users(codes: Iterable[str]) -> set[int]:
    codes = set(codes)
    if not codes:
        return set()
    return set(db.session.scalars(select(User.id).where(User.role == Role.AUTHORITY, User.authority_code.in_(codes),
                                                        User.state == AccountState.ACTIVE)))


def _when(deadline: datetime) -> str:
    return format_beijing(deadline)


def _call_reminders(now: datetime, today: date) -> Iterator[Reminder]:
    window = and_(Call.closes_at > now, Call.closes_at <= now + _HORIZON)
    for call in db.session.scalars(select(Call).where(window)):
        n = _days_left(call.closes_at, today)
        if n:
            orgs = db.session.scalars(select(Application.organisation_id).where(
                Application.call_id == call.id, Application.state == ApplicationState.DRAFT))
            yield Reminder(f"call:{call.id}:closing:{n}", _org_users(orgs),
                           N_("《%(call)s》将于%(at)s截止申报，您的申报尚未提交。"),
                           {"call": call.title, "at": _when(call.closes_at)}, "/applicant/")
    window = and_(Call.recommend_deadline > now, Call.recommend_deadline <= now + _HORIZON)
    for call in db.session.scalars(select(Call).where(window)):
        n = _days_left(call.recommend_deadline, today)
        if not n:
            continue
        codes = db.session.scalars(select(Application.authority_code).where(
            Application.call_id == call.id, Application.state == ApplicationState.SUBMITTED))
        yield Reminder(f"call:{call.id}:recommend:{n}", _authority_users(codes),
                       N_("《%(call)s》推荐截止时间为%(at)s，本辖区尚有待处理的申报。"),
                       {"call": call.title, "at": _when(call.recommend_deadline)},
                       path_for("authority.applications", call=call.code))
        orgs = db.session.scalars(select(Application.organisation_id).where(
            Application.call_id == call.id, Application.state == ApplicationState.RETURNED))
        yield Reminder(f"call:{call.id}:resubmit:{n}", _org_users(orgs),
                       N_("您退回修改的申报须在%(at)s前重新提交。"), {"at": _when(call.recommend_deadline)},
                       "/applicant/")


def _review_reminders(now: datetime, today: date) -> Iterator[Reminder]:
    window = and_(Call.review_ends_at > now, Call.review_ends_at <= now + _HORIZON)
    for call in db.session.scalars(select(Call).where(window)):
        n = _days_left(call.review_ends_at, today)
        if not n:
            continue
        pending = db.session.scalars(
            select(ReviewerProfile.user_id).join(Assignment, Assignment.reviewer_id == ReviewerProfile.id)
            .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE,
                   (ScoreSheet.id.is_(None)) | (ScoreSheet.state == SheetState.DRAFT)))
        yield Reminder(f"call:{call.id}:review:{n}", {u for u in pending if u},
                       N_("《%(call)s》专家评审将于%(at)s结束，您尚有未提交的评分表。"),
                       {"call": call.title, "at": _when(call.review_ends_at)},
                       "/review/")


def _evaluation_reminders(now: datetime, today: date) -> Iterator[Reminder]:
    window = and_(EvaluationRound.self_deadline > now, EvaluationRound.self_deadline <= now + _HORIZON)
    for rnd in db.session.scalars(select(EvaluationRound).where(window)):
        n = _days_left(rnd.self_deadline, today)
        if n:
            orgs = db.session.scalars(select(FirstBatchBase.organisation_id).join(
                Evaluation, Evaluation.base_id == FirstBatchBase.id).where(
                Evaluation.round_id == rnd.id, Evaluation.state == "draft"))
            yield Reminder(f"round:{rnd.id}:self:{n}", _org_users(orgs),
                           N_("《%(round)s》自评截止时间为%(at)s，请及时提交自评。"),
                           {"round": rnd.title, "at": _when(rnd.self_deadline)}, None)
    window = and_(Rectification.deadline > now, Rectification.deadline <= now + _HORIZON,
                  Rectification.state == "required")
    for rect in db.session.scalars(select(Rectification).where(window)):
        n = _days_left(rect.deadline, today)
        if n:
            org = rect.evaluation.base.organisation_id
            yield Reminder(f"rectification:{rect.id}:{n}", _org_users([org]),
                           N_("整改报告须在%(at)s前提交。"), {"at": _when(rect.deadline)}, None)


def due_reminders(now: datetime) -> list[Reminder]:
    """Every reminder due on the Beijing calendar day of `now`."""
    today = beijing_date(now)
    found: list[Reminder] = []
    for source in (_call_reminders, _review_reminders, _evaluation_reminders):
        found.extend(r for r in source(now, today) if r.user_ids)
    return found


def send_due_reminders(now: datetime) -> int:
    """Notify (and email) every user due a reminder today who has not had it yet; returns the count."""
    sent = 0
    for reminder in due_reminders(now):
        already = set(db.session.scalars(select(ReminderSent.user_id).where(ReminderSent.key == reminder.key)))
        for user_id in sorted(reminder.user_ids - already):
            notify(db.session.get(User, user_id), reminder.template, reminder.params, link=reminder.link,
                   subject="截止时间提醒")
            db.session.add(ReminderSent(user_id=user_id, key=reminder.key, sent_at=now))
            sent += 1
    db.session.flush()
    return sent
