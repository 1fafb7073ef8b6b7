"""The national summary of a round: its figures equal a recomputation from the rows (grades per
authority, money per authority up to the round's year, the 差 list, indicator means), the signed PDF
validates and reproduces from its snapshot, the XLSX carries the same figures, issuing is audited
and supersedes the previous summary, and nothing is issued before a grade is final."""
from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from evalsys.domain.funds import ExpenditureStatus
from evalsys.extensions import db
from evalsys.models import AuditRecord, Evaluation, ReportStatus, Role
from evalsys.models.round_summary import RoundSummaryReport
from evalsys.reporting.round_summary import FUND_HEADERS, GRADE_HEADERS, GRADES, INDICATOR_HEADERS, POOR_HEADERS
from evalsys.reporting.signing import validate_signed
from evalsys.services import evaluations as svc
from evalsys.services import funds_ledger
from evalsys.services import rectifications as rect
from evalsys.services.round_summaries import (find_summary_by_serial, issue_round_summary, read_signed_summary,
                                              rerender_unsigned, summary_xlsx)
from tests.evalutil import advance, make_perf_base, make_round, signing_config
from tests.factories import make_user
from tests.fundsutil import make_allocation, make_entry

# (authority, region, fraction of targets, final state) per base.
PLAN = [("320000", "320500", "0.97", "accepted"), ("320000", "320100", "0.86", "accepted"),
        ("320000", "320300", "0.40", "accepted"), ("330000", "330100", "0.93", "accepted"),
        ("330000", "330700", "0.70", "accepted"), ("330000", "330300", "0.90", "self_evaluated"),
        ("510000", "510100", "0.45", "accepted"), ("510000", "510100", "0.80", "evaluated")]


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    return app_config


def _build_round():
    """A round over 8 bases of three authorities, with money outside the summary's scope too."""
    admin = make_user(Role.ADMIN, commit=False)
    bases = [make_perf_base(authority_code=a, region=r) for a, r, _, _ in PLAN]
    extra = make_allocation(bases[0], year=2014, amount_fen=3_000_000_00, received_fen=2_000_000_00)
    funds_ledger.verify_expenditure(make_entry(extra, amount_fen=1_234_567_89, category="TRN", date=dt.date(2014, 9, 1)))
    make_entry(extra, amount_fen=500_000_00, category="PSP", date=dt.date(2014, 10, 1))  # pending: not spent
    make_allocation(bases[3], year=2016, amount_fen=7_000_000_00)  # after the round's year
    round_ = make_round(bases, code="perf-sum")
    authorities = {}
    for ev, (code, _, fraction, final) in zip(round_.evaluations, PLAN):
        operator = make_user(Role.APPLICANT, organisation=ev.base.operator, commit=False)
        authority = authorities.setdefault(code, make_user(Role.AUTHORITY, authority_code=code, commit=False))
        advance(ev, fraction=fraction, to=final, operator=operator, authority=authority, admin=admin)
        if ev.grade_label == "差":
            item = rect.require_rectification(ev, requirement="整改", actor=admin)
            if fraction == "0.40":
                rect.submit_rectification_report(item, report="已整改", actor=operator)
    db.session.flush()
    return round_, admin


def _recompute(round_):
    """The summary's figures straight from the rows, with plain loops."""
    evs = db.session.scalars(select(Evaluation).where(Evaluation.round_id == round_.id)).all()
    final = [ev for ev in evs if ev.state.value in ("accepted", "issued")]
    grades = defaultdict(Counter)
    for ev in evs:
        grades[ev.base.authority_code][ev.grade_label if ev in final else "pending"] += 1
    money = defaultdict(lambda: [0, 0, 0])
    for ev in evs:
        for allocation in _allocations(ev.base):
            if allocation.year > round_.year:
                continue
            m = money[ev.base.authority_code]
            m[0] += allocation.amount_fen
            m[1] += sum(t.amount_fen for t in allocation.tranches)
            m[2] += sum(e.amount_fen for e in _entries(allocation) if e.status == ExpenditureStatus.VERIFIED)
    system = svc.system_of(round_)
    points = defaultdict(list)
    for ev in final:
        for group in svc.current_score(ev, system).groups:
            for row in group.rows:
                points[row.indicator.id].append(row.points / Decimal(str(row.indicator.max)))
    means = {k: sum(v) / len(v) for k, v in points.items()}
    poor = sorted((Decimal(ev.total), ev.base.code) for ev in final if ev.grade_label == "差")
    totals = [Decimal(ev.total) for ev in final]
    return grades, money, means, poor, totals


def _allocations(base):
    from evalsys.models import Allocation
    return db.session.scalars(select(Allocation).where(Allocation.base_id == base.id)).all()


def _entries(allocation):
    from evalsys.models import Expenditure
    return db.session.scalars(select(Expenditure).where(Expenditure.allocation_id == allocation.id)).all()


