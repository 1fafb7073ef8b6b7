"""Evaluation services: workflow, prefill, corrections, issuing, batch crash safety, rectification."""
from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from evalsys.domain.evaluation import EvaluationState, RectificationState
from evalsys.extensions import db
from evalsys.models import (BatchItem, Evaluation, FundRecovery, IssuedReport, JobState, ReportStatus, Role)
from evalsys.reporting.signing import validate_signed
from evalsys.services import evaluation_batch as batch
from evalsys.services import evaluations as svc
from evalsys.services import evaluation_review as ev_review
from evalsys.services import self_evaluation as self_ev
from evalsys.services import rectifications as rect
from evalsys.services.evaluation_reports import (issue_report, read_signed, report_path, rerender_unsigned)
from tests.evalutil import advance, inputs_at, make_perf_base, make_round, signing_config, stored_texts, NARRATIVES
from tests.factories import make_user


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    app_config["BATCH_LOCK_LEASE_SECONDS"] = 30
    return app_config


def _people(base):
    operator = make_user(Role.APPLICANT, organisation=base.operator, commit=False)
    authority = make_user(Role.AUTHORITY, authority_code=base.authority_code, commit=False)
    admin = make_user(Role.ADMIN, commit=False)
    return operator, authority, admin


def test_prefill_comes_from_the_fund_records_and_excludes_forbidden_categories(app):
    with app.app_context():
        base = make_perf_base(forbidden_fen=1_000_000_00)
        prefill = svc.fund_prefill(base, 2015)
        assert prefill.as_fields() == {"funds_allocated": 10_000_000_00, "funds_received": 10_000_000_00,
                                       "funds_spent": 9_000_000_00, "funds_spent_compliant": 8_000_000_00}
        assert svc.fund_prefill(base, 2012) is None  # allocations after the round's year do not count
        ev = make_round([base]).evaluations[0]
        values = self_ev.figure_form_values(ev, svc.system_of(ev.round))
        assert values["funds_spent_compliant"] == "8000000.00" and values["tasks_completed"] == ""


def test_workflow_to_accepted_with_total_and_grade(app):
    with app.app_context():
        base = make_perf_base()
        operator, authority, admin = _people(base)
        ev = make_round([base]).evaluations[0]
        with pytest.raises(svc.EvaluationError, match="尚未填写"):
            self_ev.submit_self_evaluation(ev, actor=operator)
        advance(ev, fraction="0.895", to="accepted", operator=operator, authority=authority, admin=admin)
        assert ev.state == EvaluationState.ACCEPTED
        assert ev.total == str(svc.current_score(ev).total) and ev.grade_label == "良"
        assert [e.action for e in ev.events] == ["submit_self", "submit_evaluation", "accept"]
        with pytest.raises(svc.EvaluationError):
            self_ev.save_self_evaluation(ev, self_ev.SelfEvaluationInput({}, {}), actor=operator)


def test_corrections_need_a_reason_and_keep_the_original(app):
    with app.app_context():
        base = make_perf_base()
        operator, authority, admin = _people(base)
        ev = advance(make_round([base]).evaluations[0], fraction="1", to="self_evaluated",
                     operator=operator, authority=authority, admin=admin)
        empty = dict(points={}, comments={}, reasons={})
        with pytest.raises(svc.EvaluationError) as info:
            ev_review.save_authority_evaluation(ev, ev_review.AuthorityInput(figures={"new_jobs": "1000"}, **empty),
                                                actor=authority)
        assert "reason-new_jobs" in info.value.errors
        ev_review.save_authority_evaluation(ev, ev_review.AuthorityInput(
            figures={"new_jobs": "1000"}, points={}, comments={}, reasons={"new_jobs": "与社保记录不符"}), actor=authority)
        ev_review.save_authority_evaluation(ev, ev_review.AuthorityInput(
            figures={"new_jobs": "900"}, points={}, comments={}, reasons={"new_jobs": "再次核对"}), actor=authority)
        row = svc.values_of(ev)["new_jobs"]
        assert (row.value, row.original, row.corrected, row.correction_reason) == ("900", "2000", True, "再次核对")
        new_jobs = next(r for g in svc.current_score(ev).groups for r in g.rows if r.indicator.id == "new_jobs")
        assert new_jobs.points == Decimal("1.80")  # 4 × 900 / 2000


