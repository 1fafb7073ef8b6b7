"""Cursor pagination: `{"items": [...], "next": "<url>" | null}`; the cursor is opaque (the last id)."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import request, url_for
from sqlalchemy import Select

from ..extensions import db
from .errors import ApiProblem


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id after which the page starts; 422 for anything that is not a cursor this API made."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw.decode()).get("after")
    except (binascii.Error, ValueError, UnicodeDecodeError, AttributeError):
        after = None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= 2**63 - 1:
        raise ApiProblem(422, "分页游标无效，请使用上一页返回的 next 链接。", kind="validation-error",
                         errors={"cursor": ["分页游标无效"]})
    return after


def page(stmt: Select, id_column, args: dict, serialise, **url_values: Any) -> dict:
    """One page of `stmt` in id order after the cursor; `serialise(row)` makes an item."""
    limit = args["limit"]
    after = decode_cursor(args.get("cursor"))
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows = list(db.session.scalars(stmt.order_by(id_column).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = None
    if more:
        extra = {k: v for k, v in request.args.items() if k not in ("cursor", "limit")}
        nxt = url_for(request.endpoint, **url_values, **extra, cursor=encode_cursor(rows[-1].id), limit=limit,
                      _external=True)
    return {"items": [serialise(r) for r in rows], "next": nxt}
