"""Self-registration: unverified organisations, pending further accounts, no enumeration, authority choice."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from evalsys.domain import uscc
from evalsys.extensions import db
from evalsys.models import AccountState, Organisation, OrganisationState, Role, User
from evalsys.services.auth import LOGIN_FAILED_MESSAGE
from tests.conftest import TEST_PASSWORD, audit_events, csrf_token, is_logged_in, login
from tests.factories import make_user

SUZHOU = uscc.make("91", "320506", "MA1R2T3Y4")  # 苏州 → 江苏 320000
DALIAN = uscc.make("91", "210211", "MA5R6T7Y8")  # 大连 (separately-listed city) 210200


def _form(**overrides) -> dict:
    data = {"org_name": "苏州云织电子商务有限公司", "uscc": SUZHOU, "authority_code": "", "authority_reason": "",
            "contact_name": "王敏", "phone": "0512-66889900", "email": "wm@example.com",
            "username": "yunzhi", "password": TEST_PASSWORD, "password2": TEST_PASSWORD}
    data.update(overrides)
    return data


def register(client, **overrides):
    data = _form(**overrides)
    data["csrf_token"] = csrf_token(client, "/auth/register")
    return client.post("/auth/register", data=data)


def _org(app, code: str) -> Organisation | None:
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.uscc == code))
        if org is not None:
            db.session.expunge(org)
        return org


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Organisation.id))))


def _field_errors(html: str, field_id: str) -> list[str]:
    """The error messages rendered right after the input (or select) of a field."""
    m = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>.*?(?=<div class="mb-3">|</fieldset>)',
                  html, re.S)
    assert m, f"no field {field_id}"
    return re.findall(r'<div class="invalid-feedback d-block">(.*?)</div>', m.group(0))


def test_first_registration_creates_an_unverified_organisation_that_can_log_in(app, client):
    r = register(client)
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
    org = _org(app, SUZHOU)
    assert org.state == OrganisationState.UNVERIFIED and org.authority_code == "320000"
    assert org.authority_override_reason is None and not org.flagged
    user = _user(app, "yunzhi")
    assert user.role == Role.APPLICANT and user.state == AccountState.ACTIVE and user.is_org_main
    assert user.organisation_id == org.id and user.password_hash.startswith("$argon2id$")
    assert login(client, "yunzhi").headers["Location"] == "/applicant/"
    assert "待核验" in client.get("/applicant/").get_data(as_text=True)
    events = [e.event for e in audit_events(app) if e.outcome == "success"]
    assert events[:2] == ["organisation_registered", "user_registered"]
    assert TEST_PASSWORD not in json.dumps([e.detail for e in audit_events(app)])


def test_city_region_defaults_to_the_city(app, client):
    register(client, uscc=DALIAN.lower(), username="dalian1")
    assert _org(app, DALIAN).authority_code == "210200"


def test_second_registration_for_an_existing_uscc_is_pending_and_gains_nothing(app, client):
    register(client)
    before = _org(app, SUZHOU)
    r = register(app.test_client(), username="intruder", org_name="改名企图有限公司", authority_code="110000",
                 authority_reason="想换主管部门")
    assert r.status_code == 302
    intruder = _user(app, "intruder")
    assert intruder.state == AccountState.PENDING and not intruder.is_org_main
    after = _org(app, SUZHOU)
    assert (after.name, after.authority_code, after.authority_override_reason, after.state) == \
           (before.name, before.authority_code, before.authority_override_reason, before.state)
    assert _counts(app) == (2, 1)

    c = app.test_client()
    assert re.search(LOGIN_FAILED_MESSAGE, login(c, "intruder").get_data(as_text=True))
    assert not is_logged_in(c)

    # Another organisation's main account cannot approve it.
    with app.app_context():
        make_user(Role.APPLICANT, username="stranger")
    s = app.test_client()
    login(s, "stranger")
    r = s.post(f"/applicant/members/{intruder.id}/approve", data={"csrf_token": csrf_token(s, "/applicant/")})
    assert r.status_code == 403
    assert _user(app, "intruder").state == AccountState.PENDING

    # The organisation's main account approves; then (and only then) the account logs in.
    main = app.test_client()
    login(main, "yunzhi")
    page = main.get("/applicant/").get_data(as_text=True)
    assert "intruder" in page
    r = main.post(f"/applicant/members/{intruder.id}/approve", data={"csrf_token": csrf_token(main, "/applicant/")})
    assert r.status_code == 302
    approved = _user(app, "intruder")
    assert approved.state == AccountState.ACTIVE and not approved.is_org_main
    assert login(c, "intruder").status_code == 302
    assert [e.object_id for e in audit_events(app, event="member_approved")] == [str(intruder.id)]


def test_the_authority_approves_further_accounts_of_its_jurisdiction_only(app, client):
    register(client)
    register(app.test_client(), username="second")
    second = _user(app, "second")
    with app.app_context():
        make_user(Role.AUTHORITY, username="bj", authority_code="110000")
        make_user(Role.AUTHORITY, username="js", authority_code="320000")
    bj = app.test_client()
    login(bj, "bj")
    r = bj.post(f"/authority/members/{second.id}/approve", data={"csrf_token": csrf_token(bj, "/authority/")})
    assert r.status_code == 403 and _user(app, "second").state == AccountState.PENDING
    js = app.test_client()
    login(js, "js")
    assert "second" in js.get("/authority/organisations").get_data(as_text=True)
    r = js.post(f"/authority/members/{second.id}/approve", data={"csrf_token": csrf_token(js, "/authority/")})
    assert r.status_code == 302 and _user(app, "second").state == AccountState.ACTIVE


def _final_page(client, response) -> tuple[int, str, str]:
    """Status, redirect target and flashed text of a registration answer, tokens and ids removed."""
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    alerts = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', follow, re.S)
    return response.status_code, response.headers["Location"], "|".join(a.strip() for a in alerts)


def test_answer_is_identical_whether_username_or_uscc_exist(app, client):
    fresh = _final_page(client, register(client))
    other = uscc.make("91", "320100", "MA9K8J7H6")
    answers = {
        "new": fresh,
        "existing username, new USCC": _final_page(c := app.test_client(), register(c, uscc=other)),
        "existing USCC, new username": _final_page(c := app.test_client(), register(c, username="another")),
        "both exist": _final_page(c := app.test_client(), register(c)),
    }
    assert len(set(answers.values())) == 1, answers
    assert "注册申请已受理" in fresh[2]
    # The existing username was not given a second organisation.
    assert _org(app, other) is None
    assert _counts(app) == (2, 1)


def test_another_authority_needs_a_reason_and_is_flagged(app, client):
    r = register(client, authority_code="110000")
    assert r.status_code == 200
    assert any("说明理由" in e for e in _field_errors(r.get_data(as_text=True), "authority_reason"))
    assert _counts(app) == (0, 0)

    r = register(client, authority_code="110000", authority_reason="   ")
    assert r.status_code == 200 and _counts(app) == (0, 0)

    r = register(client, authority_code="110000", authority_reason="总部在北京，实际经营地在北京")
    assert r.status_code == 302
    org = _org(app, SUZHOU)
    assert org.authority_code == "110000" and org.flagged
    assert org.authority_override_reason == "总部在北京，实际经营地在北京"
    detail = json.loads(audit_events(app, event="organisation_registered")[0].detail)
    assert detail["flagged"] is True


def test_choosing_the_regional_authority_explicitly_needs_no_reason(app, client):
    assert register(client, authority_code="320000").status_code == 302
    assert not _org(app, SUZHOU).flagged


def test_unknown_authority_code_is_refused(app, client):
    r = register(client, authority_code="999999", authority_reason="x")
    assert r.status_code == 200 and _counts(app) == (0, 0)


@pytest.mark.parametrize("bad, message", [
    (SUZHOU[:-1] + ("0" if SUZHOU[-1] != "0" else "1"), "校验位错误"),
    (SUZHOU[:10] + "I" + SUZHOU[11:], "不允许的字符"),
    (SUZHOU[:17], "18位"),
])
def test_invalid_uscc_is_explained_beside_the_field(app, client, bad, message):
    r = register(client, uscc=bad)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    errors = _field_errors(html, "uscc")
    assert any(message in e for e in errors), errors
    assert _field_errors(html, "org_name") == []
    assert _counts(app) == (0, 0)


def test_weak_password_and_mismatch_are_refused(app, client):
    r = register(client, password="Password2015!", password2="Password2015!")
    assert any("常见" in e for e in _field_errors(r.get_data(as_text=True), "password"))
    r = register(client, password2=TEST_PASSWORD + "x")
    assert any("不一致" in e for e in _field_errors(r.get_data(as_text=True), "password2"))
    assert _counts(app) == (0, 0)


def test_authority_verifies_its_own_organisations_and_is_refused_others(app, client):
    register(client)
    register(app.test_client(), uscc=DALIAN, username="dalian1")
    suzhou, dalian = _org(app, SUZHOU), _org(app, DALIAN)
    with app.app_context():
        make_user(Role.AUTHORITY, username="js", authority_code="320000")
        make_user(Role.AUTHORITY, username="ln", authority_code="210000")  # the province is not the city
    js = app.test_client()
    login(js, "js")
    listing = js.get("/authority/organisations").get_data(as_text=True)
    assert suzhou.name in listing and "大连" not in listing
    token = csrf_token(js, "/authority/")
    assert js.post(f"/authority/organisations/{dalian.id}/verify", data={"csrf_token": token}).status_code == 403
    assert js.post(f"/authority/organisations/{suzhou.id}/verify", data={"csrf_token": token}).status_code == 302
    assert _org(app, SUZHOU).state == OrganisationState.VERIFIED
    assert _org(app, DALIAN).state == OrganisationState.UNVERIFIED
    ln = app.test_client()
    login(ln, "ln")
    r = ln.post(f"/authority/organisations/{dalian.id}/verify", data={"csrf_token": csrf_token(ln, "/authority/")})
    assert r.status_code == 403 and _org(app, DALIAN).state == OrganisationState.UNVERIFIED
    verified = audit_events(app, event="organisation_verified")
    assert [(e.object_id, e.username) for e in verified] == [(str(suzhou.id), "js")]
    assert len(audit_events(app, event="access_denied")) == 2
