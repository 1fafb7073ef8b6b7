"""Issuing performance reports: the report data from the database, invariant rendering, PAdES
signature, atomic file, the immutable IssuedReport row; reissue and verification by hash."""
from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from ..domain.criteria import CriteriaSystem
from ..domain.evaluation import SERIAL_ALPHABET, EvaluationState, IndicatorResult, make_serial
from ..domain.formatting import MISSING, code_label, percent, score
from ..domain.funds import CATEGORY_LABELS
from ..domain.money import format_fen, rate
from ..domain.timeutil import format_beijing
from ..domain.units import format_matrix, format_plan
from ..extensions import db
from ..models import Evaluation, EvaluationRound, IssuedReport, ReportStatus, User
from ..models.types import utcnow
from ..reporting.evaluation_report import (CategoryRow, EvaluationReportDoc, FundYear, GroupBlock, IndicatorRow,
                                           render_evaluation_report)
from ..reporting.signing import SigningMaterial, sign_pdf
from . import audit, funds_query
from .criteria import system_of
from .evaluation_review import mark_issued
from .evaluations import EvaluationError, current_score
from .files import write_atomically
from .verification import verify_url
from ..domain.errors import N_

GRADE_USE = {
    "优": "等级为“优”：在后续政策和资金安排上加大支持力度。",
    "良": "等级为“良”：继续给予支持。",
    "中": "等级为“中”：减少支持，督促基地对照问题改进。",
    "差": "等级为“差”：不再给予支持，基地应在3个月内完成整改；整改不合格的，撤销示范基地称号并收回中央专项补助资金。",
}


def signing_material() -> SigningMaterial:
    """The issuer's key and certificate: SIGNING_KEY_PATH / SIGNING_CERT_PATH, else the demo pair
    under instance/signing (created by the demo loader)."""
    cfg = current_app.config
    folder = Path(current_app.instance_path) / "signing"
    passphrase = cfg.get("SIGNING_KEY_PASSPHRASE")
    return SigningMaterial(str(cfg.get("SIGNING_KEY_PATH") or folder / "issuer-key.pem"),
                           str(cfg.get("SIGNING_CERT_PATH") or folder / "issuer-cert.pem"),
                           passphrase.encode() if isinstance(passphrase, str) and passphrase else None)


def issued_root() -> Path:
    return Path(current_app.config["ISSUED_DIR"])


def report_path(report: IssuedReport) -> Path:
    return issued_root() / report.path


# --- the report data --------------------------------------------------------------------------------

def indicator_values(system: CriteriaSystem, row: IndicatorResult) -> tuple[str, str]:
    """An indicator's target and actual value as people read them, in the units of their fields
    (one convention: domain/units.py); "—" for a qualitative indicator. The page and the report
    print the same text."""
    ind = row.indicator
    if ind.type == "E":
        return MISSING, MISSING
    fld = system.field(ind.field or "")
    tgt_field = system.field(ind.rule.target_field) if ind.rule and ind.rule.target_field else fld
    return format_matrix(tgt_field, row.target), format_matrix(fld, row.actual)


def _fund_year(label: str, allocated: int, received: int, spent: int) -> FundYear:
    def pct(value: str | None) -> str:
        return MISSING if value is None else percent(value, 2)

    return FundYear(label, format_fen(allocated), format_fen(received), format_fen(spent),
                    pct(rate(received, allocated)), pct(rate(spent, received)))


def build_doc(ev: Evaluation, *, serial: str, issued_at, supersedes: str = "",
              system: CriteriaSystem | None = None) -> EvaluationReportDoc:
    """Everything the report prints, formatted, from the evaluation as it stands."""
    system = system or system_of(ev.round)
    result = current_score(ev, system)
    scores = {s.indicator_id: s for s in ev.scores}
    groups = []
    for g in result.groups:
        rows = []
        for r in g.rows:
            ind = r.indicator
            target, actual = indicator_values(system, r)
            comment = scores[ind.id].comment if ind.id in scores else ""
            rows.append(IndicatorRow(ind.title, ind.type_label, f"{ind.max:g}", target, actual, score(r.points),
                                     comment))
        groups.append(GroupBlock(g.title, f"{g.max:g}", f"{g.points:.2f}", rows, (ev.narratives or {}).get(g.id, "")))
    years = [(y, f) for y, f in funds_query.year_figures(ev.base) if y <= ev.round.year]
    fund_years = [_fund_year(str(y), f.allocated_fen, f.received_fen, f.spent_fen) for y, f in years]
    total = _fund_year("合计", sum(f.allocated_fen for _, f in years), sum(f.received_fen for _, f in years),
                       sum(f.spent_fen for _, f in years))
    by_category: dict[str, int] = {}
    for y, _ in years:
        for code, fen in funds_query.category_spending([ev.base_id], y).items():
            by_category[code] = by_category.get(code, 0) + fen
    categories = [CategoryRow(code_label(CATEGORY_LABELS.get(c, c), c), format_fen(fen), fen / 1_000_000)
                  for c, fen in sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))]
    targets = ev.base.target_values()
    plan_fields = [f for f in system.fields if f.source == "plan"]
    process = [(format_beijing(e.at, "%Y-%m-%d"), e.acting_unit, _ACTION_TEXT.get(e.action, e.action))
               for e in ev.events if e.action in _ACTION_TEXT]
    rect = ev.rectification
    rect_text = "" if rect is None else (f"整改要求：{rect.requirement}（整改期限 {format_beijing(rect.deadline, '%Y-%m-%d')}，"
                                         f"当前状态：{rect.state.label}）")
    grade = result.grade.label if ev.grade_label is None else ev.grade_label
    return EvaluationReportDoc(
        serial=serial, round_code=ev.round.code, round_title=ev.round.title, issuer=ev.round.issuer,
        issued_date=format_beijing(issued_at, "%Y-%m-%d"), base_code=ev.base.code, base_name=ev.base.name,
        city=ev.base.city, authority=ev.base.authority.full_name, operator=ev.base.operator.name,
        system_title=f"{system.title}（v{system.version}）", total=ev.total or f"{result.total:.2f}",
        bonus=f"{result.bonus:.2f}", grade=grade, grade_use=GRADE_USE.get(grade, ""),
        targets=[(f.label, format_plan(f, targets.get(f.id))) for f in plan_fields],
        process=process, groups=groups, fund_years=fund_years, fund_total=total, categories=categories,
        open_flags=funds_query.open_flag_counts([ev.base_id]).get(ev.base_id, 0),
        conclusions=ev.conclusions, problems=ev.problems, recommendations=ev.recommendations,
        other_notes=ev.other_notes, rectification=rect_text, supersedes=supersedes, verify_url=verify_url(serial),
    )


