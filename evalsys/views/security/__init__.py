"""/security: the security admin creates accounts, changes roles, disables and unlocks, resets passwords
and second factors of staff accounts.

The blueprint, its menu and its URL table: every URL of the audience is listed here; the
feature modules hold the view functions and do not know the blueprint."""
from __future__ import annotations

from flask import Blueprint

from ..common.navigation import N_
from . import accounts, api_tokens, resets, totp

bp = Blueprint("security", __name__, url_prefix="/security")

#: The audience's menu, in the order it is shown (the notifications entry follows for every role).
MENU = [
    ("security.home", N_("账户管理")),
    ("security.create", N_("新建账户")),
    ("security.reviewers", N_("评审专家账户")),
]

# The account page shows the second-factor status through this template global.
bp.app_template_global("totp_status")(totp.totp_status)
bp.app_template_global("api_token_status")(api_tokens.api_token_status)

# accounts
bp.add_url_rule("/", endpoint="home", view_func=accounts.home)
bp.add_url_rule("/users/new", endpoint="create", view_func=accounts.create, methods=["GET", "POST"])
bp.add_url_rule("/users/<int:user_id>", endpoint="detail", view_func=accounts.detail)
bp.add_url_rule("/users/<int:user_id>/role",
                endpoint="change_role", view_func=accounts.change_role, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>/<any(disable,enable):action>",
                endpoint="change_state", view_func=accounts.change_state, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>/unlock", endpoint="unlock", view_func=accounts.unlock, methods=["POST"])
bp.add_url_rule("/reviewers", endpoint="reviewers", view_func=accounts.reviewers)
bp.add_url_rule("/reviewers/<int:profile_id>/activate",
                endpoint="activate_reviewer", view_func=accounts.activate_reviewer, methods=["GET", "POST"])

# resets
bp.add_url_rule("/users/<int:user_id>/reset", endpoint="reset_page", view_func=resets.reset_page)
bp.add_url_rule("/users/<int:user_id>/reset/<any(link,temporary):method>",
                endpoint="reset_do", view_func=resets.reset_do, methods=["POST"])

# totp
bp.add_url_rule("/users/<int:user_id>/totp/reset",
                endpoint="reset_second_factor", view_func=totp.reset_second_factor, methods=["POST"])

# api tokens
bp.add_url_rule("/users/<int:user_id>/api-tokens",
                endpoint="create_api_token", view_func=api_tokens.create_api_token, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>/api-tokens/<int:token_id>/revoke",
                endpoint="revoke_api_token", view_func=api_tokens.revoke_api_token, methods=["POST"])
