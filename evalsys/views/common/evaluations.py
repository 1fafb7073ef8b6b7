"""Pieces shared by the evaluation pages of the three audiences: loading with the object check,
the detail context (figures, score, flags, history, rectification, reports), report downloads."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import Select

from ...domain.errors import StoredFileMismatch
from ...domain.evaluation import ACTION_LABELS, EvaluationState, Party, allowed_actions
from ...domain.figures import display_human
from ...domain.money import format_fen
from ...domain.units import format_plan
from ...extensions import db
from ...i18n import gettext
from ...listing import Filter, ListQuery, list_control, year_filter
from ...models import Evaluation, EvaluationRound, IssuedReport, Role
from ...pagination import paginate
from ...permissions import can_view_evaluation
from ...services import audit, evaluation_query
from ...services import evaluations as svc
from ...services.evaluation_reports import indicator_values, read_signed
from ...services.rectifications import recoveries_of
from ...services.sanctions import recovery_lines


PARTY = {Role.APPLICANT: Party.OPERATOR, Role.AUTHORITY: Party.AUTHORITY, Role.ADMIN: Party.MINISTRY}


def evaluation_list(detail: str, rows: Callable[[ListQuery], Select]) -> str:
    """The page of an evaluation list (the base operator's, the authority's): search by base or round, filter by
    state and year, sortable, paginated; `rows` builds the statement of the visible evaluations, `detail` is the
    endpoint of one evaluation."""
    lst = list_control(request.endpoint, sorts=evaluation_query.EVALUATION_SORTS,
                       search=gettext("基地编号或名称、评价批次或年度"),
                       filters=[Filter("state", gettext("状态"), [(s.value, gettext(s.label)) for s in EvaluationState],
                                       gettext("全部状态")), year_filter(evaluation_query.round_years())])
    page = paginate(rows(lst.query))
    return render_template("evaluations/list.html", page=page, lst=lst, detail=detail)


def load_evaluation(evaluation_id: int) -> Evaluation:
    """The evaluation (404) the current user may see (403)."""
    ev = db.session.get(Evaluation, evaluation_id) or abort(404)
    if not can_view_evaluation(current_user, ev):
        abort(403)
    return ev


def load_round(code: str) -> EvaluationRound:
    return evaluation_query.round_by_code(code) or abort(404)


def expected_version(form: Any) -> int | None:
    """The version the form was loaded with (None when absent: the service then skips the check)."""
    raw = getattr(form, "version", None)
    text = raw.data if raw is not None else request.form.get("version")
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return -1  # never matches: a tampered version is a stale edit


def figure_rows(ev: Evaluation, system) -> list[dict[str, Any]]:
    """Each input figure: current value, the operator's original if corrected, reason, prefill mark."""
    by_id = svc.values_of(ev)
    rows = []
    for f in svc.input_fields(system):
        v = by_id.get(f.id)
        rows.append({"field": f, "value": display_human(f, svc.stored_value(f, v.value) if v else None, gettext),
                     "original": display_human(f, svc.stored_value(f, v.original), gettext) if v is not None and v.corrected else None,
                     "reason": v.correction_reason if v is not None else "",
                     "prefilled": bool(v and v.prefilled)})
    return rows


def detail_context(ev: Evaluation) -> dict[str, Any]:
    """Everything the shared detail template shows, filtered by what the viewer may see."""
    system = svc.system_of(ev.round)
    result = svc.current_score(ev, system)
    role = current_user.role
    targets = ev.base.target_values()
    plan = [(f.label, format_plan(f, targets.get(f.id), gettext)) for f in system.fields if f.source == "plan"]
    prefill = svc.fund_prefill(ev.base, ev.round.year)
    return {
        "ev": ev, "system": system, "result": result, "figures": figure_rows(ev, system), "plan": plan,
        "printed": {r.indicator.id: indicator_values(system, r) for g in result.groups for r in g.rows},
        "scores": {s.indicator_id: s for s in ev.scores},
        "flags": svc.fund_flags(ev.base) if role in (Role.AUTHORITY, Role.ADMIN) else [],
        "prefill": prefill, "format_fen": format_fen,
        "actions": allowed_actions(ev.state, PARTY[role]) if role in PARTY else [],
        "reports": ev.reports, "rectification": ev.rectification, "recoveries": recoveries_of(ev.base_id),
        "recovery_lines": recovery_lines(ev.base) if role == Role.ADMIN and ev.rectification else [],
        "action_labels": {a.value: label for a, label in ACTION_LABELS.items()},
    }


def send_report(ev: Evaluation, report_id: int) -> Response:
    """The signed PDF of one of the evaluation's reports, after its hash is checked again."""
    report = db.session.get(IssuedReport, report_id)
    if report is None or report.evaluation_id != ev.id:
        abort(404)
    data = read_signed(report)
    if data is None:
        audit.record_security("issued_report_mismatch", obj=report, outcome="failure")
        raise StoredFileMismatch
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{report.serial}.pdf"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
