"""What the applicant, authority and admin pages of one application share: loading with the object
check, the detail context (figures, narrative, attachments, timeline) and attachment downloads."""
from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user

from ...domain import figures as fig
from ...domain.marking import N_
from ...domain.units import unit_label
from ...domain.workflow import STATE_LABELS
from ...domain.units import format_matrix
from ...extensions import db
from ...i18n import gettext, in_language, pgettext
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
            shown = format_matrix(f, value, gettext)
        else:
            shown = fig.display_human(f, stored.get(f.id), gettext)
        rows.append((in_language(f), shown))
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


def category_in_language(system, code: str | None) -> str:
    """The label of a category of the indicator system in the page's language ("" for none, the code if unknown)."""
    if not code:
        return ""
    try:
        return in_language(system.category(code))
    except KeyError:
        return code


def send_attachment(app: Application, attachment_id: int):
    """Download one attachment of an application the user may see (hash re-checked)."""
    att = db.session.get(ApplicationAttachment, attachment_id)
    if att is None or att.application_id != app.id:
        abort(404)
    return send_stored(att.file)


# Column headers of the applications workbook, in the reader's language (the cells hold the data as entered).
EXPORT_FIXED = (N_("编号"), N_("批次"), N_("单位名称"), N_("统一社会信用代码"), N_("推荐单位代码"), N_("推荐单位"),
                N_("类别"), N_("状态"), N_("推荐顺序"), N_("法定代表人"), N_("通讯地址"), N_("联系人"), N_("联系电话"),
                N_("电子邮箱"), N_("提交时间（北京时间）"))


def export_response(call, *, authority_code: str | None):
    """A call's applications as XLSX: every field and the state; an authority gets its jurisdiction only."""
    from flask import Response

    from ...domain.timeutil import format_beijing
    from ...reporting.application_export import applications_workbook
    from ...services.applications import outline_of, system_of

    system = system_of(call)
    outline = outline_of(call)
    fields = [f for f in system.fields if f.source != "plan"]
    columns = [*(gettext(c) for c in EXPORT_FIXED),
               *(gettext("%(label)s（%(unit)s）", label=in_language(f), unit=gettext(unit_label(f))) if unit_label(f)
                 else in_language(f) for f in fields),
               *(in_language(s) for s in outline)]

    def rows():
        for app in application_detail_query.call_applications(call, authority_code):
            stored = svc.all_figures(app)
            narrative = app.narrative_sections
            yield [app.id, call.code, app.organisation.name, app.organisation.uscc, app.authority_code,
                   app.organisation.authority.full_name, category_in_language(system, app.category),
                   gettext(app.state.label), app.recommend_order, app.legal_representative, app.address,
                   app.contact_name, app.contact_phone, app.contact_email, format_beijing(app.submitted_at),
                   *(fig.export_value(f, stored.get(f.id)) if not f.derived else None for f in fields),
                   *(narrative.get(s.id, "") for s in outline)]

    data = applications_workbook(columns, rows(), sheet_title=gettext("申报汇总"))
    from ...domain.uploads import safe_download_name

    suffix = f"-{authority_code}" if authority_code else ""
    response = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = safe_download_name(f"{call.code}{suffix}-申报汇总.xlsx")
    return response


# The application's own details on the form, in the reader's language (the values as entered).
FORM_BASICS = (N_("单位名称"), N_("统一社会信用代码"), N_("法定代表人"), N_("通讯地址"), N_("联系人"), N_("联系电话"),
               N_("电子邮箱"))


def form_text(text: str) -> str:
    """A fixed text of the application form PDF in the reader's language; the summary's labels name one
    item (context "form"), where the same words elsewhere name a list."""
    one = {"申报批次": pgettext("form", "申报批次"), "申报单位": pgettext("form", "申报单位"),
           "推荐单位": pgettext("form", "推荐单位")}
    return one.get(text) or gettext(text)


def form_pdf_response(app: Application):
    """The filled application form as a PDF for the applicant to print, seal and upload back, its fixed texts in
    the reader's language."""
    from flask import Response

    from ...domain.timeutil import format_beijing
    from ...domain.uploads import safe_download_name
    from ...models.types import utcnow
    from ...reporting.application_form import ApplicationFormDoc, FormRow, FormSection, render_application_form
    from ...reporting.fonts import FontUnavailable

    values = (app.organisation.name, app.organisation.uscc, app.legal_representative, app.address,
              app.contact_name, app.contact_phone, app.contact_email)
    basics = FormSection(gettext("基本信息"), tuple(FormRow(gettext(k), v or "")
                                                  for k, v in zip(FORM_BASICS, values, strict=True)))
    figures = FormSection(gettext("指标数据"), tuple(FormRow(label, value) for label, value in figure_rows(app)))
    narrative = app.narrative_sections
    doc = ApplicationFormDoc(
        heading=gettext("%(title)s申报表", title=app.call.title), call_title=app.call.title,
        call_code=app.call.code, application_id=app.id, organisation=app.organisation.name,
        uscc=app.organisation.uscc, authority=app.organisation.authority.full_name,
        category=category_in_language(svc.system_of(app), app.category) or None,
        sections=(basics, figures),
        narrative=tuple(FormRow(in_language(s), narrative.get(s.id, "")) for s in svc.outline_of(app.call)),
        generated_at=format_beijing(utcnow()),
    )
    try:
        data = render_application_form(doc, font_path=current_app.config.get("CJK_FONT"), tr=form_text)
    except FontUnavailable as e:
        abort(500, description=str(e))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = safe_download_name(
        gettext("申报表-%(name)s.pdf", name=app.organisation.name))
    return response
