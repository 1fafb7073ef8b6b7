"""Deny by default: every endpoint declares its roles; every rule × method × role is checked."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter

from evalsys.models import Role
from evalsys.permissions import PUBLIC, TokenRoles, declared_roles
from tests.conftest import csrf_token, login
from tests.factories import make_org, make_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def undeclared_endpoints(app) -> list[str]:
    """Endpoints whose view declares no roles (each would refuse every request)."""
    return sorted(ep for ep, view in app.view_functions.items() if declared_roles(view) is None)


def dummy_values(rule) -> dict[str, object]:
    """A value for every converter: int → 1, any(...) → its first item, path/string → "x"."""
    values: dict[str, object] = {}
    for name, conv in rule._converters.items():
        if isinstance(conv, IntegerConverter):
            values[name] = 1
        elif isinstance(conv, AnyConverter):
            values[name] = sorted(conv.items)[0]
        elif isinstance(conv, PathConverter):
            values[name] = "x"
        else:
            values[name] = "x"
    return values


def cases(app) -> list[tuple[str, str, str, object]]:
    """(endpoint, method, url, declaration) for every rule and method, logout last."""
    adapter = app.url_map.bind("localhost")
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = adapter.build(rule.endpoint, dummy_values(rule), method=method)
            out.append((rule.endpoint, method, url, declared_roles(app.view_functions[rule.endpoint])))
    # Logging out ends the walk's session, so it goes last.
    return sorted(out, key=lambda c: (c[0] == "auth.logout", c[0], c[1]))


def request(client, method: str, url: str, token: str | None):
    data = {"csrf_token": token} if token else {}
    return client.open(url, method=method, data=data if method in UNSAFE else None)


def test_every_endpoint_declares_its_roles(app):
    assert undeclared_endpoints(app) == []
    # The walk must cover the areas the issue names.
    prefixes = {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
    assert {"auth", "public", "applicant", "authority", "review", "admin", "security", "audit", "api"} <= prefixes


def test_rule_method_role_matrix(app):
    with app.app_context():
        # The security admin is user 1: its POSTs against id 1 are refused as self-management.
        make_user(Role.SECADMIN, username="m-secadmin")
        org = make_org(authority_code="320000")
        make_user(Role.APPLICANT, username="m-applicant", organisation=org)
        for role in (Role.AUTHORITY, Role.REVIEWER, Role.ADMIN, Role.AUDITOR):
            make_user(role, username=f"m-{role.value}")
    all_cases = cases(app)
    assert len(all_cases) >= 20
    failures: list[str] = []
    checked = 0

    for role in Role:
        client = app.test_client()
        assert login(client, f"m-{role.value}").status_code == 302
        token = csrf_token(client, "/auth/password")
        for endpoint, method, url, allowed in all_cases:
            r = request(client, method, url, token)
            checked += 1
            if r.status_code >= 500:
                failures.append(f"{role.value} {method} {url}: {r.status_code}")
            if isinstance(allowed, TokenRoles):
                # The JSON API takes bearer tokens only: a session cookie is 401 problem+json, whatever the role.
                if r.status_code != 401 or r.mimetype != "application/problem+json":
                    failures.append(f"{role.value} session {method} {url}: {r.status_code} {r.mimetype}")
                continue
            if allowed != PUBLIC and role not in allowed and r.status_code < 400:
                failures.append(f"{role.value} {method} {url} ({endpoint}) not refused: {r.status_code}")
            if allowed != PUBLIC and role not in allowed and r.status_code != 403:
                failures.append(f"{role.value} {method} {url} ({endpoint}): expected 403, got {r.status_code}")

    anon = app.test_client()
    anon_token = csrf_token(anon)
    for endpoint, method, url, allowed in all_cases:
        for token in (None, anon_token) if method in UNSAFE else (None,):
            r = request(anon, method, url, token)
            checked += 1
            if r.status_code >= 500:
                failures.append(f"anonymous {method} {url}: {r.status_code}")
            if allowed == PUBLIC:
                continue
            if isinstance(allowed, TokenRoles):
                if r.status_code != 401 or r.mimetype != "application/problem+json":
                    failures.append(f"anonymous {method} {url}: {r.status_code} {r.mimetype}")
                continue
            if method in UNSAFE:
                if r.status_code != 400 and not _to_login(r, url):
                    failures.append(f"anonymous {method} {url}: {r.status_code} {r.headers.get('Location')}")
            elif not _to_login(r, url):
                failures.append(f"anonymous GET {url}: {r.status_code} {r.headers.get('Location')}")
    assert failures == []
    assert checked > 7 * 20


def _to_login(r, url: str) -> bool:
    if r.status_code != 302:
        return False
    loc = urlsplit(r.headers["Location"])
    return loc.path == "/auth/login" and parse_qs(loc.query).get("next") == [urlsplit(url).path + (
        "?" + urlsplit(url).query if urlsplit(url).query else "")]


def test_the_walk_notices_an_undeclared_endpoint_and_the_app_refuses_it(db_url, tmp_path, make_app):
    from tests.conftest import make_test_config

    fresh = make_app(make_test_config(db_url, str(tmp_path / "instance")))
    fresh.add_url_rule("/admin/forgotten", "forgotten", lambda: "secret", methods=["GET", "POST"])
    assert undeclared_endpoints(fresh) == ["forgotten"]

    with fresh.app_context():
        for role in Role:
            make_user(role, username=f"u-{role.value}")
    anon = fresh.test_client()
    assert anon.get("/admin/forgotten").status_code == 403
    token = csrf_token(anon)
    assert anon.post("/admin/forgotten", data={"csrf_token": token}).status_code == 403
    for role in Role:
        client = fresh.test_client()
        login(client, f"u-{role.value}")
        r = client.get("/admin/forgotten")
        assert r.status_code == 403 and "secret" not in r.get_data(as_text=True)
        r = client.post("/admin/forgotten", data={"csrf_token": csrf_token(client, "/auth/password")})
        assert r.status_code == 403


@pytest.mark.parametrize("role, home", [(Role.APPLICANT, "/applicant/"), (Role.AUTHORITY, "/authority/"),
                                        (Role.REVIEWER, "/review/"), (Role.ADMIN, "/admin/"),
                                        (Role.SECADMIN, "/security/"), (Role.AUDITOR, "/audit/")])
def test_navigation_shows_only_pages_the_role_may_open(app, client, role, home):
    with app.app_context():
        make_user(role, username="navuser")
    assert login(client, "navuser").headers["Location"] == home
    html = client.get(home).get_data(as_text=True)
    for other in ("/applicant/", "/authority/", "/review/", "/admin/", "/security/", "/audit/"):
        linked = f'href="{other}"' in html
        assert linked == (other == home), (other, linked)


AUDIENCE = {"applicant": {Role.APPLICANT}, "authority": {Role.AUTHORITY}, "review": {Role.REVIEWER},
            "admin": {Role.ADMIN}, "security": {Role.SECADMIN}, "audit": {Role.AUDITOR}}


def test_declarations_follow_the_audience_prefixes(app):
    """A prefix names its audience: nobody else is declared there (the auditor sees only /audit)."""
    wrong = []
    for rule in app.url_map.iter_rules():
        area = rule.rule.split("/")[1]
        allowed = declared_roles(app.view_functions[rule.endpoint])
        if area in AUDIENCE:
            ok = allowed != PUBLIC and set(allowed) <= AUDIENCE[area] and allowed
        elif area in ("public", "static", "bootstrap", ""):
            ok = allowed == PUBLIC
        elif area == "auth":
            ok = allowed == PUBLIC or set(allowed) == set(Role)
        elif area == "api":  # bearer-token views declare their roles; the document, its UI, results, reports are public
            ok = allowed == PUBLIC or (isinstance(allowed, TokenRoles) and bool(allowed))
        else:
            ok = False  # a new prefix must be added here deliberately
        if not ok:
            wrong.append(f"{rule.rule}: {allowed}")
    assert wrong == []