_ACTION_TEXT = {"submit_self": "提交自评报告", "return_self": "退回自评", "submit_evaluation": "完成评价并报送商务部",
                "return": "退回主管部门", "accept": "审核通过"}


# --- issuing ------------------------------------------------------------------------------------------

def _lock_round(round_id: int) -> None:
    # Sequence numbers are per round: serialise their allocation (SQLite writers already are).
    db.session.execute(select(EvaluationRound.id).where(EvaluationRound.id == round_id).with_for_update())


def new_serial(round_: EvaluationRound) -> tuple[int, str]:
    sequence = (db.session.scalar(select(func.max(IssuedReport.sequence))
                                  .where(IssuedReport.round_id == round_.id)) or 0) + 1
    random_part = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(10))
    return sequence, make_serial(round_.code, sequence, random_part)


def issue_report(ev: Evaluation, *, actor: User | None, reissue: bool = False, reason: str = "") -> IssuedReport:
    """Render, sign and store the report of an accepted evaluation; with `reissue`, replace the
    valid report of an issued one (the old becomes superseded). The file is on disk (temporary
    file, fsync, rename) before the row is flushed; the caller commits."""
    _lock_round(ev.round_id)
    db.session.refresh(ev)
    previous = ev.valid_report
    if reissue:
        if previous is None or ev.state != EvaluationState.ISSUED:
            raise EvaluationError(N_("该评价尚未出具报告，不能重新出具"))
        if not reason.strip():
            raise EvaluationError(N_("重新出具报告必须说明理由"))
    elif ev.state != EvaluationState.ACCEPTED or previous is not None:
        raise EvaluationError(N_("只有商务部审核通过且尚未出具报告的评价才能出具报告"))
    sequence, serial = new_serial(ev.round)
    issued_at = utcnow()
    doc = build_doc(ev, serial=serial, issued_at=issued_at, supersedes=previous.serial if previous else "")
    unsigned = render_evaluation_report(doc)
    signed = sign_pdf(unsigned, signing_material())
    relative = f"{ev.round.code}/{serial}.pdf"
    write_atomically(issued_root() / relative, signed)
    report = IssuedReport(evaluation_id=ev.id, round_id=ev.round_id, sequence=sequence, serial=serial,
                          unsigned_sha256=hashlib.sha256(unsigned).hexdigest(),
                          signed_sha256=hashlib.sha256(signed).hexdigest(), path=relative, size=len(signed),
                          status=ReportStatus.VALID, supersedes_id=previous.id if previous else None,
                          issuer=ev.round.issuer, issued_by_id=actor.id if actor else None, issued_at=issued_at,
                          snapshot=doc.to_json())
    if previous is not None:
        previous.status = ReportStatus.SUPERSEDED
        db.session.flush()  # the old one stops being valid before the new valid row goes in
    db.session.add(report)
    mark_issued(ev, actor=actor)
    db.session.flush()
    audit.record("evaluation_report_issued", obj=report, actor=actor,
                 detail={"serial": serial, "evaluation_id": ev.id, "signed_sha256": report.signed_sha256,
                         "unsigned_sha256": report.unsigned_sha256, "supersedes": previous.serial if previous else None,
                         "reason": reason.strip() or None})
    return report


def rerender_unsigned(report: IssuedReport) -> bytes:
    """The unsigned rendering reproduced from the stored snapshot (same bytes as at issue)."""
    return render_evaluation_report(EvaluationReportDoc.from_json(report.snapshot))


def read_signed(report: IssuedReport) -> bytes | None:
    """The signed file, or None when it is missing or no longer matches its recorded hash."""
    try:
        data = report_path(report).read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == report.signed_sha256 else None


def find_by_serial(serial: str) -> IssuedReport | None:
    return db.session.scalar(select(IssuedReport).where(IssuedReport.serial == serial.strip().upper()))


def round_reports(round_id: int) -> list[IssuedReport]:
    """Every issued report of a round (valid and superseded), in issue order."""
    return list(db.session.scalars(select(IssuedReport).where(IssuedReport.round_id == round_id)
                                   .order_by(IssuedReport.sequence)))
