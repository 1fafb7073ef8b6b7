"""One-time form tokens: one submit of a form is one entry.

A token is issued with the form (signed with the app's secret, bound to the user and the form's
purpose, valid for a day) and consumed in the same transaction as what the form creates, by
inserting its nonce into `used_form_tokens`, whose unique index refuses a second insert. A
repeated or concurrent submit of the same form therefore fails at the insert (on PostgreSQL the
second insert waits for the first transaction and then fails; SQLite serialises the writers), and
the caller sends it to what the first submit created.
"""
from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain.errors import DomainError, N_
from ..extensions import db
from ..models import UsedFormToken, User

MAX_AGE_SECONDS = 24 * 3600


class FormTokenInvalid(DomainError):
    """A token that is missing, forged, expired or for another user or form."""

    status = 400

    def __init__(self) -> None:
        super().__init__(N_("表单已过期或无效，请重新打开页面后填写"))


class FormAlreadySubmitted(DomainError):
    """The form was submitted before; `object_id` is what that submit created (None if unknown)."""

    def __init__(self, object_id: int | None) -> None:
        super().__init__(N_("该表单已提交过，未重复登记"))
        self.object_id = object_id


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="evalsys-form-token")


def issue(purpose: str, user: User) -> str:
    """A fresh token for one rendering of a form."""
    return _serializer().dumps({"n": secrets.token_urlsafe(24), "p": purpose, "u": user.id})


def _nonce(token: str | None, purpose: str, user: User) -> str:
    try:
        data = _serializer().loads(token or "", max_age=MAX_AGE_SECONDS)
    except BadSignature:
        raise FormTokenInvalid() from None
    if not isinstance(data, dict) or data.get("p") != purpose or data.get("u") != user.id:
        raise FormTokenInvalid()
    return str(data.get("n", ""))[:64]


def consume(token: str | None, purpose: str, user: User) -> UsedFormToken:
    """Mark the token used in the current transaction; raise FormAlreadySubmitted if it was used.
    Set `object_id` on the returned row once the entry exists."""
    nonce = _nonce(token, purpose, user)
    row = UsedFormToken(nonce=nonce, purpose=purpose, user_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        earlier = db.session.scalar(select(UsedFormToken.object_id).where(UsedFormToken.nonce == nonce))
        raise FormAlreadySubmitted(earlier) from None
    return row
