"""The authority's decisions through the API: same services, quota guard, letter requirement and audit as
the web; scoping (authority A vs B, applicants cannot write); problems; Idempotency-Key incl. a race."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import Application, IdempotencyKey, QuotaCounter, RecommendationLetter, Transition
from tests.api.conftest import bearer, build_world
from tests.conftest import audit_events

PROBLEM = "application/problem+json"


def state_of(app, app_id: int) -> tuple[str, int | None]:
    with app.app_context():
        row = db.session.get(Application, app_id)
        return row.state.value, row.recommend_order


def quota_used(app, call_code: str, authority: str = "320000") -> int:
    from evalsys.models import Call

    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == call_code))
        return db.session.scalar(select(QuotaCounter.used).where(QuotaCounter.call_id == call.id,
                                                                 QuotaCounter.authority_code == authority)) or 0


def test_recommend_uses_the_service_quota_and_audit(app, client, world):
    app_id = world.apps_a[0]
    r = client.post(f"/api/v1/applications/{app_id}/recommend", json={"order": 2},
                    headers=bearer(world.tokens["auth_a"]))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["state"] == "recommended" and r.get_json()["recommend_order"] == 2
    assert state_of(app, app_id) == ("recommended", 2)
    assert quota_used(app, world.call) == 1
    events = audit_events(app, object_type="applications", object_id=str(app_id))
    assert [e.username for e in events][-1] == "api-auth-a"
    # A second recommendation of the same application is a refused transition: 409, nothing changes.
    r = client.post(f"/api/v1/applications/{app_id}/recommend", json={"order": 2},
                    headers=bearer(world.tokens["auth_a"]))
    assert r.status_code == 409 and r.mimetype == PROBLEM and r.get_json()["detail"]
    assert quota_used(app, world.call) == 1


def test_return_and_not_recommend_need_a_reason(app, client, world):
    h = bearer(world.tokens["auth_a"])
    r = client.post(f"/api/v1/applications/{world.apps_a[0]}/return", json={"reason": "  "}, headers=h)
    assert r.status_code == 422 and r.get_json()["errors"] == {"reason": ["请填写理由"]}
    r = client.post(f"/api/v1/applications/{world.apps_a[0]}/return", json={}, headers=h)
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = client.post(f"/api/v1/applications/{world.apps_a[0]}/return", json={"reason": "补充材料"}, headers=h)
    assert r.status_code == 200 and r.get_json()["state"] == "returned"
    r = client.post(f"/api/v1/applications/{world.apps_a[1]}/not-recommend", json={"reason": "不符合条件"},
                    headers=h)
    assert r.status_code == 200 and r.get_json()["state"] == "not_recommended"
    with app.app_context():
        reasons = db.session.scalars(select(Transition.reason).where(
            Transition.application_id.in_(world.apps_a[:2])).order_by(Transition.id)).all()
    assert reasons == ["补充材料", "不符合条件"]


def test_invalid_bodies_are_422_with_field_errors(app, client, world):
    url = f"/api/v1/applications/{world.apps_a[0]}/recommend"
    h = bearer(world.tokens["auth_a"])
    for body, field in (({"order": 0}, "order"), ({"order": "1"}, "order"), ({"order": 10**30}, "order"),
                        ({"order": 1.5}, "order"), ({"order": 1, "state": "approved"}, "state"),
                        ({"order": 1, "version": -1}, "version")):
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422 and r.mimetype == PROBLEM, body
        assert field in r.get_json()["errors"], r.get_json()
    for data, ctype in ((b"{not json", "application/json"), (b"\x00\xff", "application/json"),
                        (b"order=1", "application/x-www-form-urlencoded"), (b"[]", "application/json")):
        r = client.post(url, data=data, content_type=ctype, headers=h)
        assert r.status_code in (400, 415, 422) and r.mimetype == PROBLEM, (data, r.status_code)
    r = client.post(f"/api/v1/applications/{world.apps_a[0]}/return", json={"reason": "a\x00b"}, headers=h)
    assert r.status_code == 422 and r.get_json()["errors"] == {"reason": ["不能包含控制字符"]}
    assert state_of(app, world.apps_a[0]) == ("submitted", None)


def test_stale_version_is_409(app, client, world):
    h = bearer(world.tokens["auth_a"])
    version = client.get(f"/api/v1/applications/{world.apps_a[0]}", headers=h).get_json()["version"]
    r = client.post(f"/api/v1/applications/{world.apps_a[0]}/recommend", json={"order": 1, "version": version + 1},
                    headers=h)
    assert r.status_code == 409 and r.get_json()["detail"] == "数据已被他人修改，请刷新后重试"
    r = client.post(f"/api/v1/applications/{world.apps_a[0]}/recommend", json={"order": 1, "version": version},
                    headers=h)
    assert r.status_code == 200


def test_authority_b_and_applicants_change_nothing(app, client, world):
    target = world.apps_a[0]
    for token, expected in (("auth_b", 403), ("applicant", 403), ("admin", 403), ("op_a", 403)):
        for action, body in (("recommend", {"order": 1}), ("return", {"reason": "x"}),
                             ("not-recommend", {"reason": "x"})):
            r = client.post(f"/api/v1/applications/{target}/{action}", json=body, headers=bearer(world.tokens[token]))
            assert r.status_code == expected and r.mimetype == PROBLEM, (token, action, r.status_code)
    assert state_of(app, target) == ("submitted", None)
    assert quota_used(app, world.call) == 0
    denied = audit_events(app, event="access_denied")
    assert len(denied) == 12


def test_letter_is_required_and_quota_holds(app, client):
    w = build_world(app, n_apps=3)
    with app.app_context():
        db.session.execute(RecommendationLetter.__table__.delete().where(
            RecommendationLetter.authority_code == "320000"))
        db.session.commit()
    h = bearer(w.tokens["auth_a"])
    r = client.post(f"/api/v1/applications/{w.apps_a[0]}/recommend", json={"order": 1}, headers=h)
    assert r.status_code == 409 and r.get_json()["detail"] == "请先上传加盖公章的推荐函"
    assert state_of(app, w.apps_a[0]) == ("submitted", None)


def test_idempotency_key_replays_and_refuses_another_request(app, client, world):
    h = {**bearer(world.tokens["auth_a"]), "Idempotency-Key": "rec-001"}
    url = f"/api/v1/applications/{world.apps_a[0]}/recommend"
    first = client.post(url, json={"order": 3}, headers=h)
    again = client.post(url, json={"order": 3}, headers=h)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert quota_used(app, world.call) == 1
    with app.app_context():
        steps = db.session.scalar(select(func.count(Transition.id)).where(Transition.application_id == world.apps_a[0]))
    assert steps == 1
    other = client.post(url, json={"order": 4}, headers=h)
    assert other.status_code == 422 and other.get_json()["type"].endswith("idempotency-key-reused")
    other_path = client.post(f"/api/v1/applications/{world.apps_a[1]}/recommend", json={"order": 3}, headers=h)
    assert other_path.status_code == 422
    # Keys belong to the account: another authority's same key is a different key.
    hb = {**bearer(world.tokens["auth_b"]), "Idempotency-Key": "rec-001"}
    assert client.post(f"/api/v1/applications/{world.apps_b[0]}/recommend", json={"order": 1},
                       headers=hb).status_code == 200
    # A refused request stores nothing: it can be corrected and retried with the same key.
    h2 = {**bearer(world.tokens["auth_a"]), "Idempotency-Key": "ret-1"}
    assert client.post(f"/api/v1/applications/{world.apps_a[1]}/return", json={"reason": ""},
                       headers=h2).status_code == 422
    assert client.post(f"/api/v1/applications/{world.apps_a[1]}/return", json={"reason": "请补正"},
                       headers=h2).status_code == 200
    bad = client.post(url, json={"order": 3}, headers={**h, "Idempotency-Key": "x" * 201})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.get_json()["errors"]


def _post_in_thread(app, url: str, headers: dict, body: dict, barrier: threading.Barrier, out: list) -> None:
    client = app.test_client()
    try:
        barrier.wait()
        r = client.post(url, json=body, headers=headers)
        out.append((r.status_code, r.get_data(as_text=True)))
    except Exception as exc:  # recorded so the test fails with the reason
        out.append((0, f"{type(exc).__name__}: {exc}"))


@pytest.mark.slow
def test_20_concurrent_identical_requests_have_one_effect(app, world):
    url = f"/api/v1/applications/{world.apps_a[0]}/recommend"
    headers = {**bearer(world.tokens["auth_a"]), "Idempotency-Key": "race-1"}
    barrier = threading.Barrier(20)
    out: list = []
    threads = [threading.Thread(target=_post_in_thread, args=(app, url, headers, {"order": 1}, barrier, out),
                                daemon=True) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(out) == 20
    assert {code for code, _ in out} == {200}, out[:3]
    assert len({body for _, body in out}) == 1  # every one got the same answer
    assert quota_used(app, world.call) == 1
    with app.app_context():
        steps = db.session.scalar(select(func.count(Transition.id)).where(Transition.application_id == world.apps_a[0]))
        keys = db.session.scalar(select(func.count(IdempotencyKey.id)))
    assert steps == 1 and keys == 1
    assert len([e for e in audit_events(app, object_type="applications", object_id=str(world.apps_a[0]))
                if e.outcome == "success"]) == 1
