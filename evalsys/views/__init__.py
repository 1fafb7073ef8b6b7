"""Blueprints, one per URL prefix (audience): auth, public, applicant, authority, review, admin, security, audit."""
from __future__ import annotations

import functools

from flask import Flask, redirect, url_for
from flask_login import current_user

from ..models import Role
from .. import permissions

HOME_ENDPOINTS = {
    Role.APPLICANT: "applicant.home",
    Role.AUTHORITY: "authority.home",
    Role.REVIEWER: "review.home",
    Role.ADMIN: "admin.home",
    Role.SECADMIN: "security.home",
    Role.AUDITOR: "audit.home",
}


def home_url() -> str:
    """The landing page of the current user's role, or the public front page."""
    if current_user.is_authenticated:
        return url_for(HOME_ENDPOINTS[current_user.role])
    return url_for("public.index")


def _public_wrapper(view):
    """Static-file views are bound methods, which take no attributes: declare a wrapper instead."""

    @functools.wraps(view)
    def serve(*args, **kwargs):
        return view(*args, **kwargs)

    return permissions.public(serve)


def register_blueprints(app: Flask) -> None:
    """Register every blueprint and declare Flask's own static endpoints public."""
    from . import admin, applicant, audit, auth, authority, public as public_views, review, security
    from . import admin_calls  # noqa: F401  (adds /admin/calls routes to the admin blueprint)
    from . import ranking, decisions  # noqa: F401  (/admin/calls/<code>/ranking, decisions, publicity, results)
    from . import typical_cases  # noqa: F401  (/…/cases: typical cases of approved bases and enterprises)
    from . import admin_review  # noqa: F401  (adds /admin/review routes to the admin blueprint)
    from . import admin_criteria  # noqa: F401  (adds /admin/criteria routes to the admin blueprint)
    from . import funds_admin, funds_applicant, funds_authority  # noqa: F401  (/…/funds routes)
    from . import summaries  # noqa: F401  (/admin/summaries and /authority/summaries)
    from . import auth_reset, reset_admin  # noqa: F401  (/auth/reset; resets under /security and /authority)
    from . import auth_totp, security_totp  # noqa: F401  (/auth/login/code, /auth/totp…; /security/…/totp/reset)
    from . import auth_api_tokens, security_api_tokens  # noqa: F401  (/auth/tokens; /security/users/…/api-tokens)

    from . import evaluations_admin, evaluations_applicant, evaluations_authority, evaluations_public  # noqa: F401

    for module in (auth, public_views, applicant, authority, review, admin, security, audit):
        app.register_blueprint(module.bp)

    for endpoint in ("static", "bootstrap.static"):
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = _public_wrapper(app.view_functions[endpoint])

    @app.route("/")
    @permissions.public
    def root():
        return redirect(home_url())

    app.jinja_env.globals["nav_items"] = nav_items


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogues; it is translated where it is shown."""
    return message


NAV = {
    Role.APPLICANT: [("applicant.home", N_("本单位")),
                     ("applicant.funds_home", N_("基地资金"))],
    Role.AUTHORITY: [("authority.home", N_("工作台")), ("authority.applications", N_("申报推荐")),
                     ("authority.organisations", N_("申报单位核验")),
                     ("authority.summaries", N_("工作总结")), ("authority.funds_home", N_("专项资金"))],
    Role.REVIEWER: [("review.home", N_("评审任务"))],
    Role.ADMIN: [("admin.home", N_("管理首页")), ("admin.calls", N_("申报批次")), ("admin.summaries", N_("工作总结")),
                 ("admin.criteria", N_("指标体系")), ("admin.funds_home", N_("专项资金"))],
    Role.SECADMIN: [("security.home", N_("账户管理")), ("security.create", N_("新建账户"))],
    Role.AUDITOR: [("audit.home", N_("审计日志"))],
}


# Performance evaluation (issue 7).
NAV[Role.APPLICANT].append(("applicant.evaluations", N_("绩效评价")))
NAV[Role.AUTHORITY].append(("authority.evaluations", N_("绩效评价")))
NAV[Role.ADMIN].append(("admin.evaluation_rounds", N_("绩效评价")))


# Expert review (issue 5).
NAV[Role.ADMIN].insert(2, ("admin.review_calls", N_("专家评审")))
NAV[Role.REVIEWER].append(("review.conflicts", N_("回避声明")))
NAV[Role.SECADMIN].append(("security.reviewers", N_("评审专家账户")))
NAV[Role.APPLICANT].append(("applicant.cases", N_("典型案例")))
NAV[Role.AUTHORITY] += [("authority.results_index", N_("评审结果")), ("authority.cases", N_("典型案例"))]
NAV[Role.ADMIN].append(("admin.cases", N_("典型案例")))


# Password reset (issue 8).
NAV[Role.AUTHORITY].append(("authority.accounts", N_("单位账户")))


def nav_items(user) -> list[tuple[str, str]]:
    """Navigation entries of a role (only pages that role may open), then the notifications."""
    from flask_babel import gettext

    return [(endpoint, gettext(label)) for endpoint, label in NAV.get(user.role, [])] + \
        [("auth.notifications", gettext("站内通知"))]
