"""/public: pages anyone may open without logging in.

The blueprint and its URL table: every URL of the audience is listed here; the
feature modules hold the view functions and do not know the blueprint."""
from __future__ import annotations

from flask import Blueprint

from . import cases, evaluations, home, publicity

bp = Blueprint("public", __name__, url_prefix="/public")

# Hooks of the audience's own modules.
bp.url_value_preprocessor(evaluations.hash_uploads_as_streamed)

# home
bp.add_url_rule("/", endpoint="index", view_func=home.index)
bp.add_url_rule("/lang/<code>", endpoint="set_language", view_func=home.set_language, methods=["POST"])

# publicity
bp.add_url_rule("/calls/<code>/publicity", endpoint="publicity", view_func=publicity.publicity)
bp.add_url_rule("/publicity", endpoint="publicity_index", view_func=publicity.publicity_index)

# cases
bp.add_url_rule("/cases", endpoint="cases", view_func=cases.cases)
bp.add_url_rule("/cases/<int:case_id>", endpoint="case_detail", view_func=cases.case_detail)
bp.add_url_rule("/cases/images/<int:image_id>", endpoint="case_image", view_func=cases.case_image)

# evaluations
bp.add_url_rule("/verify", endpoint="verify_lookup", view_func=evaluations.verify_lookup, methods=["GET", "POST"])
bp.add_url_rule("/verify/<serial>", endpoint="verify", view_func=evaluations.verify, methods=["GET", "POST"])
