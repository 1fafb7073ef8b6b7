"""/public/cases: approved demonstration bases and enterprises, and their published typical cases."""
from __future__ import annotations

from flask import abort, render_template, request

from ...extensions import db
from ...models import CaseState, TypicalCase
from ...pagination import paginate
from ...permissions import public
from ...services import typical_cases as svc
from ..common.cases import case_page, image_response


@public
def cases():
    """Approved demonstration bases and enterprises by authority, with their published typical cases."""
    kind = request.args.get("kind", "")
    kind = kind if kind in ("base", "enterprise") else ""
    page = paginate(svc.directory_query(kind or None), per_page=50)
    entries = svc.directory_entries(page.items)
    return render_template("cases/public_list.html", page=page, entries=entries, kind=kind)


@public
def case_detail(case_id: int):
    """A published typical case."""
    case = db.session.get(TypicalCase, case_id)
    if case is None or case.state != CaseState.PUBLISHED:
        abort(404)
    return case_page(case, "public")


@public
def case_image(image_id: int):
    """An image of a published case (re-encoded, without metadata)."""
    return image_response(image_id, published_only=True)
