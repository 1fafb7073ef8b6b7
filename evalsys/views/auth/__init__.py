"""/auth: login (password, then the second factor), logout, applicant registration, password change and
reset, second-factor enrolment and recovery codes, notifications.

The blueprint and its URL table: every URL of the audience is listed here; the
feature modules hold the view functions and do not know the blueprint."""
from __future__ import annotations

from flask import Blueprint

from . import api_tokens, login, reset, totp

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Hooks of the audience's own modules.
bp.before_app_request(reset.require_password_change)
bp.before_app_request(totp.require_enrolment)

# login
bp.add_url_rule("/login", endpoint="login", view_func=login.login, methods=["GET", "POST"])
bp.add_url_rule("/logout", endpoint="logout", view_func=login.logout, methods=["POST"])
bp.add_url_rule("/register", endpoint="register", view_func=login.register, methods=["GET", "POST"])
bp.add_url_rule("/password", endpoint="password", view_func=login.password, methods=["GET", "POST"])
bp.add_url_rule("/notifications", endpoint="notifications", view_func=login.notifications)

# reset
bp.add_url_rule("/reset", endpoint="reset_request", view_func=reset.reset_request, methods=["GET", "POST"])
bp.add_url_rule("/reset/<token>", endpoint="reset_link", view_func=reset.reset_link)
bp.add_url_rule("/reset/new",
                endpoint="reset_password", view_func=reset.reset_password, methods=["GET", "POST"])

# totp
bp.add_url_rule("/login/code", endpoint="login_code", view_func=totp.login_code, methods=["GET", "POST"])
bp.add_url_rule("/totp", endpoint="totp", view_func=totp.totp)
bp.add_url_rule("/totp/start", endpoint="totp_start", view_func=totp.totp_start, methods=["POST"])
bp.add_url_rule("/totp/enrol", endpoint="totp_enrol", view_func=totp.totp_enrol, methods=["GET", "POST"])
bp.add_url_rule("/totp/recovery", endpoint="totp_recovery", view_func=totp.totp_recovery, methods=["POST"])

# api tokens
bp.add_url_rule("/tokens", endpoint="api_tokens", view_func=api_tokens.api_tokens, methods=["GET", "POST"])
bp.add_url_rule("/tokens/<int:token_id>/revoke",
                endpoint="revoke_api_token", view_func=api_tokens.revoke_api_token, methods=["POST"])
