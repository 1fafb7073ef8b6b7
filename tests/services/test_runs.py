"""Stored ranking runs: readiness refusals, SQL aggregation against the domain, locks, stale runs, reproduction."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from evalsys.domain.experts import ExpertScore, aggregate_sheets
from evalsys.extensions import db
from evalsys.models import Assignment, Call, RankingRun, Score, ScoreSheet, SheetState, WeightVersion
from evalsys.models.types import utcnow
from evalsys.services import run_compare, run_inputs, run_readiness, runs
from tests.rankutil import build_scored_call


def _call(code: str) -> Call:
    return db.session.scalar(select(Call).where(Call.code == code))


def test_refused_before_the_review_window_closes(app):
    with app.app_context():
        built = build_scored_call(n_apps=4, review_closed=False)
        with pytest.raises(runs.RunRefused) as exc:
            runs.run_ranking(_call(built.code), category="retail", actor=None)
        assert any("评审尚未结束" in p for p in exc.value.problems)
        assert db.session.scalar(select(RankingRun.id)) is None


def test_refused_with_the_list_of_applications_lacking_sheets(app):
    with app.app_context():
        built = build_scored_call(n_apps=6, reviewers=5)
        call = _call(built.code)
        # Two applications lose one submitted sheet each: one back to draft, one voided.
        for app_id, state in ((built.app_ids[1], SheetState.DRAFT), (built.app_ids[4], SheetState.VOIDED)):
            sheet = db.session.scalar(select(ScoreSheet).join(Assignment).where(
                Assignment.application_id == app_id).limit(1))
            sheet.state = state
        db.session.flush()
        assert [m.application_id for m in run_readiness.missing_sheets(call)] == [built.app_ids[1], built.app_ids[4]]
        with pytest.raises(runs.RunRefused) as exc:
            runs.run_call(call, actor=None)
        listed = [p for p in exc.value.problems if "份已提交评分表" in p]
        assert len(listed) == 2 and f"申报编号 {built.app_ids[1]}" in listed[0] and "4 份" in listed[0]


def test_refused_while_a_divergence_flag_waits_for_its_comment(app):
    with app.app_context():
        built = build_scored_call(n_apps=3)
        call = _call(built.code)
        sheet = db.session.scalar(select(ScoreSheet).join(Assignment).where(
            Assignment.application_id == built.app_ids[2]).limit(1))
        sheet.divergence_flagged = True
        db.session.flush()
        with pytest.raises(runs.RunRefused) as exc:
            runs.run_call(call, actor=None)
        assert any("偏离评分" in p for p in exc.value.problems)
        sheet.divergence_comment = "该企业的创新点在现场材料中有充分说明。"
        db.session.flush()
        assert runs.run_call(call, actor=None)


def _domain_aggregates(call, system):
    rows = db.session.execute(
        select(Assignment.application_id, Assignment.reviewer_id, Score.indicator_id, Score.tenths)
        .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id).join(Score, Score.sheet_id == ScoreSheet.id)
        .where(Assignment.call_id == call.id)).all()
    scores = [ExpertScore(reviewer=r, candidate=a, indicator=i, score=t / 10) for a, r, i, t in rows]
    maxima = {i.id: i.max for i in system.scored_indicators if i.type == "E"}
    return aggregate_sheets(scores, maxima)


@pytest.mark.parametrize("reviewers", [3, 5, 7])
def test_sql_and_array_aggregation_match_the_domain_rules(app, reviewers):
    with app.app_context():
        built = build_scored_call(n_apps=15, reviewers=reviewers, pool=9, seed=reviewers)
        call = _call(built.code)
        both = run_inputs.load_inputs(call, adjusted=True)
        sql_raw = run_inputs.load_inputs(call, adjusted=False)
        expected = _domain_aggregates(call, both.system)
        assert len(expected) == 15 * 9
        for (app_id, ind), agg in expected.items():
            assert both.raw[app_id][ind] == sql_raw.raw[app_id][ind]  # the same number either way
            assert both.raw[app_id][ind] == pytest.approx(agg.raw, abs=1e-12)
            assert both.adjusted[app_id][ind] == pytest.approx(agg.adjusted, abs=1e-12)
        # The adjustment changes something: reviewers were built with different leniency.
        assert any(abs(both.raw[a][i] - both.adjusted[a][i]) > 0.01 for a, i in expected)


def test_a_run_per_category_is_an_official_snapshot_that_reproduces(app):
    with app.app_context():
        built = build_scored_call(n_apps=10, reviewers=5)
        call = _call(built.code)
        stored = runs.run_call(call, samples=50, seed=7, actor=None)
        db.session.commit()
        assert [r.category for r in stored] == ["retail", "service"]
        for run in stored:
            assert run.official and not run.stale and run.method == "weighted-total" and not run.adjusted
            assert run.matrix_sha256 == hashlib.sha256(run.matrix_csv.encode()).hexdigest()
            doc = run.results["mcda"]
            ids = [line.split(",")[0] for line in run.matrix_csv.splitlines()[1:]]
            assert sorted(ids) == sorted(r["id"] for r in doc["results"])
            assert all(str(a) in ids for a in built.app_ids if built.app_ids.index(a) % 2 == (run.category == "service"))
            assert doc["sensitivity"]["n"] == 50 and doc["sensitivity"]["places"] == 3
            assert run.results["companion"]["adjusted"] is True
            assert run_compare.reproduce_run(run).exact
        # Rows in submission order: application ids were submitted in id order by the builder.
        first = stored[0].matrix_csv.splitlines()[1:]
        assert [int(line.split(",")[0]) for line in first] == sorted(int(line.split(",")[0]) for line in first)


def test_every_stored_run_reproduces_and_tampering_is_detected(app):
    with app.app_context():
        built = build_scored_call(n_apps=8, reviewers=5)
        call = _call(built.code)
        runs.run_call(call, samples=20, actor=None)
        runs.run_call(call, method="topsis", adjusted=True, samples=20, actor=None)
        runs.run_ranking(call, category="retail", method="vikor", samples=0, actor=None)
        db.session.commit()
        all_runs = db.session.scalars(select(RankingRun)).all()
        assert len(all_runs) == 5
        assert all(run_compare.reproduce_run(r).exact for r in all_runs)
        victim = all_runs[0]
        doc = victim.results
        doc["mcda"]["results"][0]["score"] += 0.01
        victim.results_json = json.dumps(doc)
        assert run_compare.reproduce_run(victim).differences == ["results differ"]
        victim.matrix_csv = victim.matrix_csv.replace(",", ";", 1)
        assert "matrix text does not match its SHA-256" in run_compare.reproduce_run(victim).differences


def test_other_method_or_aggregation_is_only_a_comparison(app):
    with app.app_context():
        built = build_scored_call(n_apps=6)
        call = _call(built.code)
        call.settings_locked_at = None
        official = runs.run_ranking(call, category="retail", actor=None)
        assert call.settings_locked_at is not None  # the first run locks what was not locked yet
        other = runs.run_ranking(call, category="retail", method="topsis", actor=None)
        adjusted = runs.run_ranking(call, category="retail", adjusted=True, actor=None)
        assert official.official and not other.official and not adjusted.official
        assert runs.official_run(call, "retail").id == official.id


def test_reopening_marks_runs_stale(app):
    with app.app_context():
        built = build_scored_call(n_apps=6)
        call = _call(built.code)
        made = runs.run_call(call, actor=None)
        assert runs.mark_call_runs_stale(call, reason="专家评分表重新打开", actor=None) == len(made)
        assert runs.mark_call_runs_stale(call, reason="again", actor=None) == 0
        assert runs.official_run(call, "retail") is None
        assert {r.stale_reason for r in db.session.scalars(select(RankingRun))} == {"专家评分表重新打开"}


def test_derived_weights_are_stored_and_reproduce(app):
    with app.app_context():
        built = build_scored_call(n_apps=9, categories=None, places=4)
        call = _call(built.code)
        version = WeightVersion(criteria_id=call.criteria_id, criteria_version=call.criteria_version, number=1,
                                rule="entropy", reason="熵权法", created_at=utcnow())
        db.session.add(version)
        db.session.flush()
        call.weight_version_id = version.id
        (run,) = runs.run_call(call, actor=None)
        assert run.category == "" and run.weight_rule == "entropy" and run.weight_version_id == version.id
        assert abs(sum(run.weights.values()) - 1) < 1e-12 and len(set(run.weights.values())) > 3
        assert run_compare.reproduce_run(run).exact


def test_compare_runs_reports_moves(app):
    with app.app_context():
        built = build_scored_call(n_apps=12, categories=None, places=4, seed=3)
        call = _call(built.code)
        (a,) = runs.run_call(call, actor=None)
        (b,) = runs.run_call(call, adjusted=True, actor=None)
        moves = run_compare.compare_runs(a, b)
        assert len(moves) == 12
        ra = {r["id"]: r["rank"] for r in a.results["mcda"]["results"]}
        rb = {r["id"]: r["rank"] for r in b.results["mcda"]["results"]}
        assert {m.id: m.delta for m in moves} == {i: ra[i] - rb[i] for i in ra}
        assert [abs(m.delta) for m in moves] == sorted((abs(m.delta) for m in moves), reverse=True)
        # The companion of the raw run is the adjusted ranking.
        assert a.results["companion"]["mcda"]["results"] == [
            {k: v for k, v in r.items() if k != "robustness"} for r in b.results["mcda"]["results"]]


def test_review_window_boundary(app):
    with app.app_context():
        built = build_scored_call(n_apps=3)
        call = _call(built.code)
        call.review_ends_at = utcnow() + timedelta(seconds=30)
        assert run_readiness.review_problems(call)
        assert not run_readiness.review_problems(call, now=call.review_ends_at)
