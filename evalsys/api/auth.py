"""Bearer-token authentication of the API, its role declaration and the per-token rate limit.

Every API view is declared with `token_required(*roles)` (or `@public`): the app-wide access hook
recognises the declaration and leaves the request to `authenticate`, which answers 401/403 as
problem+json and never redirects to a login page. A session cookie counts for nothing here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from limits import parse

from ..extensions import db, limiter
from ..models import Role, User
from ..permissions import TokenRoles, declared_roles, token_roles
from ..services import api_tokens, audit
from .errors import ApiProblem

F = TypeVar("F", bound=Callable[..., Any])


def _rate() -> str:
    return current_app.config.get("API_RATE_LIMIT", "600 per minute;10000 per hour")


def rate_key() -> str:
    """The rate limit counts per token (per address for requests without a valid one)."""
    token = g.get("api_token")
    return f"api-token:{token.id}" if token is not None else f"api-addr:{get_remote_address()}"


def token_required(*roles: Role) -> Callable[[F], F]:
    """Declare an API view for these roles and put it under the per-token rate limit."""
    mark = token_roles(*roles)
    limit = limiter.shared_limit(_rate, scope="api", key_func=rate_key)

    def decorate(view: F) -> F:
        return mark(limit(view))

    return decorate


def public_limited(view: F) -> F:
    """The rate limit of public API views (per token when one is given, else per address)."""
    return limiter.shared_limit(_rate, scope="api", key_func=rate_key)(view)


def current_api_user() -> User:
    """The account of the request's token (API views declared with token_required only)."""
    user = g.get("api_user")
    if user is None:  # a view reached without authentication would be a programming error
        raise ApiProblem(401)
    return user


def optional_api_user() -> User | None:
    """The token's account on a public API view, or None."""
    return g.get("api_user")


def _throttle_failures() -> None:
    """Refused tokens are counted per address (guessing is slow, the audit trail cannot be flooded)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    item = parse(current_app.config.get("API_AUTH_FAILURE_LIMIT", "30 per minute"))
    if not limiter.limiter.hit(item, "api-auth-failure", get_remote_address()):
        raise ApiProblem(429, "无效令牌的请求过于频繁，请稍后再试。", kind="rate-limited", headers={"Retry-After": "60"})


def authenticate() -> None:
    """Resolve the bearer token (before any API view); 401 when required and missing or invalid."""
    g.api_user = None
    g.api_token = None
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    allowed = declared_roles(view)
    header = request.headers.get("Authorization")
    if not isinstance(allowed, TokenRoles) and header is None:
        return
    if header is None:
        raise ApiProblem(401, "缺少API令牌：请在 Authorization 请求头中使用 Bearer 令牌。", kind="token-missing")
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "Authorization 请求头应为：Bearer <令牌>", kind="token-invalid")
    found = api_tokens.resolve(secret.strip())
    if found.reason:
        db.session.rollback()
        _throttle_failures()
        audit.record_security("api_token_refused", outcome="failure",
                              actor=found.token.user if found.token is not None else None,
                              object_type="api_tokens",
                              object_id=found.token.id if found.token is not None else None,
                              detail={"reason": found.reason, "path": request.path[:200]})
        raise ApiProblem(401, found.message, kind="token-invalid")
    db.session.commit()  # last-used time (and the bounded use record) whatever the view does next
    g.api_token = found.token
    g.api_user = found.token.user
    if isinstance(allowed, TokenRoles) and g.api_user.role not in allowed:
        raise ApiProblem(403, "该令牌所属账户的角色不能使用此接口。")
