"""/admin/cases: every typical case; the ministry publishes those an authority approved, or returns them."""
from __future__ import annotations

from flask import render_template

from ...models import CaseState, Role
from ...pagination import paginate
from ...permissions import roles_required
from ...services import case_query
from ...services import typical_cases as svc
from ..common.cases import case_list, image_response, list_names, review


@roles_required(Role.ADMIN)
def cases():
    """Every typical case, those approved by their authority first."""
    lst = case_list("admin.cases", authorities=True)
    page = paginate(case_query.all_cases(lst.query))
    return render_template("cases/review_list.html", page=page, lst=lst, base="admin", **list_names(page.items))


@roles_required(Role.ADMIN)
def case_detail(case_id: int):
    """Publish a case its authority approved, or return it with a reason."""
    return review(case_id, "admin", svc.admin_decide, CaseState.AUTHORITY_APPROVED)


@roles_required(Role.ADMIN)
def case_image(image_id: int):
    """An image of any case."""
    return image_response(image_id, published_only=False)
