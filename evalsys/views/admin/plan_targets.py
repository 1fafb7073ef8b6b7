"""/admin/funds/…/targets: the ministry enters, edits and imports the bases' creation-plan targets
(fields from the performance criteria file), sees their history and whether they are locked."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from ...boundary import attempt
from ...domain.units import format_plan
from ...forms.plan_targets import REASON_HELP, TargetsImportForm, targets_form
from ...i18n import current_language, gettext, in_english
from ...models import Role
from ...permissions import roles_required
from ...services import admin_query
from ...services import plan_targets as svc
from ...services import plan_targets_import as importer
from ..common import funds as shared

ADMIN = Role.ADMIN
SOURCE_LABELS = {"form": "页面填写", "import": "Excel导入", "create": "登记基地时填写", "migration": "系统升级时的原有值"}


def plan_value(value, field) -> str:
    """A plan-target integer of the history, printed in people's units (raw when the field is gone)."""
    if value is None:
        return "—"
    return format_plan(field, value, gettext) if field is not None else str(value)



@roles_required(ADMIN)
def funds_edit_targets(base_id: int):
    """Enter or change one base's targets; after the lock a reason is required (audited)."""
    base = shared.get_base(base_id)
    system = svc.plan_system(base)
    fields = svc.plan_fields(system)
    rows = {r.field.id: r.entry for r in svc.plan_rows(base, system)}
    form = targets_form(fields, data={**rows, "version": str(svc.current_version(base))})
    lock = svc.locking_round(base)
    if form.validate_on_submit():
        values, errors = svc.parse_targets(system, {f.id: getattr(form, f.id).data for f in fields})
        for field_id, message in errors.items():
            getattr(form, field_id).errors = [message]
        if not errors:
            expected = int(form.version.data) if (form.version.data or "").isdigit() else None
            saved = []
            refused = attempt(lambda: saved.append(svc.set_targets(
                base, values, actor=shared.user(), reason=form.reason.data or "", expected_version=expected,
                system=system)))
            if not refused:
                change = saved[0]
                if change.changed:
                    flash(gettext("目标值已保存（第 %(number)s 版）", number=change.version.number), "success")
                else:
                    flash(gettext("目标值没有变化"), "info")
                return redirect(url_for("admin.funds_base", base_id=base.id))
            if "reason" in refused.fields:
                form.reason.errors = [refused.fields["reason"]]
            form.form_errors.extend(refused.lines)
    return render_template("funds/targets.html", area="admin", base=base, form=form, lock=lock, system=system,
                           history=svc.history(base), sources=SOURCE_LABELS, fields={f.id: f for f in fields},
                           reason_help=REASON_HELP)


@roles_required(ADMIN)
def funds_targets_template():
    """The targets template: one row per base, prefilled with the current values."""
    bases = admin_query.bases()
    return shared.xlsx_response(importer.template_bytes(svc.plan_system(), bases, lang=current_language(), tr=gettext),
                                gettext("创建方案目标值导入模板.xlsx"))


@roles_required(ADMIN)
def funds_import_targets():
    """Import every base's targets from the template: all rows or none, with a per-row report."""
    form = TargetsImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            form.file.errors = ["请选择要导入的Excel文件"]
        else:
            imported = []
            refused = attempt(lambda: imported.append(importer.import_targets(
                upload.read(), actor=shared.user(), reason=form.reason.data or "", filename=upload.filename,
                system=svc.plan_system(), english=in_english)))
            if refused:
                form.file.errors = refused.lines
            else:
                result = imported[0]
                if result.ok:
                    flash(gettext("导入完成：%(n)s 个基地的目标值已更新，%(n_b)s 个没有变化", n=len(result.changed), n_b=len(result.unchanged)),
                          "success")
                    return redirect(url_for("admin.funds_home"))
    return render_template("funds/targets_import.html", area="admin", form=form, result=result)
