"""Flask-Login wiring: the cookie carries a session token, resolved against the user_sessions table."""
from __future__ import annotations

from flask import Flask, g

from .extensions import login_manager
from .services.auth import load_session


def configure_login(app: Flask) -> None:
    """Resolve session tokens; no remember-me cookie, no IP binding (offices share addresses)."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = None

    @login_manager.user_loader
    def _load(token: str):
        found = load_session(token)
        if found.user is None and found.expired_user_id:
            g.expired_user_id = found.expired_user_id
        g.has_form_stash = found.has_form_stash
        return found.user
