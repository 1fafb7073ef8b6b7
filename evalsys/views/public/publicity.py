"""/public/publicity: the publicity of each call, open to anyone."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ...extensions import db
from ...models import Call, PublicityEntry
from ...permissions import public
from ...services import decisions as dec
from ..common.decisions import load_call


@public
def publicity(code: str):
    """The public publicity list: candidates with their authority, category and period."""
    call = load_call(code)
    return render_template("public/publicity.html", call=call, rows=dec.publicity_rows(call),
                           announced=dec.announcement(call))


@public
def publicity_index():
    """Calls whose candidates are (or were) in publicity."""
    calls = db.session.scalars(select(Call).where(Call.id.in_(select(PublicityEntry.call_id)))
                               .order_by(Call.id.desc())).all()
    return render_template("public/publicity_index.html", calls=calls)
