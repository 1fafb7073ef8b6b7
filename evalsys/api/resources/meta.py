"""The generated OpenAPI document and the browsable reference (Swagger UI served from local files)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, url_for

from ...permissions import public

#: Not part of the document it serves: a plain blueprint under the same prefix.
bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

#: Swagger UI sets style attributes from its scripts; only this page allows them (no inline scripts anywhere).
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'self'")


@bp.route("/openapi.json")
@public
def openapi_json():
    """The OpenAPI 3.1 document, generated from the API's routes and schemas."""
    return jsonify(current_app.extensions["evalsys-api"].spec.to_dict())


@bp.route("/docs")
@public
def docs():
    """The browsable API reference."""
    html = render_template("api/docs.html", spec_url=url_for("api_docs.openapi_json"))
    response = current_app.make_response(html)
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
