"""What the typical-case pages of several audiences share: loading with the object check, the review
step, the list control and names, the case page and inline images (re-encoded on upload, so the bytes are the
system's own; the public pages serve only images of published cases)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...forms.typical_cases import CaseDecisionForm
from ...i18n import gettext, gettext as _
from ...listing import Filter, list_control
from ...models import CaseState, TypicalCase, TypicalCaseImage
from ...permissions import can_view_case
from ...services import case_query
from ...services.authority_list import authority_names
from ...services import typical_cases as svc
from ...services.files import read_verified


def act(fn, *args, **kwargs):
    """One service call; refusals become 409 with their Chinese message, then one commit."""
    fn(*args, **kwargs)


def load_case(case_id: int) -> TypicalCase:
    case = db.session.get(TypicalCase, case_id) or abort(404)
    if not can_view_case(current_user, case):
        abort(403)
    return case


def image_response(image_id: int, *, published_only: bool) -> Response:
    img = db.session.get(TypicalCaseImage, image_id) or abort(404)
    case = db.session.get(TypicalCase, img.case_id)
    if published_only:
        if case.state != CaseState.PUBLISHED:
            abort(404)
    elif not can_view_case(current_user, case):
        abort(403)
    response = Response(read_verified(img.file), mimetype=img.file.mime)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response


def case_list(endpoint: str, *, authorities: bool = False):
    """The list control of a case list: search by title, organisation name or USCC, filter by state (and by
    authority on the ministry's list), sortable."""
    filters = [Filter("state", _("状态"), [(s.value, _(s.label)) for s in CaseState], _("全部状态"))]
    if authorities:
        filters.append(Filter("authority", _("推荐单位"), [(c, _(n)) for c, n in authority_names().items()],
                              _("全部推荐单位")))
    return list_control(endpoint, sorts=case_query.CASE_SORTS, search=_("标题、单位名称或统一社会信用代码"),
                        filters=filters)


def list_names(items) -> dict:
    """Organisation and authority names of one page of cases, in two queries."""
    org_ids = {c.organisation_id for c in items}
    return {"orgs": case_query.organisation_names(org_ids), "authorities": authority_names()}


def case_page(case: TypicalCase, template_base: str, **extra):
    images = svc.case_images([case.id])[case.id]
    return render_template("cases/detail.html", case=case, images=images, base=template_base, **extra)


def review(case_id: int, base: str, decide, waiting: CaseState):
    case = load_case(case_id)
    form = CaseDecisionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description="审核结果无效")
        approve = form.decision.data == "approve"
        act(decide, case, approve=approve, reason=form.reason.data, actor=current_user._get_current_object())
        flash(gettext("已审核通过。") if approve else gettext("已退回。"), "success")
        return redirect(url_for(f"{base}.case_detail", case_id=case.id))
    return case_page(case, base, form=form if case.state == waiting else None)
