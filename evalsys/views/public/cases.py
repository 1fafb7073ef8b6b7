"""/public/cases: approved demonstration bases and enterprises, and their published typical cases."""
from __future__ import annotations

from flask import abort, render_template

from ...extensions import db
from ...i18n import gettext as _
from ...models import CaseState, TypicalCase
from ...listing import Filter, list_control
from ...pagination import paginate
from ...permissions import public
from ...services.authority_list import authority_names
from ...services import typical_cases as svc
from ..common.cases import case_page, image_response


@public
def cases():
    """Approved demonstration bases and enterprises by authority, with their published typical cases."""
    lst = list_control("public.cases", search=_("单位名称、统一社会信用代码或批次"),
                       filters=[Filter("kind", _("类别"), [("base", _("示范基地")), ("enterprise", _("示范企业"))],
                                       _("全部")),
                                Filter("authority", _("推荐单位"), [(c, _(n)) for c, n in authority_names().items()],
                                       _("全部推荐单位"))])
    kind = lst.query.get("kind")
    page = paginate(svc.directory_query(kind or None, lst.query), per_page=50)
    entries = svc.directory_entries(page.items)
    return render_template("cases/public_list.html", page=page, lst=lst, entries=entries, kind=kind)


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
