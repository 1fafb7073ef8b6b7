"""The state between the password step and the code step of a two-factor login.

It lives in the signed session cookie (user id, start time, where to go next) and holds no secret;
nobody is logged in while it exists, and it expires after TOTP_PENDING_TIMEOUT.
"""
from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, redirect, session, url_for

from ...extensions import db
from ...hooks import is_safe_next
from ...models import User
from ...models.types import utcnow


PENDING_KEY = "totp_pending"


def begin_second_factor(user: User, nxt: str | None, restored: bool):
    """Forget the anonymous session and ask for the code."""
    session.clear()
    session[PENDING_KEY] = {"uid": user.id, "at": int(utcnow().timestamp()), "pw": _password_mark(user),
                            "next": nxt if is_safe_next(nxt) else None, "restored": bool(restored)}
    return redirect(url_for("auth.login_code"))


def _password_mark(user: User) -> str:
    """A short mark of the password hash: a password changed or reset meanwhile voids the pending login."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def pending_state() -> dict[str, Any] | None:
    """The pending login, or None when there is none or it expired (then it is dropped)."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("uid", "at")):
        return None
    age = utcnow().timestamp() - data["at"]
    if age < 0 or age > current_app.config["TOTP_PENDING_TIMEOUT"].total_seconds():
        session.pop(PENDING_KEY, None)
        return None
    return data


def pending_user() -> User | None:
    """The account whose password passed and whose code is awaited."""
    data = pending_state()
    user = db.session.get(User, data["uid"]) if data else None
    if user is None or data.get("pw") != _password_mark(user):
        clear_pending()
        return None
    return user


def clear_pending() -> None:
    """Drop the pending login (lockout, timeout, success)."""
    session.pop(PENDING_KEY, None)
