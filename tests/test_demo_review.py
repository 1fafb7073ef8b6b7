"""Demo review: the enterprise call completely scored by the twelve demo reviewers and ranked (an
official stored run per category that reproduces), the base call mid-review; loading again adds nothing."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import (Assignment, AssignmentState, Call, RankingRun, ReviewerProfile, Score, ScoreSheet,
                            SheetState, User)
from evalsys.services import run_compare, run_inputs, run_readiness, runs
from evalsys.services.review_sheets import expert_indicators
from evalsys.services.criteria import system_of
from tests.conftest import make_test_config


@pytest.fixture(scope="module")
def demo_app(template_db, tmp_path_factory):
    """One database with the demo loaded once (loading is the slow part), shared by this module."""
    from evalsys import create_app
    from evalsys.demo import load_demo

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("demo-review") / "instance")))
    with app.app_context():
        load_demo()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    template_db.drop(url)


def _call(code: str) -> Call:
    return db.session.scalar(select(Call).where(Call.code == code))


def _sheets(call: Call):
    return db.session.execute(
        select(Assignment.application_id, Assignment.reviewer_id, ScoreSheet.id, ScoreSheet.state)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE)).all()


def test_enterprise_call_is_completely_scored_by_the_twelve_reviewers(demo_app):
    with demo_app.app_context():
        call = _call("enterprise-2015-2016")
        rows = _sheets(call)
        assert rows and all(state == SheetState.SUBMITTED for _, _, _, state in rows)
        per_app = Counter(a for a, _, _, _ in rows)
        assert set(per_app.values()) == {call.reviewers_per_application}
        usernames = set(db.session.scalars(
            select(User.username).join(ReviewerProfile, ReviewerProfile.user_id == User.id)
            .where(ReviewerProfile.id.in_({r for _, r, _, _ in rows}))))
        assert usernames == {f"reviewer{i:02d}" for i in range(1, 13)}
        loads = Counter(r for _, r, _, _ in rows)
        assert max(loads.values()) - min(loads.values()) <= 1
        n_e = len(expert_indicators(system_of(call)))
        scored = db.session.scalar(select(func.count()).select_from(Score).where(
            Score.sheet_id.in_([s for _, _, s, _ in rows])))
        assert scored == len(rows) * n_e
        assert run_readiness.review_problems(call) == []


def test_enterprise_call_has_an_official_run_per_category_that_reproduces(demo_app):
    with demo_app.app_context():
        call = _call("enterprise-2015-2016")
        inputs = run_inputs.load_inputs(call, adjusted=False)
        cohorts = [c for c in call.category_codes if inputs.ids(c)]
        assert len(cohorts) >= 2
        for c in cohorts:
            run = runs.official_run(call, c)
            assert run is not None and run.method == call.official_method
            assert run.samples == runs.DEFAULT_SAMPLES
            assert run.created_at.year == 2015 and run.robustness is not None
            assert sorted(int(r["id"]) for r in run.results["mcda"]["results"]) == sorted(
                int(i) for i in inputs.ids(c))
            assert run_compare.reproduce_run(run).exact


def test_base_call_is_mid_review(demo_app):
    with demo_app.app_context():
        call = _call("base-2015-b2")
        states = Counter(state for _, _, _, state in _sheets(call))
        assert states[SheetState.SUBMITTED] and states[SheetState.DRAFT] and states[None]
        problems = run_readiness.review_problems(call)
        assert any("仅有" in p for p in problems)
        assert db.session.scalar(select(RankingRun.id).where(RankingRun.call_id == call.id)) is None


def test_loading_the_review_demo_again_adds_nothing(demo_app):
    from evalsys.demo.review import load_review_demo

    with demo_app.app_context():
        before = [db.session.scalar(select(func.count()).select_from(m))
                  for m in (ReviewerProfile, Assignment, ScoreSheet, Score, RankingRun)]
        counts = load_review_demo()
        db.session.commit()
        after = [db.session.scalar(select(func.count()).select_from(m))
                 for m in (ReviewerProfile, Assignment, ScoreSheet, Score, RankingRun)]
    assert counts["assignments_created"] == 0 and counts["runs_created"] == 0
    assert before == after
