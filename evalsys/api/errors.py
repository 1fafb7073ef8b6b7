"""Errors of the API as application/problem+json (RFC 9457) with the Chinese message; never a traceback."""
from __future__ import annotations

import http
import json
import uuid

from flask import Response, current_app, g, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ..domain.errors import N_, DomainError
from ..errors import DEFAULT_MESSAGES, STALE_MESSAGE, TITLES
from ..extensions import db
from ..i18n import gettext, refusal_text
from ..services import audit

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:evalsys:problem:"

API_TITLES = {**TITLES, 401: N_("未认证"), 404: N_("资源不存在"), 415: N_("不支持的内容类型"), 422: N_("请求内容无效")}
API_MESSAGES = {
    **DEFAULT_MESSAGES,
    401: N_("请在 Authorization 请求头中提供有效的API令牌（Bearer）。"),
    404: N_("请求的资源不存在，或您无权查看。"),
    415: N_("不支持该请求内容类型。"),
    422: N_("请求内容无效，请检查各字段。"),
}


class ApiProblem(Exception):
    """Raised by API code to answer with a problem document."""

    def __init__(self, status: int, detail: str | None = None, *, kind: str | None = None,
                 errors: dict | None = None, headers: dict | None = None) -> None:
        super().__init__(detail or "")
        self.status, self.detail, self.kind, self.errors, self.headers = status, detail, kind, errors, headers


def problem(status: int, detail: str | None = None, *, kind: str | None = None, errors: dict | None = None,
            headers: dict | None = None) -> Response:
    """A problem+json response: type, title, status, detail, instance (the request id). The title and a
    default detail are in the request's language (Chinese unless it asks for English)."""
    title = gettext(API_TITLES[status]) if status in API_TITLES else _phrase(status)
    body: dict = {
        "type": PROBLEM_BASE + kind if kind else "about:blank",
        "title": title,
        "status": status,
        "detail": detail or (gettext(API_MESSAGES[status]) if status in API_MESSAGES else title),
        "instance": f"urn:uuid:{g.get('request_id') or uuid.uuid4()}",
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="evalsys"'
    return response


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "错误"


#: marshmallow's and webargs' English defaults, in Chinese.
_MESSAGES_ZH = {
    "Invalid JSON body.": "请求体不是有效的JSON",
    "Unknown field.": "不接受此字段",
    "Missing data for required field.": "必填",
    "Field may not be null.": "不能为空",
    "Not a valid integer.": "应为整数",
    "Not a valid string.": "应为字符串",
    "Not a valid date.": "日期格式应为 年-月-日",
    "Not a valid boolean.": "应为 true 或 false",
    "Invalid input type.": "输入类型无效",
    "Invalid value.": "值无效",
    "Number too large.": "数值过大",
    "Not a valid number.": "应为数字",
    "Invalid input.": "输入无效",
}


def _field_errors(messages) -> dict:
    """webargs' {location: {field: [messages]}} flattened to {field: [messages]} in Chinese; a body that
    is not an object at all is reported under "_body"."""
    if isinstance(messages, dict) and len(messages) == 1 and \
            next(iter(messages)) in {"json", "query", "form", "files", "headers", "path", "json_or_form"}:
        messages = next(iter(messages.values()))
    if not isinstance(messages, dict):
        return {"_body": _stringify(messages)}
    return {str(k): _stringify(v) for k, v in messages.items()}


def _stringify(value) -> list:
    """Messages as a list of Chinese strings (nested structures kept for nested fields)."""
    if isinstance(value, dict):
        return [{str(k): _stringify(v) for k, v in value.items()}]
    if isinstance(value, list):
        out: list = []
        for v in value:
            out.extend(_stringify(v) if isinstance(v, (dict, list)) else [_MESSAGES_ZH.get(str(v), str(v))])
        return out
    return [_MESSAGES_ZH.get(str(value), str(value))]


def _audit_refusal() -> None:
    audit.record_security("access_denied", outcome="failure",
                          detail={"endpoint": request.endpoint, "path": request.path[:200], "api": True})


def handle_api_problem(e: ApiProblem) -> Response:
    if e.status == 403:
        _audit_refusal()
    return problem(e.status, e.detail, kind=e.kind, errors=e.errors, headers=e.headers)


def handle_http_exception(e: HTTPException) -> Response:
    """Werkzeug/webargs/limiter exceptions raised inside the API."""
    code = e.code or 500
    if code == 403:
        _audit_refusal()
    if isinstance(e, RateLimitExceeded) or code == 429:
        audit.record_security("rate_limited", outcome="failure",
                              detail={"path": request.path[:200], "api": True})
        return problem(429, "请求过于频繁，请稍后再试。", kind="rate-limited", headers={"Retry-After": "60"})
    data = getattr(e, "data", None) or {}
    if code == 422 or data.get("messages"):
        errors = _field_errors(data.get("messages") or data.get("errors") or {})
        return problem(422, gettext(API_MESSAGES[422]), kind="validation-error", errors=errors)
    detail = e.description if e.description and e.description != type(e).description else None
    headers = {"Allow": ", ".join(e.valid_methods)} if getattr(e, "valid_methods", None) else None
    return problem(code, detail, headers=headers)


def handle_refusal(e: DomainError) -> Response:
    """A refusal raised by a service that the resource did not answer itself: its status and its lines, in
    the request's language."""
    db.session.rollback()
    return problem(e.status, refusal_text(e), kind="refused")


def handle_stale(e: StaleDataError) -> Response:
    db.session.rollback()
    audit.record_security("stale_edit", outcome="failure", detail={"path": request.path[:200], "api": True})
    return problem(409, gettext(STALE_MESSAGE), kind="stale")


def handle_unexpected(e: Exception) -> Response:
    db.session.rollback()
    current_app.logger.exception("incident %s at %s", g.get("request_id"), request.path)
    return problem(500, "系统发生错误，请稍后重试。如问题持续，请将事件编号告知管理员。")


def is_api_request() -> bool:
    """Requests under /api/ answer in problem+json even when no API view matched (404, 405)."""
    return request.path == "/api" or request.path.startswith("/api/")


def register_api_errors(bp) -> None:
    """Install the problem handlers on the API blueprint."""
    bp.register_error_handler(ApiProblem, handle_api_problem)
    bp.register_error_handler(DomainError, handle_refusal)
    bp.register_error_handler(StaleDataError, handle_stale)
    bp.register_error_handler(HTTPException, handle_http_exception)
    bp.register_error_handler(Exception, handle_unexpected)
