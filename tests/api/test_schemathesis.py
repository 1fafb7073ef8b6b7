"""Schemathesis against the generated OpenAPI document: every operation, 50 examples each, through the
WSGI app with real tokens of suitable roles; no server errors, no status-code, content-type or
response-schema violations. Deterministic (derandomized)."""
from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, negative_data_rejection, not_a_server_error,
                                 response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)

from tests.api.conftest import bearer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]


def token_for(operation, world) -> str:
    """The role each operation is meant for: authorities decide, operators record, the ministry reads."""
    path, method = operation.path, operation.method.upper()
    if method == "POST" and path.startswith("/api/v1/applications/"):
        return world.tokens["auth_a"]
    if method == "POST":
        return world.tokens["op_a"]
    return world.tokens["admin"]


def run_operation(operation, headers: dict, mode: GenerationMode, examples: int) -> int:
    """Run `examples` generated cases of one operation; returns how many were sent."""
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def check(case):
        sent.append(1)
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # No input of this operation can violate its schema (e.g. only a free-text path segment).
    return len(sent)


@pytest.mark.slow
def test_every_operation_conforms(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    counts = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = bearer(token_for(operation, world))
        started = time.perf_counter()
        counts[operation.label] = run_operation(operation, headers, GenerationMode.POSITIVE, 50)
        negative = run_operation(operation, headers, GenerationMode.NEGATIVE, 10)
        print(f"{operation.label}: {counts[operation.label]} + {negative} cases, {time.perf_counter() - started:.1f} s")
    assert len(counts) == 13
    assert all(n >= 50 for n in counts.values()), counts


def test_the_document_is_openapi_3_1_and_covers_the_issue(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/api/v1/calls", "/api/v1/calls/{code}", "/api/v1/calls/{code}/applications", "/api/v1/calls/{code}/results",
        "/api/v1/applications/{app_id}", "/api/v1/applications/{app_id}/recommend",
        "/api/v1/applications/{app_id}/return", "/api/v1/applications/{app_id}/not-recommend",
        "/api/v1/funds/summary", "/api/v1/bases/{code}/funds",
        "/api/v1/bases/{code}/allocations/{allocation_id}/expenditures",
        "/api/v1/rounds/{code}/evaluations", "/api/v1/reports/{serial}"}
    expenditure = doc["paths"]["/api/v1/bases/{code}/allocations/{allocation_id}/expenditures"]["post"]
    assert "multipart/form-data" in expenditure["requestBody"]["content"]
    problem = doc["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert "application/problem+json" in problem


def test_the_reference_page_uses_local_assets_only(client):
    r = client.get("/api/v1/docs")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "http://" not in html.replace('http://www.w3.org', '') and "https://" not in html
    assert "<script>" not in html and "onload" not in html  # no inline script
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    for path in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
                 "/static/js/api-docs.js"):
        with client.get(path) as asset:
            assert asset.status_code == 200, path
