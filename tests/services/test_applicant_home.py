"""The applicant's home: the calls offered are those open now that the organisation has not applied to."""
from __future__ import annotations

from datetime import timedelta

from evalsys.extensions import db
from evalsys.models.types import utcnow
from evalsys.services.applicant_home_query import applicant_home
from tests.factories import make_application, make_call, make_org, make_user


def test_open_calls_not_yet_applied_to_in_closing_order(app):
    with app.app_context():
        now = utcnow()
        org, other = make_org(), make_org()
        user = make_user(organisation=org)
        later = make_call(closes_at=now + timedelta(days=9))
        sooner = make_call(closes_at=now + timedelta(days=2))
        applied = make_call()
        make_call(opens_at=now + timedelta(days=30), closes_at=now + timedelta(days=40),
                  recommend_deadline=now + timedelta(days=45))  # not open yet
        make_call(opens_at=now - timedelta(days=9), closes_at=now - timedelta(seconds=1),
                  recommend_deadline=now + timedelta(days=3))  # closed
        make_application(applied, org)
        make_application(later, other)  # another organisation's application hides nothing
        db.session.commit()
        assert [c.code for c in applicant_home(user, now).calls] == [sooner.code, later.code]
        closing = sooner.closes_at
        assert [c.code for c in applicant_home(user, closing).calls] == [later.code]  # closing is exclusive


def test_unread_notifications_and_accounts_to_approve_for_the_main_account_only(app):
    from sqlalchemy import event

    from evalsys.models import AccountState, Notification, Role

    with app.app_context():
        org, other = make_org(), make_org()
        main = make_user(organisation=org)
        member = make_user(organisation=org, is_org_main=False)
        waiting = [make_user(Role.APPLICANT, organisation=org, is_org_main=False, state=AccountState.PENDING)
                   for _ in range(2)]
        make_user(Role.APPLICANT, organisation=other, is_org_main=False, state=AccountState.PENDING)
        now = utcnow()
        db.session.add_all([Notification(user_id=main.id, message="甲"), Notification(user_id=main.id, message="乙"),
                            Notification(user_id=main.id, message="丙", read_at=now),
                            Notification(user_id=member.id, message="丁")])
        db.session.commit()
        assert main.is_org_main and not member.is_org_main  # (loads both accounts again after the commit)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            home = applicant_home(main, now)
            queries_with_pending = len([s for s in statements if s.startswith("SELECT")])  # not SQLite's BEGIN
            statements.clear()
            of_member = applicant_home(member, now)
            queries_without = len([s for s in statements if s.startswith("SELECT")])
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert (home.unread, sorted(u.id for u in home.pending)) == (2, sorted(u.id for u in waiting))
        assert (of_member.unread, of_member.pending) == (1, [])  # a further account approves nobody
        assert (queries_with_pending, queries_without) == (3, 2)  # the accounts are read only when some wait
