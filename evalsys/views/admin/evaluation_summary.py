"""/admin/evaluations/<code>/summary: the national summary of a round for the ministry — issue it
(signed, numbered, verifiable like the base reports) and download its PDF or XLSX."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, url_for
from flask_login import current_user

from ...boundary import refusal_returns_to
from ...domain.errors import StoredFileMismatch
from ...extensions import db
from ...forms.evaluations import ConfirmVersionForm
from ...i18n import gettext
from ...models import Role
from ...models.round_summary import RoundSummaryReport
from ...permissions import roles_required
from ...services import audit
from ...services.round_summaries import issue_round_summary, read_signed_summary, summary_xlsx
from ..common.evaluations import load_round

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@roles_required(Role.ADMIN)
def evaluation_round_summary_issue(code: str):
    """Issue the round's national summary as it stands (a refusal is shown on the round page)."""
    round_ = load_round(code)
    refusal_returns_to(url_for("admin.evaluation_round", code=round_.code))
    if not ConfirmVersionForm().validate_on_submit():
        abort(400)
    report = issue_round_summary(round_, actor=current_user._get_current_object())
    flash(gettext("已出具全国汇总报告：%(serial)s", serial=report.serial), "success")
    return redirect(url_for("admin.evaluation_round", code=round_.code))


@roles_required(Role.ADMIN)
def evaluation_round_summary_file(code: str, summary_id: int, fmt: str):
    """The signed PDF (its hash checked again) or the XLSX of one of the round's summaries."""
    round_ = load_round(code)
    report = db.session.get(RoundSummaryReport, summary_id)
    if report is None or report.round_id != round_.id:
        abort(404)
    if fmt == "pdf":
        data = read_signed_summary(report)
        if data is None:
            audit.record_security("round_summary_mismatch", obj=report, outcome="failure")
            raise StoredFileMismatch
        response = Response(data, mimetype="application/pdf")
    else:
        response = Response(summary_xlsx(report), mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{report.serial}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
