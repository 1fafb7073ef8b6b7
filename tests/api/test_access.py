"""Every API rule × method × role with a real token: roles not declared get 403 problem+json, declared
ones get past the role check; no 500 anywhere; public operations answer without a token."""
from __future__ import annotations

from evalsys.models import Role
from evalsys.permissions import PUBLIC, TokenRoles, declared_roles
from tests.api.conftest import bearer
from tests.views.test_access_matrix import dummy_values

TOKEN_OF = {Role.AUTHORITY: "auth_a", Role.APPLICANT: "op_a", Role.ADMIN: "admin", Role.REVIEWER: "reviewer",
            Role.AUDITOR: "auditor", Role.SECADMIN: "secadmin"}


def api_cases(app):
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, adapter.build(rule.endpoint, dummy_values(rule), method=method), \
                declared_roles(app.view_functions[rule.endpoint])


def test_api_rule_method_role_matrix(app, client, world):
    cases = list(api_cases(app))
    assert len([c for c in cases if isinstance(c[3], TokenRoles)]) >= 10
    failures = []
    for endpoint, method, url, allowed in cases:
        for role, name in TOKEN_OF.items():
            r = client.open(url, method=method, headers=bearer(world.tokens[name]),
                            json={} if method == "POST" else None)
            if r.status_code >= 500:
                failures.append(f"{role.value} {method} {url}: {r.status_code}")
            if allowed == PUBLIC:
                continue
            if role not in allowed and (r.status_code != 403 or r.mimetype != "application/problem+json"):
                failures.append(f"{role.value} {method} {url}: expected 403, got {r.status_code}")
            if role in allowed and r.status_code in (401, 403) and "该令牌所属账户的角色" in r.get_data(as_text=True):
                failures.append(f"{role.value} {method} {url}: refused by role")
        if allowed == PUBLIC:
            r = client.open(url, method=method)
            if r.status_code in (401, 403) or r.status_code >= 500:
                failures.append(f"anonymous {method} {url}: {r.status_code}")
    assert failures == []
