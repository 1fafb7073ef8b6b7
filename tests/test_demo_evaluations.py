"""The demo round perf-2015: at least 8 accepted evaluations over all four grades, others at earlier
states, the use of results for 差 (one revoked with a recovery entry), issued reports intact, idempotent."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from evalsys.demo.evaluations import ROUND_CODE, TITLE, load_evaluations_demo
from evalsys.domain.evaluation import EvaluationState as S, RectificationState
from evalsys.extensions import db
from evalsys.models import Evaluation, EvaluationRound, FundRecovery, IssuedReport
from evalsys.services.evaluation_reports import read_signed
from tests.conftest import make_test_config


@pytest.fixture(scope="module")
def demo_app(template_db, tmp_path_factory):
    from evalsys import create_app
    from evalsys.demo import load_demo

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("demo-eval") / "instance")))
    with app.app_context():
        load_demo()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    template_db.drop(url)


def _evaluations() -> list[Evaluation]:
    round_ = db.session.scalar(select(EvaluationRound).where(EvaluationRound.code == ROUND_CODE))
    assert round_ is not None and round_.title == TITLE
    return list(round_.evaluations)


def test_accepted_over_all_four_grades_and_others_earlier(demo_app):
    with demo_app.app_context():
        evs = _evaluations()
        decided = [e for e in evs if e.state in (S.ACCEPTED, S.ISSUED)]
        assert len(decided) >= 8
        assert set(Counter(e.grade_label for e in decided)) == {"优", "良", "中", "差"}
        for e in decided:
            assert e.total is not None and e.grade_label is not None
        earlier = {e.state for e in evs} - {S.ACCEPTED, S.ISSUED}
        assert {S.DRAFT, S.SELF_EVALUATED, S.EVALUATED} <= earlier
        assert all(e.total is None for e in evs if e.state in (S.DRAFT, S.SELF_EVALUATED))


def test_poor_grades_are_rectified_and_one_title_revoked_with_recovery(demo_app):
    with demo_app.app_context():
        poor = [e for e in _evaluations() if e.grade_label == "差"]
        assert poor and all(e.rectification is not None for e in poor)
        revoked = [e for e in poor if e.rectification.state == RectificationState.REVOKED]
        assert len(revoked) == 1
        recovery = db.session.get(FundRecovery, revoked[0].rectification.recovery_id)
        assert recovery.base_id == revoked[0].base_id and recovery.amount_fen > 0
        assert all(e.rectification is None for e in _evaluations() if e.grade_label in ("优", "良", "中"))


def test_issued_reports_are_intact_and_a_second_load_changes_nothing(demo_app):
    with demo_app.app_context():
        reports = db.session.scalars(select(IssuedReport)).all()
        assert len(reports) >= 2
        for r in reports:
            assert read_signed(r) is not None and r.evaluation.state == S.ISSUED
        before = db.session.scalar(select(func.count()).select_from(Evaluation))
        assert load_evaluations_demo() == 0
        assert db.session.scalar(select(func.count()).select_from(Evaluation)) == before
