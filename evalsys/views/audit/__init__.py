"""/audit: the auditor browses, filters and exports the audit trail, and sees nothing else.

The blueprint, its menu and its URL table: every URL of the audience is listed here; the
feature modules hold the view functions and do not know the blueprint."""
from __future__ import annotations

from flask import Blueprint

from ..common.navigation import N_
from . import log

bp = Blueprint("audit", __name__, url_prefix="/audit")

#: The audience's menu, in the order it is shown (the notifications entry follows for every role).
MENU = [
    ("audit.home", N_("审计日志")),
]

# log
bp.add_url_rule("/", endpoint="home", view_func=log.home)
bp.add_url_rule("/export.<any(csv,xlsx):fmt>", endpoint="export", view_func=log.export)
