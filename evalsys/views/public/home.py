"""/public: the front page and the interface language."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request

from ...forms.security import ConfirmForm
from ...hooks import is_safe_next
from ...permissions import public
from ..common.navigation import home_url


@public
def index():
    """The front page: what the system is for and where to log in."""
    return render_template("public/index.html")


@public
def set_language(code: str):
    """Remember the chosen interface language in a cookie."""
    form = ConfirmForm()
    nxt = request.form.get("next")
    response = redirect(nxt if is_safe_next(nxt) else home_url())
    if form.validate_on_submit() and code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 86400, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
