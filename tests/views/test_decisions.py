"""Decision pages: the second-admin rule through the browser's forms, the public publicity page and PDF,
and an authority's results (its jurisdiction only, only after the announcement)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import Application, Authority, Call, Proposal, ProposalState, Role
from evalsys.models.types import utcnow
from evalsys.services import decisions as dec
from evalsys.services import runs
from tests.conftest import login, post
from tests.factories import make_user
from tests.rankutil import build_scored_call


def _setup(app, *, categories=("retail", "service")) -> dict:
    with app.app_context():
        built = build_scored_call(n_apps=12, places=3, categories=categories)
        make_user(Role.ADMIN, username="admin-a")
        make_user(Role.ADMIN, username="admin-b")
        call = db.session.get(Call, built.call_id)
        runs.run_call(call, samples=0, actor=None)
        db.session.commit()
        order = {c: [int(r["id"]) for r in runs.official_run(call, c).results["mcda"]["results"]]
                 for c in (categories or [""])}
        return {"code": built.code, "call_id": built.call_id, "order": order}


def _states(app, ids):
    with app.app_context():
        return [db.session.get(Application, i).state for i in ids]


def test_differing_proposal_waits_for_a_second_admin_and_the_proposer_cannot_approve(app, client):
    data = _setup(app)
    code, order = data["code"], data["order"]["retail"]
    login(client, "admin-a")
    page = client.get(f"/admin/calls/{code}/decisions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "提出拟入选名单" in html
    # The official top places are pre-checked.
    for app_id in order[:3]:
        assert f'value="{app_id}" id="p-retail-applications-{app_id}" checked' in html
    assert f'value="{order[3]}" id="p-retail-applications-{order[3]}" checked' not in html

    path = f"/admin/calls/{code}/decisions/propose/retail"
    swapped = [order[0], order[1], order[3]]
    r = post(client, path, {"p-retail-applications": swapped, "p-retail-reason": ""}, token_from=f"/admin/calls/{code}/decisions")
    assert r.status_code == 409 and "必须填写理由" in r.get_data(as_text=True)
    assert _states(app, swapped) == [S.SCORED] * 3

    r = post(client, path, {"p-retail-applications": swapped, "p-retail-reason": "第三名资质存疑"},
             token_from=f"/admin/calls/{code}/decisions")
    assert r.status_code == 302
    with app.app_context():
        proposal = db.session.scalar(select(Proposal))
        assert proposal.state == ProposalState.PENDING and proposal.differs
        pid = proposal.id
    assert _states(app, swapped) == [S.SCORED] * 3
    approve = f"/admin/calls/{code}/decisions/proposals/{pid}/approve"
    assert approve not in client.get(f"/admin/calls/{code}/decisions").get_data(as_text=True)
    r = post(client, approve, token_from=f"/admin/calls/{code}/decisions")
    assert r.status_code == 409 and "提出人不能自己批准" in r.get_data(as_text=True)
    assert _states(app, swapped) == [S.SCORED] * 3

    other = app.test_client()
    login(other, "admin-b")
    assert approve in other.get(f"/admin/calls/{code}/decisions").get_data(as_text=True)
    assert post(other, approve, token_from=f"/admin/calls/{code}/decisions").status_code == 302
    assert _states(app, swapped) == [S.PROPOSED] * 3 and _states(app, [order[2]]) == [S.SCORED]
    # Applied: no admin is offered approval or withdrawal any more, and the server agrees.
    withdraw = f"/admin/calls/{code}/decisions/proposals/{pid}/withdraw"
    for admin in (client, other):
        page = admin.get(f"/admin/calls/{code}/decisions").get_data(as_text=True)
        assert approve not in page and withdraw not in page
    r = post(client, withdraw, token_from=f"/admin/calls/{code}/decisions")
    assert r.status_code == 409 and "不是待批准状态" in r.get_data(as_text=True)


def test_bad_proposal_input_is_a_chinese_error_not_a_500(app, client):
    data = _setup(app)
    login(client, "admin-a")
    path = f"/admin/calls/{data['code']}/decisions/propose/retail"
    for value in ("abc", "999999", "1\x00"):
        r = post(client, path, {"p-retail-applications": [value]}, token_from="/auth/password",
                 follow_redirects=True)
        # Refused on the decisions page itself, with the reason (no dead-end error page), nothing proposed.
        assert r.status_code == 200 and r.request.path == f"/admin/calls/{data['code']}/decisions"
        assert "所选对象无效" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def _announce_ready(app, data, *, days_ago: int = 10):
    with app.app_context():
        call = db.session.get(Call, data["call_id"])
        admin = db.session.scalar(select(db.Model.metadata.tables["users"].c.id).where(
            db.Model.metadata.tables["users"].c.username == "admin-a"))
        from evalsys.models import User
        actor = db.session.get(User, admin)
        for category in call.category_codes:
            dec.propose_candidates(call, category, dec.expected_candidates(call, category)[1], reason=None,
                                   actor=actor)
        dec.open_publicity(call, actor=actor, now=utcnow() - timedelta(days=days_ago))
        db.session.commit()


def test_public_publicity_page_lists_candidates_with_authority_and_category_without_login(app, client):
    data = _setup(app)
    assert "暂无公示" in client.get(f"/public/calls/{data['code']}/publicity").get_data(as_text=True)
    _announce_ready(app, data)
    r = client.get(f"/public/calls/{data['code']}/publicity")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "拟入选名单公示" in html
    with app.app_context():
        call = db.session.get(Call, data["call_id"])
        labels = dec.category_labels(call)
        for category, order in data["order"].items():
            for i, app_id in enumerate(order):
                a = db.session.get(Application, app_id)
                listed = f"<td>{a.organisation.name}</td>" in html
                assert listed == (i < 3), (a.organisation.name, i)
                if i < 3:
                    assert db.session.get(Authority, a.authority_code).name in html
            assert labels.get(category, category) in html
    assert client.get("/public/calls/no-such-call/publicity").status_code == 404
    assert data["code"] in client.get("/public/publicity").get_data(as_text=True)


def test_publicity_pdf_is_a_pdf_and_identical_for_the_same_list(app, client):
    data = _setup(app)
    _announce_ready(app, data)
    login(client, "admin-a")
    first = client.get(f"/admin/calls/{data['code']}/publicity.pdf")
    second = client.get(f"/admin/calls/{data['code']}/publicity.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-") and first.data == second.data
    assert "attachment" in first.headers["Content-Disposition"]
    from io import BytesIO

    from pypdf import PdfReader
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(first.data)).pages)
    with app.app_context():
        name = db.session.get(Application, data["order"]["retail"][0]).organisation.name
    assert "公示" in text and name in text


def test_an_authority_sees_only_its_jurisdictions_results_and_only_after_the_announcement(app, client):
    data = _setup(app)
    with app.app_context():
        first = db.session.get(Application, data["order"]["retail"][0])
        mine, name_mine = first.authority_code, first.organisation.name
        theirs = db.session.scalars(select(Application).where(Application.call_id == data["call_id"],
                                                              Application.authority_code != mine)).all()
        other_names = [a.organisation.name for a in theirs]
        own_names = db.session.scalars(select(Application).where(Application.call_id == data["call_id"],
                                                                 Application.authority_code == mine)).all()
        own_names = [a.organisation.name for a in own_names]
    with app.app_context():
        make_user(Role.AUTHORITY, username="auth-mine", authority_code=mine)
    _announce_ready(app, data)
    login(client, "auth-mine")
    url = f"/authority/calls/{data['code']}/results"
    # In publicity (not announced): nothing, and the call is not listed.
    assert client.get(url).status_code == 404
    assert data["code"] not in client.get("/authority/results").get_data(as_text=True)

    admin = app.test_client()
    login(admin, "admin-a")
    page = admin.get(f"/admin/calls/{data['code']}/decisions").get_data(as_text=True)
    assert "公布后不可撤销，确认公布？" in page  # confirmation before the irreversible step
    r = post(admin, f"/admin/calls/{data['code']}/decisions/announce", token_from=f"/admin/calls/{data['code']}/decisions")
    assert r.status_code == 302
    assert _states(app, data["order"]["retail"][:3]) == [S.APPROVED] * 3

    r = client.get(url)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and name_mine in html
    assert all(f"<td>{n}</td>" in html for n in own_names)
    assert not any(f"<td>{n}</td>" in html for n in other_names)
    assert data["code"] in client.get("/authority/results").get_data(as_text=True)
    # Announcing twice is refused with a message, state unchanged.
    r = post(admin, f"/admin/calls/{data['code']}/decisions/announce", token_from="/auth/password")
    assert r.status_code == 409 and "结果已公布" in r.get_data(as_text=True)


def test_objection_through_the_forms_with_bad_input_refused(app, client):
    data = _setup(app)
    _announce_ready(app, data, days_ago=1)
    login(client, "admin-a")
    code, target = data["code"], data["order"]["retail"][0]
    base = f"/admin/calls/{code}/decisions"
    r = post(client, f"{base}/objections", {"application": target, "channel": "letter", "received_at": "昨天",
                                            "summary": "来信"}, token_from=base, follow_redirects=True)
    assert r.status_code == 200 and r.request.path == base and "alert-danger" in r.get_data(as_text=True)
    r = post(client, f"{base}/objections", {"application": target, "channel": "letter",
                                            "received_at": "2026-01-02T09:30", "summary": "来信反映\x00"},
             token_from=base, follow_redirects=True)
    assert r.status_code == 200 and r.request.path == base and "alert-danger" in r.get_data(as_text=True)
    with app.app_context():
        from evalsys.models import Objection
        assert db.session.scalar(select(func.count()).select_from(Objection)) == 0
    r = post(client, f"{base}/objections", {"application": target, "channel": "letter",
                                            "received_at": "2026-01-02T09:30", "summary": "来信反映虚假宣传"},
             token_from=base)
    assert r.status_code == 302
    with app.app_context():
        from evalsys.models import Objection
        oid = db.session.scalar(select(Objection.id))
    r = post(client, f"{base}/objections/{oid}", {"decision": "uphold", "reason": ""}, token_from=base,
             follow_redirects=True)
    assert r.request.path == base and "处理异议必须填写理由" in r.get_data(as_text=True)
    assert _states(app, [target]) == [S.IN_PUBLICITY]
    r = post(client, f"{base}/objections/{oid}", {"decision": "uphold", "reason": "核查属实"}, token_from=base)
    assert r.status_code == 302 and _states(app, [target]) == [S.REJECTED]
    assert "核查属实" in client.get(base).get_data(as_text=True)
