"""Deadline reminders 3 days and 1 day before, at Beijing calendar days, sent once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import Application, CallKind, Notification, Role
from evalsys.models.messaging import ReminderSent
from evalsys.services.calls import CallData, create_call
from evalsys.services.reminders import send_due_reminders
from tests.factories import make_org, make_user

# Closing 2026-12-10 10:00 Beijing = 02:00 UTC: the last day is 10 December, reminders on the 7th and 9th.
CLOSING = datetime(2026, 12, 10, 2, 0, tzinfo=timezone.utc)


def _beijing(y, m, d, h=9):
    return datetime(y, m, d, h, tzinfo=timezone(timedelta(hours=8)))


def _setup(app):
    with app.app_context():
        call = create_call(CallData(
            code="rem-call", kind=CallKind.ENTERPRISE, title="提醒测试批次", year_from=2026, year_to=2027,
            opens_at=CLOSING - timedelta(days=30), closes_at=CLOSING, recommend_deadline=CLOSING + timedelta(days=10),
            review_starts_at=None, review_ends_at=None, criteria_id="enterprise-2015-2016", criteria_version=1,
            quota_per_authority=3, places_total=5), actor=None)
        drafting, done = make_org(), make_org()
        a = make_user(Role.APPLICANT, organisation=drafting, username="rem-draft", commit=False)
        b = make_user(Role.APPLICANT, organisation=done, username="rem-done", commit=False)
        db.session.add_all([
            Application(call_id=call.id, organisation_id=drafting.id, authority_code=drafting.authority_code),
            Application(call_id=call.id, organisation_id=done.id, authority_code=done.authority_code,
                        state=ApplicationState.SUBMITTED),
        ])
        db.session.commit()
        return a.id, b.id


def _run(app, when) -> int:
    with time_machine.travel(when, tick=False), app.app_context():
        from evalsys.models.types import utcnow

        n = send_due_reminders(utcnow())
        db.session.commit()
        return n


def test_closing_reminders_on_the_right_days_once(app):
    drafting_user, done_user = _setup(app)
    assert _run(app, _beijing(2026, 12, 6)) == 0  # four days before: nothing
    assert _run(app, _beijing(2026, 12, 7)) == 1  # three days before the last day
    assert _run(app, _beijing(2026, 12, 7, 18)) == 0  # same day again: already sent
    assert _run(app, _beijing(2026, 12, 8)) == 0
    assert _run(app, _beijing(2026, 12, 9)) == 1  # one day before
    assert _run(app, _beijing(2026, 12, 10)) == 0
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(Notification.user_id == drafting_user)).all()
        assert len(notes) == 2 and all("截止申报" in n.message for n in notes)
        assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == done_user)) == 0
        keys = sorted(db.session.scalars(select(ReminderSent.key)))
        assert keys[0].endswith(":closing:1") and keys[1].endswith(":closing:3")


def test_beijing_day_boundary(app):
    """23:59 Beijing on 6 December is still the 6th (nothing); 00:00 on the 7th is the reminder day."""
    _setup(app)
    assert _run(app, datetime(2026, 12, 6, 15, 59, tzinfo=timezone.utc)) == 0
    assert _run(app, datetime(2026, 12, 6, 16, 0, tzinfo=timezone.utc)) == 1


def test_cli_command(app, runner):
    _setup(app)
    with time_machine.travel(_beijing(2026, 12, 9), tick=False):
        result = runner.invoke(args=["reminders"])
    assert result.exit_code == 0 and "1 sent" in result.output


def test_review_window_reminds_reviewers_with_unsubmitted_sheets(app):
    from evalsys.models import Assignment, ReviewerProfile, ScoreSheet, SheetState

    review_end = datetime(2026, 12, 20, 16, 0, tzinfo=timezone.utc)  # 21 Dec 00:00 Beijing: last day the 20th
    with app.app_context():
        call = create_call(CallData(
            code="rem-review", kind=CallKind.ENTERPRISE, title="评审提醒批次", year_from=2026, year_to=2027,
            opens_at=review_end - timedelta(days=60), closes_at=review_end - timedelta(days=40),
            recommend_deadline=review_end - timedelta(days=30), review_starts_at=review_end - timedelta(days=20),
            review_ends_at=review_end, criteria_id="enterprise-2015-2016", criteria_version=1,
            quota_per_authority=3, places_total=5), actor=None)
        org = make_org()
        app_row = Application(call_id=call.id, organisation_id=org.id, authority_code=org.authority_code,
                              state=ApplicationState.UNDER_REVIEW)
        db.session.add(app_row)
        users = [make_user(Role.REVIEWER, username=f"rem-rev{i}", commit=False) for i in range(2)]
        profiles = [ReviewerProfile(user_id=u.id, name=u.display_name, home_authority_code="110000") for u in users]
        db.session.add_all(profiles)
        db.session.flush()
        assignments = [Assignment(call_id=call.id, application_id=app_row.id, reviewer_id=p.id) for p in profiles]
        db.session.add_all(assignments)
        db.session.flush()
        db.session.add(ScoreSheet(assignment_id=assignments[1].id, state=SheetState.SUBMITTED))
        db.session.commit()
        pending_user = users[0].id
    assert _run(app, _beijing(2026, 12, 17)) == 1
    with app.app_context():
        note = db.session.scalar(select(Notification))
        assert note.user_id == pending_user and "评分表" in note.message
