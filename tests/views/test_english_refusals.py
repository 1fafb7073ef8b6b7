"""Refusals in English mode: a refusal raised by a service is shown in English on the page where the action
was taken (its values filled in, labels among them translated), and an API refusal answers with an English
`detail` when the request asks for English; Chinese stays the default."""
from __future__ import annotations

import re
from datetime import timedelta

from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import Role
from evalsys.models.types import utcnow
from tests.api.conftest import bearer, world  # noqa: F401 - the API world fixture
from tests.conftest import csrf_token, login
from tests.factories import make_application, make_call, make_org, make_user
from tests.views.test_applications import _valid_application_post
from tests.views.test_english import labels_of
from tests.views.test_refusals import _assert_on_page, _authority_world, _post_from, _shown, state_of

S = ApplicationState
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _english_client(app, username: str):
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert login(client, username).status_code == 302
    return client


def _flashes(html: str) -> list[str]:
    return [text for kind, text in labels_of(html) if kind == "flash"]


def test_recommending_without_the_letter_is_refused_in_english_on_the_application(app):
    w = _authority_world(app, letter=False)
    x = _english_client(app, "ref-auth")
    page = f"/authority/applications/{w['app']}"
    before = state_of(app, w["app"])
    r = _post_from(x, page, f"{page}/recommend", {"order": "1"})
    _assert_on_page(r, page)
    html = x.get(page).get_data(as_text=True)
    assert "Please upload the recommendation letter with the official seal first" in _flashes(html)
    assert "请先上传加盖公章的推荐函" not in html
    assert state_of(app, w["app"]) == before


def test_a_refusal_with_values_is_filled_in_in_english(app):
    w = _authority_world(app, letter=True, quota=1, recommended=1)
    x = _english_client(app, "ref-auth")
    page = f"/authority/applications/{w['app']}"
    r = _post_from(x, page, f"{page}/recommend", {"order": "2"})
    _assert_on_page(r, page)
    flashes = _flashes(x.get(page).get_data(as_text=True))
    assert "Your recommendations have reached your quota for this call (1); no more can be recommended" in flashes
    assert [f for f in flashes if CHINESE.search(f)] == []


def test_submitting_after_the_closing_time_is_refused_in_english_and_in_chinese_without_the_cookie(app):
    with app.app_context():
        now = utcnow()
        call = make_call(opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1),
                         recommend_deadline=now + timedelta(days=5))
        org = make_org()
        make_user(Role.APPLICANT, username="ref-app", organisation=org, commit=False)
        draft = make_application(call, org).id
        db.session.commit()
    page = f"/applicant/applications/{draft}"
    a = _english_client(app, "ref-app")
    _assert_on_page(_post_from(a, page, f"{page}/submit", {}), page)
    flashes = _flashes(a.get(page).get_data(as_text=True))
    assert "The call is not open for applications now; the application cannot be submitted" in flashes
    zh = app.test_client()
    assert login(zh, "ref-app").status_code == 302
    _assert_on_page(_post_from(zh, page, f"{page}/submit", {}), page)
    _shown(zh, page, "该批次当前不在申报期内，不能提交")


def test_a_stale_version_is_explained_in_english_on_the_form(app):
    """A form kept on screen by attempt() lists the refusal in the page's language."""
    with app.app_context():
        call = make_call()
        org = make_org()
        make_user(Role.APPLICANT, username="ref-app", organisation=org, commit=False)
        draft = make_application(call, org).id
        db.session.commit()
    a = _english_client(app, "ref-app")
    edit = f"/applicant/applications/{draft}/edit"
    valid, _ = _valid_application_post(app, draft)
    token = csrf_token(a, edit)
    assert a.post(edit, data={**valid, "csrf_token": token, "address": "first"}).status_code == 302
    r = a.post(edit, data={**valid, "csrf_token": token, "address": "stale tab"},
               headers={"Referer": f"http://localhost{edit}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "The data was changed by someone else; please reload the page and try again" in html
    assert "数据已被他人修改" not in html and "stale tab" in html


def test_an_api_refusal_answers_in_the_language_asked(app, client, world):
    app_id = world.apps_a[0]
    h = bearer(world.tokens["auth_a"])
    assert client.post(f"/api/v1/applications/{app_id}/recommend", json={"order": 1}, headers=h).status_code == 200
    again = f"/api/v1/applications/{app_id}/recommend"
    chinese = client.post(again, json={"order": 1}, headers=h)
    assert chinese.status_code == 409 and chinese.mimetype == "application/problem+json"
    assert "当前状态为“已推荐”，不能执行“推荐”操作" in chinese.get_json()["detail"]
    english = client.post(again, json={"order": 1}, headers={**h, "Accept-Language": "en-GB,en;q=0.9"})
    assert english.status_code == 409
    detail = english.get_json()["detail"]
    assert not CHINESE.search(detail + english.get_json()["title"]), english.get_json()
    assert chinese.get_json()["title"] == "操作冲突"
    assert detail == 'The current state is "Recommended"; "Recommend" is not possible'
    other = client.post(again, json={"order": 1}, headers={**h, "Accept-Language": "fr"})
    assert "不能执行" in other.get_json()["detail"]  # a language the system does not speak: Chinese
