"""/review: the expert reviewer's workspace — its own assignments only, the application (identity hidden
in a blind call, after the no-conflict confirmation), the score sheet, divergence comments, conflicts.

The blueprint, its menu and its URL table: every URL of the audience is listed here; the
feature modules hold the view functions and do not know the blueprint."""
from __future__ import annotations

from flask import Blueprint

from ..common.navigation import N_
from . import assignments

bp = Blueprint("review", __name__, url_prefix="/review")

#: The audience's menu, in the order it is shown (the notifications entry follows for every role).
MENU = [
    ("review.home", N_("评审任务")),
    ("review.conflicts", N_("回避声明")),
]

# assignments
bp.add_url_rule("/", endpoint="home", view_func=assignments.home)
bp.add_url_rule("/assignments/<int:assignment_id>", endpoint="assignment", view_func=assignments.assignment)
bp.add_url_rule("/assignments/<int:assignment_id>/confirm",
                endpoint="confirm", view_func=assignments.confirm, methods=["POST"])
bp.add_url_rule("/assignments/<int:assignment_id>/decline",
                endpoint="decline", view_func=assignments.decline, methods=["POST"])
bp.add_url_rule("/assignments/<int:assignment_id>/sheet",
                endpoint="sheet", view_func=assignments.sheet, methods=["POST"])
bp.add_url_rule("/assignments/<int:assignment_id>/divergence",
                endpoint="divergence", view_func=assignments.divergence, methods=["POST"])
bp.add_url_rule("/assignments/<int:assignment_id>/attachments/<int:attachment_id>",
                endpoint="attachment", view_func=assignments.attachment)
bp.add_url_rule("/conflicts", endpoint="conflicts", view_func=assignments.conflicts, methods=["GET", "POST"])
