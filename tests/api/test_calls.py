"""Reads of calls and applications: shapes, cursor pagination, scoping like the web lists, problems."""
from __future__ import annotations

from tests.api.conftest import bearer

PROBLEM = "application/problem+json"


def test_calls_list_and_detail(app, client, world):
    r = client.get("/api/v1/calls", headers=bearer(world.tokens["auth_a"]))
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert [c["code"] for c in body["items"]] == [world.call] and body["next"] is None
    r = client.get(f"/api/v1/calls/{world.call}", headers=bearer(world.tokens["auth_a"]))
    assert r.get_json()["quota"] == {"used": 0, "max": 8, "letter_uploaded": True}
    assert client.get(f"/api/v1/calls/{world.call}", headers=bearer(world.tokens["admin"])).get_json()["quota"] is None
    r = client.get("/api/v1/calls/nope", headers=bearer(world.tokens["auth_a"]))
    assert r.status_code == 404 and r.mimetype == PROBLEM and r.get_json()["detail"] == "未找到该批次"


def test_an_authority_with_its_own_quota_reads_that_figure(app, client, world):
    from sqlalchemy import select

    from evalsys.extensions import db
    from evalsys.models import Call, Role, User
    from evalsys.services import quotas

    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == world.call))
        admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
        quotas.set_authority_quotas(call, {"320000": 12}, actor=admin)
        db.session.commit()
    body = client.get(f"/api/v1/calls/{world.call}", headers=bearer(world.tokens["auth_a"])).get_json()
    assert body["quota"] == {"used": 0, "max": 12, "letter_uploaded": True}  # not the call's default of 8
    body = client.get(f"/api/v1/calls/{world.call}", headers=bearer(world.tokens["auth_b"])).get_json()
    assert body["quota"]["max"] == 8


def test_applications_are_scoped_like_the_web(app, client, world):
    def ids(token):
        r = client.get(f"/api/v1/calls/{world.call}/applications", headers=bearer(world.tokens[token]))
        assert r.status_code == 200, r.get_data(as_text=True)
        return [i["id"] for i in r.get_json()["items"]]

    assert ids("auth_a") == world.apps_a
    assert ids("auth_b") == world.apps_b
    assert ids("admin") == sorted(world.apps_a + world.apps_b)  # drafts are not listed to staff
    assert ids("applicant") == [world.apps_a[0]]
    item = client.get(f"/api/v1/calls/{world.call}/applications",
                      headers=bearer(world.tokens["auth_a"])).get_json()["items"][0]
    assert set(item) == {"id", "call", "organisation", "uscc", "authority_code", "category", "state", "state_label"}
    assert item["authority_code"] == "320000" and item["state"] == "submitted" and len(item["uscc"]) == 18
    for token in ("reviewer", "auditor", "secadmin"):
        r = client.get(f"/api/v1/calls/{world.call}/applications", headers=bearer(world.tokens[token]))
        assert r.status_code == 403 and r.mimetype == PROBLEM


def test_cursor_pagination_walks_every_item_once(app, client, world):
    url = f"/api/v1/calls/{world.call}/applications?limit=2"
    seen = []
    pages = 0
    while url:
        r = client.get(url, headers=bearer(world.tokens["admin"]))
        assert r.status_code == 200
        body = r.get_json()
        assert len(body["items"]) <= 2
        seen += [i["id"] for i in body["items"]]
        url = body["next"]
        pages += 1
    assert seen == sorted(world.apps_a + world.apps_b) and pages == 3


def test_application_detail_with_units_and_object_checks(app, client, world):
    app_id = world.apps_a[0]
    r = client.get(f"/api/v1/applications/{app_id}", headers=bearer(world.tokens["auth_a"]))
    assert r.status_code == 200
    body = r.get_json()
    money = [f for f in body["figures"] if f["kind"] == "money" and not f["derived"]]
    assert money and all(f["unit"] == "fen" and isinstance(f["value"], int) for f in money)
    assert all(f["display"].endswith("元") for f in money if f["value"] is not None)
    assert body["version"] >= 1
    # Another jurisdiction's application: refused as the web refuses it (403); unknown ids are 404.
    r = client.get(f"/api/v1/applications/{world.apps_b[0]}", headers=bearer(world.tokens["auth_a"]))
    assert r.status_code == 403 and r.mimetype == PROBLEM
    assert client.get(f"/api/v1/applications/{world.apps_a[1]}",
                      headers=bearer(world.tokens["applicant"])).status_code == 403
    assert client.get("/api/v1/applications/999999", headers=bearer(world.tokens["admin"])).status_code == 404


def test_bad_input_is_a_problem_never_a_500(app, client, world):
    h = bearer(world.tokens["admin"])
    for url in (f"/api/v1/calls/{world.call}/applications?cursor=%00%01",
                f"/api/v1/calls/{world.call}/applications?cursor=bm90LWpzb24",
                f"/api/v1/calls/{world.call}/applications?limit=99999999999999999999999",
                "/api/v1/calls?limit=abc", "/api/v1/calls?unknown=1", "/api/v1/funds/summary?year=１９",
                "/api/v1/funds/summary?year=99999999999999999999"):
        r = client.get(url, headers=h)
        assert r.status_code == 422 and r.mimetype == PROBLEM, (url, r.status_code)
        body = r.get_json()
        assert body["status"] == 422 and body["errors"] and body["instance"].startswith("urn:uuid:")
    for url in ("/api/v1/calls/%00", "/api/v1/applications/99999999999999999999", "/api/v1/reports/%00x",
                "/api/v1/nothing-here", "/api/v1/bases/" + "x" * 500 + "/funds"):
        r = client.get(url, headers=h)
        assert r.status_code == 404 and r.mimetype == PROBLEM, (url, r.status_code)
    r = client.delete("/api/v1/calls", headers=h)
    assert r.status_code == 405 and r.mimetype == PROBLEM
