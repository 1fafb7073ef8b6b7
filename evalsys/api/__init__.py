"""The JSON API at /api/v1 for the authorities' and the ministry's own systems.

Bearer tokens (services/api_tokens.py), problem+json errors (errors.py), cursor pagination
(paging.py), Idempotency-Key on writes (idempotency.py), the generated OpenAPI 3.1 document
(flask-smorest: marshmallow schemas in schemas.py) and resources by area in resources/.
"""
from __future__ import annotations

import http

from flask import Flask, g
from flask_smorest import Api

from ..extensions import csrf
from .schemas import ProblemSchema

API_VERSION = "1.0"


class ProblemApi(Api):
    """flask-smorest's Api, but errors are problem+json from this package (not app-wide JSON errors),
    and the document and its UI are served by the API blueprint itself."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:  # the web keeps its own error pages
        return None

    def _register_doc_blueprint(self) -> None:  # resources/meta.py serves openapi.json and docs
        return None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["content"] = {"application/problem+json": {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR", {"description": "错误（application/problem+json，RFC 9457）",
                              "content": {"application/problem+json": {"schema": self.ERROR_SCHEMA}}},
            lazy=True)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    if g.get("api_token") is not None:
        response.headers["Vary"] = "Authorization"
    return response


def init_api(app: Flask) -> None:
    """Register the API blueprint with its document, authentication and error handling."""
    from . import resources  # noqa: F401
    from .auth import authenticate
    from .blueprint import bp
    from .errors import register_api_errors
    from .resources import applications, calls, evaluations, funds, meta  # noqa: F401

    api = ProblemApi(spec_kwargs={
        "title": "evalsys API", "version": API_VERSION, "openapi_version": "3.1.0",
        "info": {"description": "电子商务示范创建申报、评审、资金与绩效评估系统的数据接口。"
                                "认证：Authorization: Bearer <令牌>（在“API令牌”页面或用 "
                                "`flask --app evalsys api-token create` 创建）。"
                                "错误以 application/problem+json 返回。"},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
    })
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    if not getattr(bp, "_evalsys_hooks", False):  # the blueprint object is shared by every app built
        bp.before_request(authenticate)
        bp.after_request(_no_store)
        register_api_errors(bp)
        csrf.exempt(bp)  # token-authenticated: no cookies, so no cross-site request forgery
        bp._evalsys_hooks = True
    api.register_blueprint(bp)
    app.register_blueprint(meta.bp)
    app.extensions["evalsys-api"] = api
