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