def test_the_figures_equal_a_recomputation_from_the_rows(app):
    with app.app_context():
        round_, admin = _build_round()
        report = issue_round_summary(round_, actor=admin)
        doc = json.loads(report.snapshot)
        grades, money, means, poor, totals = _recompute(round_)
        assert doc["bases"] == len(PLAN) and doc["graded"] == len(totals) == 6
        assert Decimal(doc["mean_total"]) == (sum(totals) / len(totals)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        got = {a["code"]: (a["counts"], a["pending"]) for a in doc["by_authority"]}
        assert got == {code: ([c[g] for g in GRADES], c["pending"]) for code, c in grades.items()}
        assert sum(sum(c) for c, _ in got.values()) == 6 and {g for c in grades.values() for g in c} >= set(GRADES)
        assert {f["code"]: [f["allocated_fen"], f["received_fen"], f["spent_fen"]] for f in doc["funds"]} == money
        assert money["320000"][:2] == [3 * 10_000_000_00 + 3_000_000_00, 3 * 10_000_000_00 + 2_000_000_00]
        assert money["330000"][0] == 3 * 10_000_000_00  # 2016's allocation is after the round's year
        assert money["320000"][2] == 3 * 9_000_000_00 + 1_234_567_89  # the pending entry does not
        assert [(Decimal(p["total"]), p["base_code"]) for p in doc["poor"]] == poor and len(poor) == 2
        statuses = {p["base_code"]: (p["status"], bool(p["deadline"]), bool(p["reported"])) for p in doc["poor"]}
        assert sorted(statuses.values()) == [("已提交整改报告", True, True), ("整改中", True, False)]
        assert {i["indicator_id"]: Decimal(i["achievement"]) for i in doc["indicators"]} == {
            k: v.quantize(Decimal("0.0001"), ROUND_HALF_UP) for k, v in means.items()}
        achievements = [Decimal(i["achievement"]) for i in doc["indicators"]]
        assert achievements == sorted(achievements, reverse=True) and achievements[0] > achievements[-1]
        assert all(i["count"] == 6 for i in doc["indicators"])


def test_signed_pdf_validates_reproduces_and_is_found_by_serial(app):
    with app.app_context():
        round_, admin = _build_round()
        report = issue_round_summary(round_, actor=admin)
        db.session.commit()
        signed = read_signed_summary(report)
        cert = Path(app.config["SIGNING_CERT_PATH"]).read_bytes()
        check = validate_signed(signed, cert)
        assert check.valid and check.whole_file
        assert signed.startswith(rerender_unsigned(report))  # the signature is an incremental update
        assert find_summary_by_serial(report.serial.lower()) is report
        assert report.serial.startswith("PERF-SUM-QG-0001-")
        from pypdf import PdfReader
        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(signed)).pages)
        for needle in (report.serial, "全国汇总报告", "等级分布", "到位率", "整改", "完成度"):
            assert needle in text.replace("\n", "")
        tampered = bytearray(signed)
        tampered[len(tampered) // 3] ^= 1
        assert not validate_signed(bytes(tampered), cert).valid


def test_xlsx_headers_and_values(app):
    with app.app_context():
        round_, admin = _build_round()
        report = issue_round_summary(round_, actor=admin)
        doc = json.loads(report.snapshot)
        wb = load_workbook(io.BytesIO(summary_xlsx(report)))
        assert wb.sheetnames == ["概况", "等级分布", "资金到位与执行", "差评基地整改", "指标完成度"]
        sheets = {name: [list(r) for r in wb[name].iter_rows(values_only=True)] for name in wb.sheetnames}
        assert sheets["等级分布"][0] == GRADE_HEADERS and sheets["资金到位与执行"][0] == FUND_HEADERS
        assert sheets["差评基地整改"][0] == POOR_HEADERS and sheets["指标完成度"][0] == INDICATOR_HEADERS
        grade_rows = {r[0]: r[2:8] for r in sheets["等级分布"][1:]}
        for a in doc["by_authority"]:
            assert grade_rows[a["code"]] == [*a["counts"], a["pending"], sum(a["counts"]) + a["pending"]]
        assert grade_rows[None][:4] == [sum(a["counts"][i] for a in doc["by_authority"]) for i in range(4)]
        fund_rows = {r[0]: r for r in sheets["资金到位与执行"][1:]}
        for f in doc["funds"]:
            row = fund_rows[f["code"]]
            assert Decimal(str(row[3])) * 100 == f["allocated_fen"] and Decimal(str(row[5])) * 100 == f["spent_fen"]
            assert Decimal(str(row[6])) == (Decimal(f["received_fen"]) / f["allocated_fen"]).quantize(
                Decimal("0.0001"), ROUND_HALF_UP)
        assert [r[0] for r in sheets["差评基地整改"][1:]] == [p["base_code"] for p in doc["poor"]]
        assert [r[1] for r in sheets["指标完成度"][1:]] == [i["indicator_id"] for i in doc["indicators"]]
        overview = dict((r[0], r[1]) for r in sheets["概况"][1:])
        assert overview["报告编号"] == report.serial and overview["已定级（个）"] == 6


def test_issue_is_audited_supersedes_and_needs_a_final_grade(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        base = make_perf_base()
        empty = make_round([base], code="perf-none")
        with pytest.raises(svc.EvaluationError, match="尚无"):
            issue_round_summary(empty, actor=admin)
        round_, admin = _build_round()
        first = issue_round_summary(round_, actor=admin)
        second = issue_round_summary(round_, actor=admin)
        db.session.commit()
        assert (first.status, second.status) == (ReportStatus.SUPERSEDED, ReportStatus.VALID)
        assert second.sequence == 2 and second.serial != first.serial
        records = db.session.scalars(select(AuditRecord).where(AuditRecord.event == "round_summary_issued")
                                     .order_by(AuditRecord.id)).all()
        assert [json.loads(r.detail)["serial"] for r in records] == [first.serial, second.serial]
        assert json.loads(records[1].detail)["supersedes"] == first.serial and records[1].username == admin.username
        assert db.session.scalar(select(RoundSummaryReport.id).where(RoundSummaryReport.round_id == empty.id)) is None
