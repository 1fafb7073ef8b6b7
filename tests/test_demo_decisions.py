"""Demo decisions: the enterprise call announced after its 15-day publicity, a dismissed objection,
authorities' results, typical cases (one published with a clean image); loading again adds nothing."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from evalsys.domain.timeutil import BEIJING
from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import (Application, CallAnnouncement, CaseState, Objection, PublicityEntry, TypicalCase,
                            TypicalCaseImage)


@pytest.fixture
def demo_app(app):
    """What the decisions loader builds on (as demo/review.py leaves it): the scored enterprise call with
    an official run per category, the admin, an applicant account per organisation and the authorities."""
    from evalsys.demo.decisions import load_decisions_demo
    from evalsys.models import Call, Role
    from evalsys.services import runs
    from tests.factories import make_user
    from tests.rankutil import build_scored_call

    with app.app_context():
        built = build_scored_call(n_apps=14, places=3, code="enterprise-2015-2016")
        call = db.session.get(Call, built.call_id)
        call.publicity_days = 15
        admin = make_user(Role.ADMIN, username="admin", commit=False)
        runs.run_call(call, samples=0, actor=admin)
        apps = db.session.scalars(select(Application).where(Application.call_id == call.id)).all()
        for a in apps:
            make_user(Role.APPLICANT, organisation=a.organisation, commit=False)
        for code in {a.authority_code for a in apps}:
            make_user(Role.AUTHORITY, authority_code=code, commit=False)
        counts = load_decisions_demo()
        db.session.commit()
        assert counts == {"proposed": 6, "cases": 2}
    return app


def test_enterprise_call_was_publicised_15_days_and_announced(demo_app):
    from evalsys.services import decisions as dec
    from evalsys.services.runs import official_run

    with demo_app.app_context():
        from evalsys.models import Call
        call = db.session.scalar(select(Call).where(Call.code == "enterprise-2015-2016"))
        assert db.session.get(CallAnnouncement, call.id) is not None
        states = Counter(db.session.scalars(select(Application.state).where(Application.call_id == call.id)))
        assert states[S.APPROVED] > 0 and states[S.SCORED] == 0 and states[S.IN_PUBLICITY] == 0
        for category in call.category_codes:
            run = official_run(call, category)
            if run is None:
                continue
            top = [int(r["id"]) for r in run.results["mcda"]["results"]][:run.places]
            assert {db.session.get(Application, i).state for i in top} == {S.APPROVED}
        entries = db.session.scalars(select(PublicityEntry).where(PublicityEntry.call_id == call.id)).all()
        assert entries and {(e.opened_at.astimezone(BEIJING).date().isoformat(), e.days) for e in entries} == {
            ("2015-06-03", 15)}
        assert {r[3] for r in dec.publicity_rows(call)} == {"2015-06-03 至 2015-06-17"}
        (objection,) = db.session.scalars(select(Objection)).all()
        assert objection.state.value == "dismissed" and objection.resolution


def test_typical_cases_one_published_with_a_clean_image(demo_app):
    with demo_app.app_context():
        states = Counter(db.session.scalars(select(TypicalCase.state)))
        assert states[CaseState.PUBLISHED] == 1 and states[CaseState.SUBMITTED] == 1
        published = db.session.scalar(select(TypicalCase).where(TypicalCase.state == CaseState.PUBLISHED))
        assert db.session.scalar(select(func.count(TypicalCaseImage.id)).where(
            TypicalCaseImage.case_id == published.id)) == 1
    client = demo_app.test_client()
    assert published.title in client.get("/public/cases").get_data(as_text=True)


def test_loading_again_adds_nothing(demo_app):
    from evalsys.demo.decisions import load_decisions_demo

    with demo_app.app_context():
        before = (db.session.scalar(select(func.count(TypicalCase.id))),
                  db.session.scalar(select(func.count(PublicityEntry.id))))
        assert load_decisions_demo() == {"proposed": 0, "cases": 0}
        after = (db.session.scalar(select(func.count(TypicalCase.id))),
                 db.session.scalar(select(func.count(PublicityEntry.id))))
        db.session.rollback()
    assert before == after
