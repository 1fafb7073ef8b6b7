"""/authority/cases: the jurisdiction's typical cases; the authority approves them or returns them."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ...models import CaseState, Role
from ...pagination import paginate
from ...permissions import roles_required
from ...services import case_query
from ...services import typical_cases as svc
from ..common.cases import case_list, image_response, list_names, review


@roles_required(Role.AUTHORITY)
def cases():
    """The jurisdiction's typical cases, those waiting for the authority first."""
    lst = case_list("authority.cases")
    page = paginate(case_query.jurisdiction_cases(current_user.authority_code, lst.query))
    return render_template("cases/review_list.html", page=page, lst=lst, base="authority", **list_names(page.items))


@roles_required(Role.AUTHORITY)
def case_detail(case_id: int):
    """Review one case of the jurisdiction: approve (on to the ministry) or return with a reason."""
    return review(case_id, "authority", svc.authority_decide, CaseState.SUBMITTED)


@roles_required(Role.AUTHORITY)
def case_image(image_id: int):
    """An image of a case of the jurisdiction."""
    return image_response(image_id, published_only=False)
