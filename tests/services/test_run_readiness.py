"""The one definition of what a ranking run waits for (domain.md §5), pinned.

- missing sheets: every application a run ranks (all states after the formal check, not only
  "under review" and "scored") needs as many counted sheets as the call requires;
- pending divergence comments: a flag is answered only by a comment that is not blank once trimmed.
Closing the review window, the progress board and the run itself all read these rules.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import Application, Assignment, Call, RankingRun, ScoreSheet, SheetState
from evalsys.services import review_progress, run_readiness, runs
from tests.rankutil import build_scored_call


def _call(code: str) -> Call:
    return db.session.scalar(select(Call).where(Call.code == code))


def _sheets(app_id: int) -> list[ScoreSheet]:
    return list(db.session.scalars(select(ScoreSheet).join(Assignment).where(Assignment.application_id == app_id)
                                   .order_by(ScoreSheet.id)))


def test_missing_sheets_covers_every_state_a_run_ranks(app):
    with app.app_context():
        built = build_scored_call(n_apps=5, reviewers=5, categories=None)
        call = _call(built.code)
        ids = built.app_ids
        # One sheet short on each of five applications in different states.
        states = {ids[0]: S.PASSED, ids[1]: S.SCORED, ids[2]: S.PROPOSED, ids[3]: S.IN_PUBLICITY, ids[4]: S.FAILED}
        for app_id, state in states.items():
            db.session.get(Application, app_id).state = state
            _sheets(app_id)[0].state = SheetState.DRAFT
        db.session.flush()
        missing = run_readiness.missing_sheets(call)
        # FAILED never reaches the review: not ranked, not listed; every other state is.
        assert [(m.application_id, m.submitted, m.required) for m in missing] == [
            (ids[0], 4, 5), (ids[1], 4, 5), (ids[2], 4, 5), (ids[3], 4, 5)]
        problems = run_readiness.review_problems(call)
        assert sum("仅有 4 份已提交评分表，需 5 份" in p for p in problems) == 4
        with pytest.raises(runs.RunRefused) as exc:
            runs.run_call(call, samples=0, actor=None)
        assert f"申报编号 {ids[2]}" in str(exc.value)
        assert db.session.scalar(select(RankingRun.id).where(RankingRun.call_id == call.id)) is None


@pytest.mark.parametrize("comment, pending", [(None, True), ("", True), ("   \n\t ", True), ("　", True),
                                              (" 依据现场材料 ", False)])
def test_a_divergence_flag_waits_for_a_comment_that_is_not_blank_once_trimmed(app, comment, pending):
    with app.app_context():
        built = build_scored_call(n_apps=2, reviewers=5, categories=None)
        call = _call(built.code)
        first, second = _sheets(built.app_ids[1])[:2]
        for sheet in (first, second):
            sheet.divergence_flagged, sheet.divergence_comment = True, comment
        db.session.flush()
        listed = run_readiness.pending_divergence_comments(call)
        assert [p.sheet_id for p in listed] == ([first.id, second.id] if pending else [])
        assert review_progress.totals(call).flagged_pending == len(listed)
        lines = [p for p in run_readiness.review_problems(call) if "偏离评分尚待专家说明" in p]
        # One line per application, however many of its sheets wait.
        assert lines == ([f"{listed[0].organisation}（申报编号 {built.app_ids[1]}）有偏离评分尚待专家说明"]
                         if pending else [])
