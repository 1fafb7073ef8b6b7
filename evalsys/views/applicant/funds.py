"""/applicant/funds: the base operator records expenditures (one by one with a voucher scan, or by
Excel import), attaches vouchers, records reversals, and exports its figures."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...boundary import attempt, discard_changes, refusal_returns_to
from ...extensions import db
from ...forms.funds import ExpenditureForm, ImportForm, ReverseForm, VoucherForm
from ...i18n import current_language, gettext
from ...models import Allocation, Expenditure, Role
from ...permissions import can_attach_voucher, can_operate_base, roles_required
from ...services import form_tokens, funds_import, funds_ledger, funds_query
from ...services.files import UploadRejected, store_upload
from ..common import funds as shared
from ..common.downloads import send_stored


APPLICANT = Role.APPLICANT


VOUCHER_KINDS = ("pdf", "jpeg", "png")


def _operated_allocation(allocation_id: int) -> Allocation:
    allocation = shared.get_allocation(allocation_id)
    if not can_operate_base(current_user, allocation.base):
        abort(403)
    return allocation


def _operated_entry(entry_id: int) -> Expenditure:
    entry = shared.get_entry(entry_id)
    if not can_operate_base(current_user, entry.allocation.base):
        abort(403)
    return entry


@roles_required(APPLICANT)
def funds_home():
    """The organisation's base (or the list, if it runs several)."""
    bases = list(db.session.scalars(funds_query.visible_bases(current_user)).unique())
    if len(bases) == 1:
        return redirect(url_for("applicant.funds_base", base_id=bases[0].id))
    return render_template("funds/my_bases.html", area="applicant", bases=bases)


@roles_required(APPLICANT)
def funds_base(base_id: int):
    """The base's allocations, figures and entries."""
    return render_template("funds/base.html", area="applicant", **shared.base_context(shared.get_base(base_id)))


@roles_required(APPLICANT)
def funds_export_base(base_id: int):
    """XLSX of the base and one year."""
    return shared.export_base_year(shared.get_base(base_id))


@roles_required(APPLICANT)
def funds_new_entry(allocation_id: int):
    """Record one payment with its voucher scan; one submit of the form is one entry (its one-time
    token is consumed in the same transaction as the entry)."""
    allocation = _operated_allocation(allocation_id)
    form = ExpenditureForm()
    purpose = f"expenditure:{allocation.id}"
    if not form.is_submitted():
        form.form_token.data = form_tokens.issue(purpose, shared.user())
    if form.validate_on_submit():
        data = funds_ledger.ExpenditureInput(date=form.date.day, project=form.project.data, category=form.category.data,
                                      amount_fen=form.amount.fen, payee=form.payee.data,
                                      voucher_no=form.voucher_no.data or "", explanation=form.explanation.data or "")
        created: list[Expenditure] = []

        def record():
            used = form_tokens.consume(form.form_token.data, purpose, shared.user())
            voucher = None
            if form.voucher.data and form.voucher.data.filename:
                voucher = store_upload(form.voucher.data, purpose="voucher", actor_id=current_user.id,
                                       allowed=VOUCHER_KINDS)
            entry = funds_ledger.record_expenditure(allocation, data, voucher=voucher, actor=shared.user())
            used.object_id = entry.id
            created.append(entry)

        refused = attempt(record)
        if isinstance(refused.error, form_tokens.FormAlreadySubmitted):
            flash(refused.lines[0], "info")
            if refused.error.object_id is not None:
                return redirect(url_for("applicant.funds_entry", entry_id=refused.error.object_id))
            return redirect(url_for("applicant.funds_base", base_id=allocation.base_id))
        if not refused:
            flash(gettext("支出已登记，等待主管部门核实"), "success")
            return redirect(url_for("applicant.funds_entry", entry_id=created[0].id))
        # shown beside the field it concerns, the input kept
        if isinstance(refused.error, form_tokens.FormTokenInvalid):
            form.form_errors.extend(refused.lines)
            form.form_token.data = form_tokens.issue(purpose, shared.user())
        else:
            if isinstance(refused.error, UploadRejected):
                target = form.voucher
            else:
                target = form._fields.get(getattr(refused.error, "field", None) or "") or form.amount
            target.errors = list(refused.lines)
    title = gettext("登记支出：%(year)s年资金", year=allocation.year)
    return render_template("funds/form.html", area="applicant", form=form, title=title, subject=[allocation.document_no],
                           base=allocation.base, multipart=True)


