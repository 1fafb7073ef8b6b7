"""No dead ends: an expected refusal (missing letter, quota full, deadline passed, stale version) lands on
the page where the action was taken, in Chinese, with the way forward and nothing changed; issued or
submitted things are shown read-only; a page never offers an action the state does not allow."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import Application, Role
from evalsys.models.types import utcnow
from evalsys.services.evaluation_reports import issue_report
from tests.conftest import audit_events, csrf_token, login
from tests.evalutil import advance, make_perf_base, make_round, signing_config
from tests.factories import make_application, make_call, make_letter, make_org, make_user
from tests.views.test_applications import _valid_application_post, state_of

S = ApplicationState
ERROR_PAGE_MARKS = ("操作冲突", "事件编号", "返回首页")


def _client(app, username: str):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def _post_from(client, page: str, action: str, data: dict):
    """POST like a browser does from `page` (sending it as the Referer)."""
    token = csrf_token(client, page)
    return client.post(action, data={"csrf_token": token, **data}, headers={"Referer": f"http://localhost{page}"})


def _assert_on_page(response, page: str) -> None:
    """The refusal answered with a redirect back to `page` (where `_shown` then finds the message)."""
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].endswith(page)


def _shown(client, page: str, message: str) -> str:
    r = client.get(page)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert message in html
    for mark in ERROR_PAGE_MARKS:
        assert mark not in html, mark
    return html


def _authority_world(app, *, letter: bool, quota: int = 8, recommended: int = 0) -> dict:
    with app.app_context():
        call = make_call(quota_per_authority=quota)
        auth = make_user(Role.AUTHORITY, username="ref-auth", authority_code="320000", commit=False)
        if letter:
            make_letter(call, auth)
        for _ in range(recommended):
            make_application(call, make_org(), S.RECOMMENDED)
        target = make_application(call, make_org(), S.SUBMITTED)
        db.session.commit()
        return {"call": call.code, "app": target.id}


def test_recommending_without_the_letter_stays_on_the_application_with_the_upload_control(app):
    w = _authority_world(app, letter=False)
    x = _client(app, "ref-auth")
    page = f"/authority/applications/{w['app']}"
    before = state_of(app, w["app"])
    r = _post_from(x, page, f"{page}/recommend", {"order": "1"})
    _assert_on_page(r, page)
    html = _shown(x, page, "请先上传加盖公章的推荐函")
    # the way forward is on the same page: the letter upload of this call
    assert f'action="/authority/calls/{w["call"]}/letter"' in html
    assert state_of(app, w["app"]) == before


def test_recommending_beyond_the_quota_stays_on_the_application(app):
    w = _authority_world(app, letter=True, quota=1, recommended=1)
    x = _client(app, "ref-auth")
    page = f"/authority/applications/{w['app']}"
    before = state_of(app, w["app"])
    r = _post_from(x, page, f"{page}/recommend", {"order": "2"})
    _assert_on_page(r, page)
    _shown(x, page, "推荐数量已达到本单位在本批次的名额上限（1个），不能继续推荐")
    assert state_of(app, w["app"]) == before


def test_submitting_after_the_closing_time_stays_on_the_application(app):
    with app.app_context():
        now = utcnow()
        call = make_call(opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1),
                         recommend_deadline=now + timedelta(days=5))
        org = make_org()
        make_user(Role.APPLICANT, username="ref-app", organisation=org, commit=False)
        draft = make_application(call, org).id
        db.session.commit()
    a = _client(app, "ref-app")
    page = f"/applicant/applications/{draft}"
    before = state_of(app, draft)
    r = _post_from(a, page, f"{page}/submit", {})
    _assert_on_page(r, page)
    _shown(a, page, "该批次当前不在申报期内，不能提交")
    assert state_of(app, draft) == before


def test_a_stale_version_is_shown_on_the_form_with_the_input_kept(app):
    with app.app_context():
        call = make_call()
        org = make_org()
        make_user(Role.APPLICANT, username="ref-app", organisation=org, commit=False)
        draft = make_application(call, org).id
        db.session.commit()
    a = _client(app, "ref-app")
    edit = f"/applicant/applications/{draft}/edit"
    valid, _ = _valid_application_post(app, draft)
    token = csrf_token(a, edit)
    assert a.post(edit, data={**valid, "csrf_token": token, "address": "先保存的地址"}).status_code == 302
    before = state_of(app, draft)
    r = a.post(edit, data={**valid, "csrf_token": token, "address": "过期标签页的地址"},
               headers={"Referer": f"http://localhost{edit}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409  # the edit page itself (a conflict), not the error page
    assert "数据已被他人修改，请刷新后重试" in html
    assert "过期标签页的地址" in html  # nothing typed is lost
    assert 'name="version"' in html  # the form itself, ready to copy from and reload
    for mark in ERROR_PAGE_MARKS:
        assert mark not in html, mark
    assert state_of(app, draft) == before
    with app.app_context():
        assert db.session.get(Application, draft).address == "先保存的地址"
    assert audit_events(app, event="stale_edit")


@pytest.fixture
def evaluation_world(app, app_config):
    with app.app_context():
        done, draft = make_perf_base(), make_perf_base()
        round_ = make_round([done, draft])
        ev_done, ev_draft = round_.evaluations
        admin = make_user(Role.ADMIN, username="ref-admin", commit=False)
        op = make_user(Role.APPLICANT, username="ref-op", organisation=done.operator, commit=False)
        make_user(Role.APPLICANT, username="ref-op-b", organisation=draft.operator, commit=False)
        js = make_user(Role.AUTHORITY, username="ref-js", authority_code="320000", commit=False)
        advance(ev_done, fraction="0.95", to="accepted", operator=op, authority=js, admin=admin)
        issue_report(ev_done, actor=admin)
        db.session.commit()
        return {"issued": ev_done.id, "draft": ev_draft.id}


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing-refusals"))
    return app_config


def _enabled_forms_posting_to(html: str, action: str) -> int:
    return len(re.findall(rf'<form[^>]*action="{re.escape(action)}"', html)) + \
        len(re.findall(r'<form method="post" class="card card-body mb-3">', html))


def test_an_issued_self_evaluation_is_read_only_and_saving_it_is_refused_on_the_page(app, evaluation_world):
    op = _client(app, "ref-op")
    page = f"/applicant/evaluations/{evaluation_world['issued']}"
    html = op.get(page).get_data(as_text=True)
    assert 'name="figure_' not in html and 'name="narrative_' not in html  # no input of the self-evaluation form
    assert "<textarea" not in html.split("佐证材料")[0]
    assert _enabled_forms_posting_to(html, f"{page}/evidence") == 0  # no evidence upload either
    assert "保存</button>" not in html
    # a crafted save lands back on the page with the reason, never a 400
    r = _post_from(op, page, page, {"version": "1"})
    _assert_on_page(r, page)
    _shown(op, page, "自评已提交，不能再修改")
    # the draft of another base is still a form
    b = _client(app, "ref-op-b")
    draft_html = b.get(f"/applicant/evaluations/{evaluation_world['draft']}").get_data(as_text=True)
    assert "保存</button>" in draft_html


def test_actions_the_state_does_not_allow_are_not_offered(app):
    w = _authority_world(app, letter=True)
    x = _client(app, "ref-auth")
    page = f"/authority/applications/{w['app']}"
    html = x.get(page).get_data(as_text=True)
    assert f'action="{page}/recommend"' in html  # submitted: may be recommended
    assert f'action="{page}/take-back"' not in html
    with app.app_context():
        row = db.session.get(Application, w["app"])
        row.state = S.NOT_RECOMMENDED
        db.session.commit()
    html = x.get(page).get_data(as_text=True)
    for verb in ("recommend", "return", "not-recommend", "take-back"):
        assert f'action="{page}/{verb}"' not in html, verb


def test_every_open_call_shows_its_letter_quota_and_export_without_a_filter(app):
    w = _authority_world(app, letter=False, quota=3, recommended=1)
    x = _client(app, "ref-auth")
    html = x.get("/authority/applications").get_data(as_text=True)
    assert f'action="/authority/calls/{w["call"]}/letter"' in html
    assert f'/authority/calls/{w["call"]}/export' in html
    assert re.search(r"已用推荐名额：<strong>1</strong> / 3", html)
