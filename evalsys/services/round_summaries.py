"""Issuing the national summary of a performance round: the figures (round_summary_query), invariant
rendering, the issuer's PAdES signature (as for the base reports), atomic file, the immutable row and
an audit record; the XLSX of the same snapshot; lookup by serial for the public verification page."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import func, select

from ..domain.evaluation import SERIAL_ALPHABET, make_serial
from ..domain.timeutil import format_beijing
from ..extensions import db
from ..models import EvaluationRound, ReportStatus, User
from ..models.round_summary import RoundSummaryReport
from ..models.types import utcnow
from ..reporting.round_summary import RoundSummaryDoc, render_round_summary_pdf, render_round_summary_xlsx
from ..reporting.signing import sign_pdf
from . import audit
from . import round_summary_query as q
from .evaluation_reports import issued_root, signing_material
from .criteria import system_of
from .evaluations import EvaluationError
from .files import write_atomically
from ..domain.errors import N_

SIGN_REASON = "绩效评估全国汇总报告出具"


def build_summary_doc(round_: EvaluationRound, *, serial: str, issued_at: dt.datetime) -> RoundSummaryDoc:
    """Everything the summary prints, from the round as it stands."""
    system = system_of(round_)
    bases, graded, mean = q.graded_totals(round_)
    return RoundSummaryDoc(
        serial=serial, round_code=round_.code, round_title=round_.title, issuer=round_.issuer,
        issued_date=format_beijing(issued_at, "%Y-%m-%d"), year=round_.year,
        system_title=f"{system.title}（v{system.version}）", bases=bases, graded=graded, mean_total=mean,
        by_authority=q.grades_by_authority(round_), funds=q.funds_by_authority(round_), poor=q.poor_bases(round_),
        indicators=q.indicator_means(round_))


def _lock_round(round_id: int) -> None:
    # Sequence numbers are per round: serialise their allocation (SQLite writers already are).
    db.session.execute(select(EvaluationRound.id).where(EvaluationRound.id == round_id).with_for_update())


def issue_round_summary(round_: EvaluationRound, *, actor: User | None) -> RoundSummaryReport:
    """Render, sign and store the national summary as the round stands; the previous valid summary
    of the round (if any) becomes superseded. The file is on disk before the row is flushed; the
    caller commits."""
    _lock_round(round_.id)
    bases, graded, _ = q.graded_totals(round_)
    if graded == 0:
        raise EvaluationError(N_("该批次尚无商务部审核确定等级的评价，不能出具全国汇总报告"))
    sequence = (db.session.scalar(select(func.max(RoundSummaryReport.sequence))
                                  .where(RoundSummaryReport.round_id == round_.id)) or 0) + 1
    serial = make_serial(f"{round_.code}-QG", sequence, "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(10)))
    issued_at = utcnow()
    doc = build_summary_doc(round_, serial=serial, issued_at=issued_at)
    unsigned = render_round_summary_pdf(doc)
    signed = sign_pdf(unsigned, signing_material(), reason=SIGN_REASON)
    relative = f"{round_.code}/summary/{serial}.pdf"
    write_atomically(issued_root() / relative, signed)
    previous = current_summary(round_)
    if previous is not None:
        previous.status = ReportStatus.SUPERSEDED
        db.session.flush()  # the old one stops being valid before the new valid row goes in
    report = RoundSummaryReport(round_id=round_.id, sequence=sequence, serial=serial,
                                unsigned_sha256=hashlib.sha256(unsigned).hexdigest(),
                                signed_sha256=hashlib.sha256(signed).hexdigest(), path=relative, size=len(signed),
                                status=ReportStatus.VALID, issuer=round_.issuer,
                                issued_by_id=actor.id if actor else None, issued_at=issued_at,
                                snapshot=doc.to_json())
    db.session.add(report)
    db.session.flush()
    audit.record("round_summary_issued", obj=report, actor=actor,
                 detail={"serial": serial, "round": round_.code, "bases": bases, "graded": graded,
                         "signed_sha256": report.signed_sha256, "unsigned_sha256": report.unsigned_sha256,
                         "supersedes": previous.serial if previous else None})
    return report


def current_summary(round_: EvaluationRound) -> RoundSummaryReport | None:
    """The round's valid summary, if one was issued."""
    return db.session.scalar(select(RoundSummaryReport).where(RoundSummaryReport.round_id == round_.id,
                                                              RoundSummaryReport.status == ReportStatus.VALID))


def round_summaries(round_: EvaluationRound) -> list[RoundSummaryReport]:
    """Every issued summary of a round (valid and superseded), newest first."""
    return list(db.session.scalars(select(RoundSummaryReport).where(RoundSummaryReport.round_id == round_.id)
                                   .order_by(RoundSummaryReport.sequence.desc())))


def find_summary_by_serial(serial: str) -> RoundSummaryReport | None:
    return db.session.scalar(select(RoundSummaryReport)
                             .where(RoundSummaryReport.serial == serial.strip().upper()))


def read_signed_summary(report: RoundSummaryReport) -> bytes | None:
    """The signed PDF, or None when it is missing or no longer matches its recorded hash."""
    try:
        data = (issued_root() / report.path).read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == report.signed_sha256 else None


def summary_xlsx(report: RoundSummaryReport) -> bytes:
    """The workbook of an issued summary, from its snapshot: the same figures as its PDF."""
    return render_round_summary_xlsx(RoundSummaryDoc.from_json(report.snapshot))


def rerender_unsigned(report: RoundSummaryReport) -> bytes:
    """The unsigned PDF reproduced from the stored snapshot (same bytes as at issue)."""
    return render_round_summary_pdf(RoundSummaryDoc.from_json(report.snapshot))