@roles_required(APPLICANT)
def funds_template():
    """The import template."""
    return shared.xlsx_response(funds_import.template_bytes(lang=current_language(), tr=gettext),
                                gettext("支出明细导入模板.xlsx"))


@roles_required(APPLICANT)
def funds_import_entries(allocation_id: int):
    """Import entries from the template: all rows or none, with a per-row, per-column report."""
    allocation = _operated_allocation(allocation_id)
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            form.file.errors = ["请选择要导入的Excel文件"]
        else:
            outcome = []
            refused = attempt(lambda: outcome.append(funds_import.import_expenditures(
                allocation, upload.read(), actor=shared.user(), filename=upload.filename)))
            form.file.errors = list(refused.lines)
            result = outcome[0] if outcome else None
            if result is not None and result.ok:
                flash(gettext("导入完成：新增 %(created)s 条，已存在跳过 %(skipped)s 条",
                              created=result.created, skipped=result.skipped), "success")
                return redirect(url_for("applicant.funds_base", base_id=allocation.base_id))
            if result is not None:
                discard_changes()  # all rows or none: the per-row report is shown, nothing is kept
    return render_template("funds/import.html", area="applicant", form=form, allocation=allocation, result=result)


@roles_required(APPLICANT)
def funds_entry(entry_id: int):
    """One entry: attach its voucher while pending, reverse it once verified."""
    return shared.entry_page("applicant", entry_id, voucher_form=VoucherForm(), reverse_form=ReverseForm())


@roles_required(APPLICANT)
def funds_voucher(entry_id: int):
    """Download the voucher scan."""
    entry = shared.get_entry(entry_id)
    return send_stored(entry.voucher_file) if entry.voucher_file else abort(404)


@roles_required(APPLICANT)
def funds_attach_voucher(entry_id: int):
    """Attach the voucher scan of a pending entry."""
    entry = _operated_entry(entry_id)
    form = VoucherForm()
    valid = form.validate_on_submit()
    upload = form.voucher.data
    if valid and (upload is None or not upload.filename):
        flash(gettext("请选择凭证扫描件"), "danger")
    elif valid and not can_attach_voucher(current_user, entry):
        flash(gettext("已核实或已驳回的支出不能再修改凭证"), "danger")  # checked before the file is stored
    elif valid:
        refusal_returns_to(url_for("applicant.funds_entry", entry_id=entry_id))
        stored = store_upload(upload, purpose="voucher", actor_id=current_user.id, allowed=VOUCHER_KINDS)
        funds_ledger.attach_voucher(entry, stored, actor=shared.user(), expected_version=form.expected_version)
        flash(gettext("凭证扫描件已上传"), "success")
    else:
        shared.flash_form_errors(form, gettext("请选择凭证扫描件"))
    return redirect(url_for("applicant.funds_entry", entry_id=entry_id))


@roles_required(APPLICANT)
def funds_reverse(entry_id: int):
    """Record the reversing entry of a verified payment (the authority verifies it)."""
    entry = _operated_entry(entry_id)
    form = ReverseForm()
    if not form.validate_on_submit():
        shared.flash_form_errors(form, gettext("请填写冲销日期和理由"))
        return redirect(url_for("applicant.funds_entry", entry_id=entry_id))
    refusal_returns_to(url_for("applicant.funds_entry", entry_id=entry_id))
    reversal = funds_ledger.reverse_expenditure(entry, reason=form.reason.data, date=form.date.day,
                                                actor=shared.user())
    db.session.flush()
    flash(gettext("冲销分录已登记，等待主管部门核实"), "success")
    return redirect(url_for("applicant.funds_entry", entry_id=reversal.id))
