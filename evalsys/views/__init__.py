"""Blueprints, one package per URL prefix (audience): auth, public, applicant, authority, review, admin,
security, audit. Each package's __init__ owns its blueprint, its menu and its URL table; shared page
helpers live in views/common."""
from __future__ import annotations

import functools

from flask import Flask, redirect

from .. import permissions
from ..services import totp
from ..models import Role
from . import admin, applicant, audit, auth, authority, public, review, security
from .common import states, urls
from .common.navigation import HOME_ENDPOINTS, N_, home_url

__all__ = ["BLUEPRINT_PACKAGES", "HOME_ENDPOINTS", "NAV", "N_", "home_url", "nav_items",
           "register_blueprints"]

#: Registered in this order.
BLUEPRINT_PACKAGES = (auth, public, applicant, authority, review, admin, security, audit)

#: Each role's menu, as its audience package declares it.
NAV = {
    Role.APPLICANT: applicant.MENU,
    Role.AUTHORITY: authority.MENU,
    Role.REVIEWER: review.MENU,
    Role.ADMIN: admin.MENU,
    Role.SECADMIN: security.MENU,
    Role.AUDITOR: audit.MENU,
}


def _public_wrapper(view):
    """Static-file views are bound methods, which take no attributes: declare a wrapper instead."""

    @functools.wraps(view)
    def serve(*args, **kwargs):
        return view(*args, **kwargs)

    return permissions.public(serve)


def register_blueprints(app: Flask) -> None:
    """Register every blueprint and declare Flask's own static endpoints public."""
    for package in BLUEPRINT_PACKAGES:
        app.register_blueprint(package.bp)

    for endpoint in ("static", "bootstrap.static"):
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = _public_wrapper(app.view_functions[endpoint])

    @app.route("/")
    @permissions.public
    def root():
        return redirect(home_url())

    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals.update(row_url=urls.row_url, asset_url=urls.asset_url, fixed_url=urls.fixed_url)
    app.jinja_env.globals.update(permissions.template_rules())  # templates ask the rules, not state strings
    app.jinja_env.globals.update(states.template_globals())  # and show a state as it looks, chosen once
    app.jinja_env.globals["uses_second_factor"] = totp.eligible  # the roles that enrol a second factor


_menus: dict[tuple, list[tuple[str, str, str]]] = {}


def nav_items(user) -> list[tuple[str, str, str]]:
    """Navigation entries of a role (only pages that role may open), then the notifications: (endpoint, label,
    address), built once per role, language and mount point (every page shows the menu)."""
    from flask import request, url_for
    from flask_babel import get_locale
    from ..i18n import gettext

    key = (user.role, str(get_locale()), request.script_root)
    menu = _menus.get(key)
    if menu is None:
        entries = [*NAV.get(user.role, []), ("auth.notifications", "站内通知")]
        menu = _menus[key] = [(endpoint, gettext(label), url_for(endpoint)) for endpoint, label in entries]
    return menu
