"""/authority/results: the jurisdiction's results of a call, once they were announced."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Call, CallAnnouncement, Role
from ...permissions import roles_required
from ...services import decisions as dec
from ..common.decisions import load_call


@roles_required(Role.AUTHORITY)
def results_index():
    """The calls whose results were announced (the only ones whose results an authority sees)."""
    calls = db.session.scalars(select(Call).join(CallAnnouncement, CallAnnouncement.call_id == Call.id)
                               .order_by(CallAnnouncement.announced_at.desc())).all()
    return render_template("authority/results_index.html", calls=calls)


@roles_required(Role.AUTHORITY)
def call_results(code: str):
    """The jurisdiction's results of a call, only after the announcement."""
    call = load_call(code)
    if dec.announcement(call) is None:
        abort(404)
    rows = dec.authority_results(call, current_user.authority_code)
    return render_template("authority/results.html", call=call, rows=rows, labels=dec.category_labels(call))
