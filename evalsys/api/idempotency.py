"""`Idempotency-Key` for the API's writes: a retried request gets the stored answer, never a second effect.

The key row is inserted first, in the same transaction as the change, under a unique constraint on
(account, key): a concurrent identical request waits for that transaction (the row lock on
PostgreSQL, the write lock on SQLite), then finds the committed row and replays its answer. Only
successful answers are stored; a refused request leaves no row and may be corrected and retried.
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotencyKey
from .auth import current_api_user
from .errors import ApiProblem

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
MAX_KEY = 200


def fingerprint() -> str:
    """Method, path and body: JSON canonically, forms by field and files by content (a new multipart
    boundary on retry changes nothing)."""
    h = hashlib.sha256()
    h.update(f"{request.method} {request.path}\n".encode())
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, value in sorted((str(k), str(v)) for k, v in request.form.items(multi=True)):
            h.update(json.dumps(["f", name, value]).encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda kv: str(kv[0])):
            data = upload.stream.read()
            upload.stream.seek(0)
            h.update(json.dumps(["u", str(name), str(upload.filename or ""),
                                 hashlib.sha256(data).hexdigest()]).encode())
    else:
        raw = request.get_data(cache=True)
        try:
            h.update(json.dumps(json.loads(raw), sort_keys=True).encode())
        except (ValueError, TypeError, RecursionError):
            h.update(raw)
    return h.hexdigest()


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY or not all(0x20 < ord(c) < 0x7F for c in key):
        raise ApiProblem(422, f"{HEADER} 应为1至{MAX_KEY}个可打印ASCII字符（不含空格）。", kind="validation-error",
                         errors={HEADER: ["幂等键格式无效"]})
    return key


def _find(user_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                          IdempotencyKey.key == key))


def _replay(row: IdempotencyKey, fp: str) -> Response:
    if row.fingerprint != fp:
        raise ApiProblem(422, "该幂等键已用于另一个不同的请求，请为新请求使用新的幂等键。", kind="idempotency-key-reused")
    if row.status_code is None:
        raise ApiProblem(409, "使用该幂等键的请求正在处理中，请稍后重试。", kind="idempotency-in-progress")
    response = Response(row.body or "", status=row.status_code,
                        mimetype=row.content_type or "application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: F) -> F:
    """Make a write view idempotent under `Idempotency-Key`; the view flushes, this commits once."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        key = _key()
        if key is None:
            response = current_app.make_response(view(*args, **kwargs))
            db.session.commit()
            return response
        user_id = current_api_user().id
        fp = fingerprint()
        existing = _find(user_id, key)
        if existing is not None:
            return _replay(existing, fp)
        row = IdempotencyKey(user_id=user_id, key=key, fingerprint=fp, method=request.method,
                             path=request.path[:300])
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            # Another request with this key committed first (we waited for it): answer as it did.
            db.session.rollback()
            existing = _find(user_id, key)
            if existing is None:
                raise ApiProblem(409, "使用该幂等键的请求正在处理中，请稍后重试。",
                                 kind="idempotency-in-progress") from None
            return _replay(existing, fp)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code >= 400:
            db.session.rollback()
            return response
        row.status_code = response.status_code
        row.content_type = response.mimetype
        row.body = response.get_data(as_text=True)
        db.session.commit()
        return response

    return wrapper  # type: ignore[return-value]
