"""The state between the password step and the code step of a two-factor login.

It lives in the signed session cookie (user id, start time, where to go next) and holds no secret;
nobody is logged in while it exists, and it expires after TOTP_PENDING_TIMEOUT.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, redirect, session, url_for

from ..extensions import db
from ..hooks import is_safe_next
from ..models import User
from ..models.types import utcnow

PENDING_KEY = "totp_pending"


def begin_second_factor(user: User, nxt: str | None, restored: bool):
    """Forget the anonymous session and ask for the code."""
    session.clear()
    session[PENDING_KEY] = {"uid": user.id, "at": int(utcnow().timestamp()),
                            "next": nxt if is_safe_next(nxt) else None, "restored": bool(restored)}
    return redirect(url_for("auth.login_code"))


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
    return db.session.get(User, data["uid"]) if data else None


def clear_pending() -> None:
    """Drop the pending login (lockout, timeout, success)."""
    session.pop(PENDING_KEY, None)
