"""What the applicant, authority and admin pages of one application share: loading with the object
check, the detail context (figures, narrative, attachments, timeline) and attachment downloads."""
from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user

from ...domain import figures as fig
from ...domain.workflow import STATE_LABELS
from ...domain.units import format_matrix
from ...extensions import db
from ...models import Application, ApplicationAttachment
from ...permissions import can_view_application
from ...services import application_detail_query
from ...services import applications as svc
from .downloads import send_stored


def load_application(app_id: int) -> Application:
    """The application if the current user may see it: 404 when absent, 403 when not theirs."""
    app = db.session.get(Application, app_id) or abort(404)
    if not can_view_application(current_user, app):
        abort(403)
    return app


def figure_rows(app: Application) -> list[tuple[str, str]]:
    """(label, value) of every field of the call's system, derived ones computed."""
    system = svc.system_of(app)
    stored = svc.all_figures(app)
    matrix = fig.matrix_values(system, stored)
    rows = []
    for f in system.fields:
        if f.source == "plan":
            continue
        if f.derived:
            value = matrix.get(f.id)
            shown = format_matrix(f, value)
        else:
            shown = fig.display_human(f, stored.get(f.id))
        rows.append((f.label, shown))
    return rows


def timeline(app: Application, *, staff: bool) -> list[dict]:
    """The workflow rows; applicants see the acting unit and reason only (domain.md §4)."""
    rows = application_detail_query.transitions_with_actors(app)
    out = []
    for t, name in rows:
        item = {"at": t.at, "unit": t.acting_unit, "reason": t.reason,
                "state": STATE_LABELS[t.to_state], "action": t.action}
        if staff:
            item["who"] = name
        out.append(item)
    return out


def detail_context(app: Application, *, staff: bool, download_endpoint: str, **url_args) -> dict:
    """Everything the detail templates show; attachment links point at the audience's own endpoint."""
    from flask import url_for

    narrative = app.narrative_sections
    attachments = svc.current_attachments(app)
    return {
        "app": app,
        "figures": figure_rows(app),
        "sections": [(s, narrative.get(s.id, "")) for s in svc.outline_of(app.call)],
        "attachments": attachments,
        "attachment_urls": {kind: url_for(download_endpoint, app_id=app.id, attachment_id=att.id, **url_args)
                            for kind, att in attachments.items()},
        "timeline": timeline(app, staff=staff),
        "category_label": category_label(app),
    }


def category_label(app: Application) -> str:
    """The Chinese label of the application's category, or an empty string."""
    if not app.category:
        return ""
    try:
        return svc.system_of(app).category(app.category).label
    except KeyError:
        return app.category


def send_attachment(app: Application, attachment_id: int):
    """Download one attachment of an application the user may see (hash re-checked)."""
    att = db.session.get(ApplicationAttachment, attachment_id)
    if att is None or att.application_id != app.id:
        abort(404)
    return send_stored(att.file)


EXPORT_FIXED = ("编号", "批次", "单位名称", "统一社会信用代码", "推荐单位代码", "推荐单位", "类别", "状态", "推荐顺序",
                "法定代表人", "通讯地址", "联系人", "联系电话", "电子邮箱", "提交时间（北京时间）")


def export_response(call, *, authority_code: str | None):
    """A call's applications as XLSX: every field and the state; an authority gets its jurisdiction only."""
    from flask import Response

    from ...domain.timeutil import format_beijing
    from ...models import Call  # noqa: F401  (type only)
    from ...reporting.application_export import applications_workbook
    from ...services.applications import outline_of, system_of

    system = system_of(call)
    outline = outline_of(call)
    fields = [f for f in system.fields if f.source != "plan"]
    columns = [*EXPORT_FIXED, *(f"{f.label}（{'%' if f.kind == 'ratio' else f.unit}）" if f.unit or f.kind == "ratio"
                               else f.label for f in fields),
               *(s.title for s in outline)]

    def rows():
        for app in application_detail_query.call_applications(call, authority_code):
            stored = svc.all_figures(app)
            narrative = app.narrative_sections
            yield [app.id, call.code, app.organisation.name, app.organisation.uscc, app.authority_code,
                   app.organisation.authority.full_name, category_label(app), app.state.label,
                   app.recommend_order, app.legal_representative, app.address, app.contact_name,
                   app.contact_phone, app.contact_email, format_beijing(app.submitted_at),
                   *(fig.export_value(f, stored.get(f.id)) if not f.derived else None for f in fields),
                   *(narrative.get(s.id, "") for s in outline)]

    data = applications_workbook(columns, rows(), sheet_title="申报汇总")
    from ...domain.uploads import safe_download_name

    suffix = f"-{authority_code}" if authority_code else ""
    response = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = safe_download_name(f"{call.code}{suffix}-申报汇总.xlsx")
    return response


def form_pdf_response(app: Application):
    """The filled application form as a PDF for the applicant to print, seal and upload back."""
    from flask import Response

    from ...domain.timeutil import format_beijing
    from ...domain.uploads import safe_download_name
    from ...models.types import utcnow
    from ...reporting.application_form import ApplicationFormDoc, FormRow, FormSection, render_application_form
    from ...reporting.fonts import FontUnavailable

    basics = FormSection("基本信息", tuple(FormRow(k, v or "") for k, v in (
        ("单位名称", app.organisation.name), ("统一社会信用代码", app.organisation.uscc),
        ("法定代表人", app.legal_representative), ("通讯地址", app.address),
        ("联系人", app.contact_name), ("联系电话", app.contact_phone), ("电子邮箱", app.contact_email))))
    figures = FormSection("指标数据", tuple(FormRow(label, value) for label, value in figure_rows(app)))
    narrative = app.narrative_sections
    doc = ApplicationFormDoc(
        heading=f"{app.call.title}申报表", call_title=app.call.title, call_code=app.call.code,
        application_id=app.id, organisation=app.organisation.name, uscc=app.organisation.uscc,
        authority=app.organisation.authority.full_name, category=category_label(app) or None,
        sections=(basics, figures),
        narrative=tuple(FormRow(s.title, narrative.get(s.id, "")) for s in svc.outline_of(app.call)),
        generated_at=format_beijing(utcnow()),
    )
    try:
        data = render_application_form(doc, font_path=current_app.config.get("CJK_FONT"))
    except FontUnavailable as e:
        abort(500, description=str(e))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = safe_download_name(f"申报表-{app.organisation.name}.pdf")
    return response