def test_stale_version_is_refused(app):
    with app.app_context():
        base = make_perf_base()
        operator, _, _ = _people(base)
        ev = make_round([base]).evaluations[0]
        old = ev.version_id
        self_ev.save_self_evaluation(ev, self_ev.SelfEvaluationInput({}, NARRATIVES), actor=operator,
                                     expected_version=old)
        with pytest.raises(StaleDataError):
            self_ev.save_self_evaluation(ev, self_ev.SelfEvaluationInput({}, {}), actor=operator, expected_version=old)


def test_issue_sign_rerender_and_reissue(app):
    with app.app_context():
        base = make_perf_base()
        operator, authority, admin = _people(base)
        ev = advance(make_round([base]).evaluations[0], fraction="0.95", to="accepted",
                     operator=operator, authority=authority, admin=admin)
        report = issue_report(ev, actor=admin)
        db.session.commit()
        data = report_path(report).read_bytes()
        assert hashlib.sha256(data).hexdigest() == report.signed_sha256 == hashlib.sha256(read_signed(report)).hexdigest()
        assert hashlib.sha256(rerender_unsigned(report)).hexdigest() == report.unsigned_sha256
        assert data.startswith(rerender_unsigned(report))
        cert = Path(app.config["SIGNING_CERT_PATH"]).read_bytes()
        assert validate_signed(data, cert).valid
        assert ev.state == EvaluationState.ISSUED
        with pytest.raises(svc.EvaluationError):
            issue_report(ev, actor=admin)  # an issued report is never issued twice
        with pytest.raises(svc.EvaluationError, match="理由"):
            issue_report(ev, actor=admin, reissue=True)
        second = issue_report(ev, actor=admin, reissue=True, reason="更正错别字")
        db.session.commit()
        db.session.refresh(report)
        assert report.status == ReportStatus.SUPERSEDED and second.supersedes_id == report.id
        assert second.serial != report.serial and second.sequence == report.sequence + 1
        assert report.serial.startswith("PERF-T-0001-") and len(report.serial.split("-")[-1]) == 10
        report_path(report).write_bytes(data[:-10] + b"tampered!!")
        assert read_signed(report) is None


def _accepted_round(n: int, code: str = "perf-b"):
    bases = [make_perf_base() for _ in range(n)]
    round_ = make_round(bases, code=code)
    for base, ev in zip(bases, round_.evaluations):
        operator, authority, admin = _people(base)
        advance(ev, fraction="0.9", to="accepted", operator=operator, authority=authority, admin=admin)
    db.session.commit()
    return round_


def _consistent(round_id: int) -> list[IssuedReport]:
    """Every report row points at an existing file with its recorded hash."""
    reports = db.session.scalars(select(IssuedReport).where(IssuedReport.round_id == round_id)).all()
    for r in reports:
        assert read_signed(r) is not None, r.serial
    return reports


def test_a_crashed_batch_leaves_consistent_records_and_the_rerun_completes_exactly_once(app):
    with app.app_context():
        round_ = _accepted_round(5)
        job = batch.create_job(round_, actor=None, backend="cli")
        db.session.commit()
        with pytest.raises(RuntimeError, match="simulated crash"):
            batch.run_job(job.id, owner="test-a", fail_after=2)
        db.session.rollback()
        assert len(_consistent(round_.id)) == 2
        # A file written before its row was committed (the kill between rename and commit):
        orphan = Path(app.config["ISSUED_DIR"]) / round_.code / "PERF-B-0003-ORPHAN2345.pdf"
        orphan.write_bytes(b"%PDF-orphan")
        job = db.session.get(BatchJob := type(job), job.id)
        assert job.state == JobState.RUNNING and batch.is_interrupted(job)
        assert batch.create_job(round_, actor=None, backend="cli").id == job.id  # resume, not a second job
        db.session.commit()
        batch.run_job(job.id, owner="test-b")
        assert not orphan.exists()
        reports = _consistent(round_.id)
        assert len(reports) == 5
        per_evaluation = db.session.execute(select(IssuedReport.evaluation_id, func.count()).group_by(
            IssuedReport.evaluation_id)).all()
        assert all(n == 1 for _, n in per_evaluation) and len(per_evaluation) == 5
        job = db.session.get(BatchJob, job.id)
        assert job.state == JobState.DONE and job.done == 5
        assert batch.create_job(round_, actor=None, backend="cli") is None  # nothing left to issue


