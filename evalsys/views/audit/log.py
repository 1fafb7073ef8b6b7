"""/audit: the audit trail, filtered and paginated, and its CSV/XLSX export."""
from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, render_template, request
from ...i18n import gettext, gettext as _
from flask_login import current_user
from werkzeug.wsgi import wrap_file

from ...domain.audit_labels import OUTCOME_LABELS, event_label, object_label
from ...domain.timeutil import parse_beijing
from ...extensions import db
from ...forms.audit import AuditFilterForm
from ...models import Role
from ...listing import clean_text, list_control
from ...pagination import paginate
from ...permissions import roles_required
from ...reporting.tabular import csv_file, xlsx_bytes
from ...services.todo_query import todo_for
from ...services.audit_query import AUDIT_SORTS, EXPORT_HEADERS, AuditFilter, chained_ids, export_rows, filtered


def _filter_from(form: AuditFilterForm) -> AuditFilter:
    def utc(value: datetime | None) -> datetime | None:
        return parse_beijing(value) if value else None

    return AuditFilter(start=utc(form.start.data), end=utc(form.end.data), username=form.username.data or None,
                       event=form.event.data or None, object_type=form.object_type.data or None,
                       object_id=form.object_id.data or None, outcome=form.outcome.data or None)


FILTER_FIELDS = ("start", "end", "username", "event", "object_type", "object_id", "outcome")


@roles_required(Role.AUDITOR)
def home():
    """The trail, filtered, searchable and sortable (newest first by default), paginated."""
    form = AuditFilterForm(request.args)
    f = _filter_from(form) if form.validate() else AuditFilter()
    fields = {name: request.args.get(name, "") for name in FILTER_FIELDS}
    lst = list_control("audit.home", sorts=AUDIT_SORTS, search=_("用户、事件、对象、IP或请求编号"), extra=fields,
                       extra_in_form=True)
    page = paginate(filtered(f, lst.query), large=True)
    linked = chained_ids(db.session, [r.id for r in page.items])
    return render_template("audit/home.html", form=form, page=page, lst=lst, linked=linked,
                           args=lst.args(sort=None, dir=None), event_label=lambda e: event_label(e, gettext),
                           object_label=lambda t: object_label(t, gettext),
                           outcome_labels=OUTCOME_LABELS, role_labels={r.value: r.label for r in Role},
                           todos=todo_for(current_user))


@roles_required(Role.AUDITOR)
def export(fmt: str):
    """The filtered trail as CSV (UTF-8 with BOM, formula-safe) or XLSX (text cells as text)."""
    form = AuditFilterForm(request.args)
    f = _filter_from(form) if form.validate() else AuditFilter()
    rows = export_rows(db.session, f, current_app.config["AUDIT_EXPORT_MAX_ROWS"], q=clean_text(request.args.get("q")))
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    headers = [gettext(h) for h in EXPORT_HEADERS]
    if fmt == "csv":
        body = wrap_file(request.environ, csv_file(headers, rows))
        return Response(body, mimetype="text/csv; charset=utf-8", direct_passthrough=True,
                        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})
    data = xlsx_bytes(gettext("审计日志"), headers, rows)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.xlsx"'})
