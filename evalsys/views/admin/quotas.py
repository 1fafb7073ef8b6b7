"""/admin/calls/<code>/quotas: the recommendation quota of each of the 37 authorities, prefilled with
the call's default; the ministry gives an authority its own figure (a large province, a city)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ...boundary import attempt
from ...forms.base import BaseForm
from ...i18n import gettext
from ...models import Role
from ...permissions import roles_required
from ...services import quotas
from ...services.calls import find_call
from ..common.funds import user


class QuotaForm(BaseForm):
    """CSRF only: the 37 figures are read by authority code (one input per row of the table)."""


@roles_required(Role.ADMIN)
def call_quotas(code: str):
    """The 37-row quota table: show it, or save the figures (a figure equal to the default follows it)."""
    call = find_call(code) or abort(404)
    form = QuotaForm()
    rows = quotas.quota_table(call)
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    if form.validate_on_submit():
        figures: dict[str, int | None] = {}
        for row in rows:
            text = (request.form.get(f"quota-{row.code}") or "").strip()
            typed[row.code] = text
            if not text:
                figures[row.code] = None
            elif text.isascii() and text.isdigit() and len(text) <= 6:
                figures[row.code] = int(text)
            else:
                errors[row.code] = f"{row.name}：请填写0或正整数"
        if not errors:
            saved: list[dict] = []
            refused = attempt(lambda: saved.append(quotas.set_authority_quotas(call, figures, actor=user())))
            if not refused:
                flash(gettext("推荐名额已保存（调整 %(n)s 个推荐单位）", n=len(saved[0])), "success")
                return redirect(url_for("admin.call_quotas", code=call.code))
            errors = refused.field_errors()
    return render_template("admin/call_quotas.html", call=call, rows=rows, form=form, errors=errors, typed=typed), \
        (422 if errors else 200)