def test_one_lock_per_round(app):
    with app.app_context():
        round_ = _accepted_round(1, code="perf-l")
        rid = round_.id
        db.session.commit()  # the lease moves on its own connection: no transaction of ours may be open
        assert batch.acquire_lock(rid, "ui-job")
        assert not batch.acquire_lock(rid, "cli")
        job = batch.create_job(db.session.get(type(round_), rid), actor=None, backend="cli")
        job_id = job.id
        db.session.commit()
        with pytest.raises(batch.LockBusy):
            batch.run_job(job_id, owner="cli")
        assert db.session.scalar(select(func.count()).select_from(IssuedReport)) == 0
        db.session.commit()
        batch.release_lock(rid, "ui-job")
        assert batch.acquire_lock(rid, "cli")
        batch.release_lock(rid, "cli")


def test_rectification_path_to_revocation_and_recovery(app):
    with app.app_context():
        base = make_perf_base()
        operator, authority, admin = _people(base)
        ev = advance(make_round([base]).evaluations[0], fraction="0.5", to="accepted",
                     operator=operator, authority=authority, admin=admin)
        assert ev.grade_label == "差"
        item = rect.require_rectification(ev, requirement="限期整改", actor=admin)
        assert (item.deadline - item.required_at).days in (89, 90, 91, 92)
        with pytest.raises(svc.EvaluationError):
            rect.require_rectification(ev, requirement="再次", actor=admin)
        with pytest.raises(svc.EvaluationError):
            rect.revoke_title(item, amount_fen=100, reason="x", document_no="", actor=admin)  # not failed yet
        with pytest.raises(svc.EvaluationError):
            rect.recheck_rectification(item, passed=False, result="未报", actor=authority)  # before the deadline
        rect.submit_rectification_report(item, report="整改报告", actor=operator)
        rect.recheck_rectification(item, passed=False, result="整改不合格", actor=authority)
        recovery = rect.revoke_title(item, amount_fen=1_000_000_00, reason="撤销称号并收回资金",
                                     document_no="商电函〔2016〕1号", actor=admin)
        db.session.commit()
        assert item.state == RectificationState.REVOKED and item.recovery_id == recovery.id
        stored = db.session.scalars(select(FundRecovery).where(FundRecovery.base_id == base.id)).all()
        assert [(r.amount_fen, r.source) for r in stored] == [(1_000_000_00, f"evaluation:{ev.id}")]
        assert base.id in rect.revoked_base_ids()


def test_only_poor_grades_are_rectified(app):
    with app.app_context():
        base = make_perf_base()
        operator, authority, admin = _people(base)
        ev = advance(make_round([base]).evaluations[0], fraction="0.7", to="accepted",
                     operator=operator, authority=authority, admin=admin)
        assert ev.grade_label == "中"
        with pytest.raises(svc.EvaluationError):
            rect.require_rectification(ev, requirement="整改", actor=admin)


def test_self_evaluation_figures_are_validated_per_field(app):
    with app.app_context():
        base = make_perf_base()
        operator, _, _ = _people(base)
        ev = make_round([base]).evaluations[0]
        system = svc.system_of(ev.round)
        texts = stored_texts(system, inputs_at("1"))
        texts["tenant_satisfaction"] = "150"  # a share above 100%
        texts["new_jobs"] = "十"
        with pytest.raises(svc.EvaluationError) as info:
            self_ev.save_self_evaluation(ev, self_ev.SelfEvaluationInput(texts, NARRATIVES), actor=operator)
        assert set(info.value.errors) == {"tenant_satisfaction", "new_jobs"}
        assert db.session.scalar(select(func.count()).select_from(BatchItem)) == 0
        assert db.session.get(Evaluation, ev.id).values == []
