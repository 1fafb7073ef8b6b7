"""/review: the expert reviewer's workspace (assignments and score sheets)."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..models import Role
from ..permissions import roles_required

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/")
@roles_required(Role.REVIEWER)
def home():
    """The reviewer's assignments."""
    return render_template("review/home.html")
