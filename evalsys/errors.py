"""Error pages in Chinese with an incident id; never a traceback. Refusals are audited."""
from __future__ import annotations

import uuid

from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, render_template, request
from markupsafe import escape
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from .boundary import STALE_MESSAGE, record_refusal
from .domain.errors import DomainError
from .domain.marking import N_
from .extensions import db
from .i18n import current_language, gettext, refusal_lines
from .services import audit


TITLES = {
    400: N_("请求无效"),
    403: N_("无权访问"),
    404: N_("页面不存在"),
    405: N_("不支持的请求方式"),
    409: N_("操作冲突"),
    413: N_("上传内容过大"),
    422: N_("无法接受的内容"),
    429: N_("请求过于频繁"),
    500: N_("系统内部错误"),
}
DEFAULT_MESSAGES = {
    400: N_("请求无法处理，请返回上一页重试。"),
    403: N_("您没有执行此操作的权限。"),
    404: N_("您访问的页面不存在或已被删除。"),
    405: N_("该地址不接受此种请求方式。"),
    409: N_("当前状态不允许此操作。"),
    413: N_("上传的文件超过大小限制（每个文件不超过20MB）。"),
    422: N_("提交的内容无法接受，请检查后重试。"),
    429: N_("请求过于频繁，请稍后再试。"),
    500: N_("系统发生错误，请稍后重试。如问题持续，请将事件编号告知管理员。"),
}


def render_error(code: int, message: str | None = None):
    """The error page for an HTTP status, with the request's incident id."""
    incident = g.get("request_id") or str(uuid.uuid4())
    title = gettext(TITLES[code]) if code in TITLES else gettext("错误")
    text = message or (gettext(DEFAULT_MESSAGES[code]) if code in DEFAULT_MESSAGES else "")
    try:
        html = render_template("errors/error.html", code=code, title=title, message=text, incident=incident)
    except Exception:  # the layout itself failed (e.g. a broken navigation entry): a bare page, never a traceback
        current_app.logger.exception("error page for %s failed to render (incident %s)", code, incident)
        html = (f"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>{escape(title)}</title>"
                f"<h1>{escape(title)}</h1><p>{escape(text)}</p><p>事件编号：{escape(incident)}</p></html>")
    return html, code


def _description(e: HTTPException) -> str | None:
    """Our own aborts carry a Chinese description; werkzeug's English defaults are not shown."""
    desc = e.description
    if not desc or desc == type(e).description:
        return None
    return str(desc)


def page_of_action() -> str | None:
    """The same-site page the refused form was posted from (its Referer), if it is safe to return to."""
    from .hooks import is_safe_next

    ref = request.referrer
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return None
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return target if is_safe_next(target) and parts.path != request.path else None


def _refuse(lines: list[str], status: int):
    """Roll back; a posted action returns to the page it came from with each line shown there; a page
    that cannot be shown explains why on the error page."""
    db.session.rollback()
    g.keep_nothing = True  # the redirect is a success status, yet nothing of the request is kept
    back = page_of_action() if request.method not in ("GET", "HEAD") else None
    back = back or g.get("page_of_action")  # the page the view named for its action
    if back is None:
        separator = "; " if current_language() == "en" else "；"
        return render_error(status if status in TITLES else 409, separator.join(lines) or None)
    for line in lines:
        flash(line, "danger")
    return redirect(back)


def show_refusal(e: DomainError):
    """An expected refusal: nothing of the request is kept; shown where the action was taken."""
    record_refusal(e.message)
    return _refuse(refusal_lines(e), e.status)


def register_error_handlers(app: Flask) -> None:
    """Install handlers for the statuses the UI knows and for every unexpected exception."""
    from .api import errors as api_errors
    from .api.errors import is_api_request

    app.register_error_handler(DomainError, show_refusal)

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError):
        audit.record_security("csrf_failure", outcome="failure", detail={"path": request.path})
        return render_error(400, "页面已过期或请求来源无效，请刷新页面后重试。")

    @app.errorhandler(StaleDataError)
    def _stale(e: StaleDataError):
        audit.record_security("stale_edit", outcome="failure", detail={"path": request.path})
        return _refuse([gettext(STALE_MESSAGE)], 409)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if is_api_request():  # an /api address no API view matched (404, 405): problem+json too
            return api_errors.handle_http_exception(e)
        code = e.code or 500
        if code == 403:
            audit.record_security("access_denied", outcome="failure",
                                  detail={"endpoint": request.endpoint, "path": request.path})
        if code == 429:
            audit.record_security("rate_limited", outcome="failure", detail={"path": request.path})
        if code in TITLES:
            return render_error(code, _description(e))
        return e

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        if is_api_request():
            return api_errors.handle_unexpected(e)
        db.session.rollback()  # the page itself may need the database (navigation, current user)
        current_app.logger.exception("incident %s at %s", g.get("request_id"), request.path)
        return render_error(500)

    # Werkzeug raises InternalServerError around unhandled errors in some paths; same page.
    app.register_error_handler(InternalServerError, lambda e: render_error(500))
