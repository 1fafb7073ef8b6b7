"""The /review workspace and /admin/review pages: a reviewer sees only its own assignments and never
others' scores, crafted POSTs change nothing, blind identities stay hidden, stale tabs are refused,
and the progress board's query count does not grow with the call."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from evalsys.errors import STALE_MESSAGE
from evalsys.extensions import db
from evalsys.models import (ApplicationAttachment, Assignment, AttachmentKind, RankingRun, ReviewerProfile, Role,
                            Score, ScoreSheet, SheetState, User)
from evalsys.services import review_pool, review_sheets
from evalsys.services.applications import system_of
from evalsys.services.assignment import assign_call
from evalsys.services.files import store_bytes
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.reviewutil import make_applications, make_call, make_pool, make_run, sheet_values

VERSION_RE = re.compile(r'name="version"[^>]*value="(\d+)"')


def _setup(app, *, blind=False, n_apps=2, n_reviewers=6):
    """A call in review; returns ids: call code, {reviewer username: [assignment ids]}, app ids."""
    with app.test_request_context():
        admin = make_user(Role.ADMIN, username="rv-admin", commit=False)
        call = make_call(k=5, blind=blind)
        apps = make_applications(call, n_apps)
        for a in apps:
            a.organisation.name = f"身份可识别公司{a.id}"
            a.contact_phone = "13900001111"
        pool = make_pool(n_reviewers)
        assign_call(call, seed=5, actor=admin)
        mine: dict[str, list[int]] = {}
        for row in db.session.scalars(select(Assignment).order_by(Assignment.id)):
            mine.setdefault(db.session.get(User, row.reviewer.user_id).username, []).append(row.id)
        db.session.commit()
        return call.code, mine, [a.id for a in apps], [a.organisation.uscc for a in apps]


def _submit_directly(app, assignment_id, points, comment):
    with app.test_request_context():
        a = db.session.get(Assignment, assignment_id)
        review_pool.confirm_no_conflict(a, actor=db.session.get(User, a.reviewer.user_id))
        system = system_of(a.application)
        review_sheets.submit_sheet(a, review_sheets.SheetInput(scores=sheet_values(system, points), comment=comment),
                         actor=db.session.get(User, a.reviewer.user_id), expected_version=0)
        db.session.commit()


def _sheet_post(client, assignment_id, scores, *, version, action="save"):
    token = csrf_token(client, f"/review/assignments/{assignment_id}")
    data = {"csrf_token": token, "version": str(version), action: "1", "comment": ""}
    data.update({f"score_{k}": v for k, v in scores.items()})
    return client.post(f"/review/assignments/{assignment_id}/sheet", data=data)


def _other_pair(mine):
    users = sorted(mine)
    return users[0], users[1]


def test_reviewer_sees_only_its_assignments_and_never_other_scores(app, client):
    code, mine, app_ids, _ = _setup(app)
    me, other = _other_pair(mine)
    # Another reviewer of the same application submits distinctive scores and a comment.
    with app.app_context():
        shared = [(a, b) for a in mine[me] for b in mine[other]
                  if db.session.get(Assignment, a).application_id == db.session.get(Assignment, b).application_id]
    my_id, their_id = shared[0]
    _submit_directly(app, their_id, 2.3, "机密评语-甲")
    assert login(client, me).status_code == 302
    home = client.get("/review/").get_data(as_text=True)
    assert all(f"/review/assignments/{i}" in home for i in mine[me])
    assert f"/review/assignments/{their_id}" not in home
    page = client.get(f"/review/assignments/{my_id}").get_data(as_text=True)
    assert "机密评语-甲" not in page and 'value="2.3"' not in page
    assert client.get(f"/review/assignments/{their_id}").status_code == 403

    # A crafted POST against the other reviewer's submitted sheet, and against an unsubmitted one: nothing changes.
    with app.app_context():
        before = db.session.scalars(select(Score.tenths).order_by(Score.id)).all()
    token = csrf_token(client, f"/review/assignments/{my_id}")
    for target in [their_id] + [i for i in mine[other] if i != their_id][:1]:
        for url in (f"/review/assignments/{target}/sheet", f"/review/assignments/{target}/divergence",
                    f"/review/assignments/{target}/decline", f"/review/assignments/{target}/confirm"):
            r = client.post(url, data={"csrf_token": token, "version": "1", "submit": "1", "reason": "x",
                                       "comment": "篡改", **{"score_innovation": "8"}})
            assert r.status_code == 403, url
    with app.app_context():
        assert db.session.scalars(select(Score.tenths).order_by(Score.id)).all() == before
        assert db.session.get(ScoreSheet, review_sheets.sheet_of(db.session.get(Assignment, their_id)).id).comment == "机密评语-甲"
        assert db.session.get(Assignment, their_id).state.value == "active"


def test_other_roles_cannot_open_the_workspace(app, client):
    code, mine, _, _ = _setup(app)
    with app.app_context():
        make_user(Role.APPLICANT, username="rv-applicant")
    login(client, "rv-applicant")
    assert client.get("/review/").status_code == 403
    assert client.get(f"/review/assignments/{next(iter(mine.values()))[0]}").status_code == 403


def test_score_sheet_round_trip_validation_and_stale_tab(app, client):
    code, mine, _, _ = _setup(app)
    me = sorted(mine)[0]
    aid = mine[me][0]
    login(client, me)
    page = client.get(f"/review/assignments/{aid}").get_data(as_text=True)
    assert "满分8分" in page and "有原创性突破" in page  # one field per E indicator with its guidance
    tab_version = int(VERSION_RE.search(page).group(1))
    assert tab_version == 0

    r = _sheet_post(client, aid, {"innovation": "8.5"}, version=0)
    assert r.status_code == 400 and "不能超过该指标满分8分" in r.get_data(as_text=True)
    r = _sheet_post(client, aid, {"innovation": "7\x00"}, version=0)
    assert r.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScoreSheet)) == 0

    assert _sheet_post(client, aid, {"innovation": "6.5"}, version=0).status_code == 302
    # The second tab still carries version 0: refused with the message, nothing overwritten.
    r = _sheet_post(client, aid, {"innovation": "1"}, version=0)
    assert r.status_code == 409 and STALE_MESSAGE in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Score.tenths)).all() == [65]
        system = system_of(db.session.get(Assignment, aid).application)
    page = client.get(f"/review/assignments/{aid}").get_data(as_text=True)
    assert 'value="6.5"' in page
    version = int(VERSION_RE.search(page).group(1))
    r = _sheet_post(client, aid, sheet_values(system, 2), version=version, action="submit")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ScoreSheet.state)) == SheetState.SUBMITTED
    page = client.get(f"/review/assignments/{aid}").get_data(as_text=True)
    assert "提交并锁定" in page and "提交评分（" not in page
    version = int(VERSION_RE.search(page).group(1))
    r = _sheet_post(client, aid, sheet_values(system, 3), version=version, action="save")
    assert r.status_code == 409


def test_blind_call_hides_identity_after_the_confirmation(app, client):
    code, mine, app_ids, usccs = _setup(app, blind=True)
    me = sorted(mine)[0]
    aid = mine[me][0]
    with app.test_request_context():
        a = db.session.get(Assignment, aid)
        actor = make_user(Role.ADMIN, commit=False)
        files = {}
        for kind, name in ((AttachmentKind.LICENCE, f"营业执照-{a.application.organisation.name}.pdf"),
                           (AttachmentKind.REPORT, f"申报报告-{a.application.organisation.name}.pdf")):
            stored = store_bytes(b"%PDF-1.4\n%%EOF\n", name, "application/pdf", purpose="test", actor_id=actor.id)
            att = ApplicationAttachment(application_id=a.application_id, kind=kind, file_id=stored.id,
                                        uploaded_by_id=actor.id)
            db.session.add(att)
            db.session.flush()
            files[kind] = att.id
        org_name, uscc, app_id = a.application.organisation.name, a.application.organisation.uscc, a.application_id
        db.session.commit()
    login(client, me)
    home = client.get("/review/").get_data(as_text=True)  # the work list names the number, not the organisation
    assert f"申报编号 {app_id}" in home and org_name not in home
    first = client.get(f"/review/assignments/{aid}").get_data(as_text=True)
    assert org_name in first and uscc in first and "确认无利益冲突" in first
    assert "指标数据" not in first and 'name="score_innovation"' not in first
    assert client.get(f"/review/assignments/{aid}/attachments/{files[AttachmentKind.REPORT]}").status_code == 403
    r = client.post(f"/review/assignments/{aid}/confirm", data={"csrf_token": csrf_token(client, "/review/")})
    assert r.status_code == 302
    page = client.get(f"/review/assignments/{aid}").get_data(as_text=True)
    assert 'name="score_innovation"' in page
    assert "指标数据" in page and "申报材料正文" in page  # the application's body, shared with its own pages
    for secret in (org_name, uscc, "13900001111", "营业执照-"):
        assert secret not in page
    assert org_name not in client.get("/review/").get_data(as_text=True)
    assert client.get(f"/review/assignments/{aid}/attachments/{files[AttachmentKind.LICENCE]}").status_code == 403
    r = client.get(f"/review/assignments/{aid}/attachments/{files[AttachmentKind.REPORT]}")
    assert r.status_code == 200 and org_name.encode("utf-8") not in r.headers["Content-Disposition"].encode("utf-8")
    assert "%E8%BA%AB%E4%BB%BD" not in r.headers["Content-Disposition"]  # "身份" percent-encoded


def test_declining_from_the_workspace_voids_and_offers_a_replacement(app, client):
    code, mine, app_ids, _ = _setup(app, n_reviewers=8)
    me = sorted(mine)[0]
    aid = mine[me][0]
    _submit_directly(app, aid, 3, "")
    with app.app_context():
        make_run(db.session.get(Assignment, aid).application.call)
        db.session.commit()
    login(client, me)
    token = csrf_token(client, f"/review/assignments/{aid}")
    r = client.post(f"/review/assignments/{aid}/decline", data={"csrf_token": token, "reason": "曾任该企业顾问"})
    assert r.status_code == 302
    with app.app_context():
        a = db.session.get(Assignment, aid)
        assert a.state.value == "declined" and review_sheets.sheet_of(a).state == SheetState.VOIDED
        assert db.session.scalar(select(RankingRun.stale))
    assert client.get(f"/review/assignments/{aid}").status_code == 403
    admin = app.test_client()
    login(admin, "rv-admin")
    page = admin.get(f"/admin/review/calls/{code}").get_data(as_text=True)
    assert "建议替换" in page and "采纳" in page


def test_admin_assigns_reopens_and_security_admin_activates(app, client):
    with app.test_request_context():
        make_user(Role.ADMIN, username="rv-admin2")
        make_user(Role.SECADMIN, username="rv-sec")
        call = make_call(k=5)
        make_applications(call, 3)
        make_pool(6)
        db.session.commit()
        code = call.code
    login(client, "rv-admin2")
    token = csrf_token(client, f"/admin/review/calls/{code}")
    r = client.post(f"/admin/review/calls/{code}/assign", data={"csrf_token": token, "seed": "11"})
    assert r.status_code == 302
    page = client.get(f"/admin/review/calls/{code}").get_data(as_text=True)
    assert "排序设置已于" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 15
        aid = db.session.scalars(select(Assignment.id).order_by(Assignment.id)).first()
    _submit_directly(app, aid, 3, "")
    with app.app_context():
        a = db.session.get(Assignment, aid)
        sheet_id = review_sheets.sheet_of(a).id
        app_id = a.application_id
        run_id = make_run(a.application.call).id
        db.session.commit()
    page = client.get(f"/admin/review/calls/{code}/applications/{app_id}")
    assert page.status_code == 200 and "重新开放" in page.get_data(as_text=True)
    r = client.post(f"/admin/review/sheets/{sheet_id}/reopen", data={"csrf_token": token, "reason": "笔误更正"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(RankingRun, run_id).stale
        assert db.session.get(ScoreSheet, sheet_id).state == SheetState.DRAFT
    for path in ("/admin/review/reviewers", "/admin/review/calls", f"/admin/review/calls/{code}/progress",
                 f"/admin/review/calls/{code}/progress?by=reviewers", "/admin/review/reviewers/new"):
        assert client.get(path).status_code == 200, path
    r = client.post("/admin/review/reviewers/new", data={
        "csrf_token": token, "name": "赵专家", "home_authority_code": "370200", "field_tags": "物流"})
    assert r.status_code == 302
    sec = app.test_client()
    login(sec, "rv-sec")
    assert "赵专家" in sec.get("/security/reviewers").get_data(as_text=True)
    with app.app_context():
        pid = db.session.scalar(select(ReviewerProfile.id).where(ReviewerProfile.name == "赵专家"))
    r = sec.post(f"/security/reviewers/{pid}/activate", data={
        "csrf_token": csrf_token(sec, "/security/reviewers"), "username": "zhao-expert", "password": "Kx7#mQ2!vR9pLw"})
    assert r.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "zhao-expert"))
        assert user.role == Role.REVIEWER and db.session.get(ReviewerProfile, pid).user_id == user.id
    # The admin may not activate accounts.
    assert client.get(f"/security/reviewers/{pid}/activate").status_code == 403


# --- the progress board's query count ---------------------------------------------------------------

def _board_queries(app, n: int) -> dict[str, int]:
    from evalsys.domain.workflow import ApplicationState

    with app.test_request_context():
        make_user(Role.ADMIN, username=f"board-admin-{n}")
        call = make_call(k=5)
        apps = make_applications(call, n, state=ApplicationState.UNDER_REVIEW)
        pool = make_pool(6 + n // 4)  # the pool grows with the call too (11 vs 56 reviewers)
        # Rows written directly (the board only reads them): five reviewers each, some sheets
        # submitted (a few flagged), some drafts, some not started.
        i = 0
        for a in apps:
            for j in range(5):
                row = Assignment(call_id=call.id, application_id=a.id, reviewer_id=pool[(a.id + j) % len(pool)].id)
                db.session.add(row)
                db.session.flush()
                i += 1
                if i % 3:
                    db.session.add(ScoreSheet(assignment_id=row.id, state=SheetState.SUBMITTED if i % 3 == 1
                                              else SheetState.DRAFT, divergence_flagged=i % 7 == 1))
        db.session.commit()
        code = call.code
    client = app.test_client()
    login(client, f"board-admin-{n}")
    counts = {}
    with app.app_context():
        engine = db.engine
    for path in (f"/admin/review/calls/{code}/progress", f"/admin/review/calls/{code}/progress?by=reviewers",
                 f"/admin/review/calls/{code}/progress?pending=1", f"/admin/review/calls/{code}"):
        seen = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts[path.split(code)[1]] = len(seen)
    return counts


def test_progress_board_queries_do_not_grow_with_the_call(app):
    small = _board_queries(app, 20)
    large = _board_queries(app, 200)
    assert small == large, (small, large)


@pytest.mark.parametrize("path", ["/review/", "/review/conflicts"])
def test_reviewer_without_profile_gets_an_empty_workspace_or_403(app, client, path):
    with app.app_context():
        make_user(Role.REVIEWER, username="lonely-reviewer")
    login(client, "lonely-reviewer")
    assert client.get(path).status_code in (200, 403)
