"""Funds through the API: the summary equals the `funds summary` JSON, a base's figures are scoped like the
web (operator A vs B, authority A vs B), and an expenditure with its voucher goes through the same checks."""
from __future__ import annotations

import io
import json

from sqlalchemy import select

from evalsys.extensions import db
from evalsys.models import Expenditure, StoredFile
from tests.api.conftest import bearer
from tests.conftest import audit_events
from tests.factories import pdf_bytes

PROBLEM = "application/problem+json"


def entry_form(**kw) -> dict:
    data = {"date": "2014-03-01", "project": "公共服务平台运营", "category": "PSP", "amount_fen": "1000000",
            "payee": "某某信息技术有限公司", "voucher_no": "JZ-1"}
    data.update(kw)
    return data


def test_summary_is_the_cli_json(app, client, runner, world):
    r = client.get("/api/v1/funds/summary", headers=bearer(world.tokens["admin"]))
    assert r.status_code == 200
    cli = runner.invoke(args=["funds", "summary", "--format", "json"])
    assert cli.exit_code == 0
    assert r.get_json() == json.loads(cli.output) and len(r.get_json()) == 2
    r2 = client.get("/api/v1/funds/summary?year=2013", headers=bearer(world.tokens["admin"]))
    assert r2.get_json() == json.loads(runner.invoke(args=["funds", "summary", "--format", "json",
                                                           "--year", "2013"]).output)
    assert client.get("/api/v1/funds/summary?year=1999", headers=bearer(world.tokens["admin"])).status_code == 422
    for token in ("auth_a", "op_a", "reviewer"):
        assert client.get("/api/v1/funds/summary", headers=bearer(world.tokens[token])).status_code == 403


def test_base_funds_scoping(app, client, world):
    for token, base, expected in (("op_a", world.base_a, 200), ("op_a", world.base_b, 403),
                                  ("op_b", world.base_b, 200), ("auth_a", world.base_a, 200),
                                  ("auth_a", world.base_b, 403), ("auth_b", world.base_b, 200),
                                  ("admin", world.base_b, 200), ("applicant", world.base_a, 403),
                                  ("admin", "NOPE", 404)):
        r = client.get(f"/api/v1/bases/{base}/funds", headers=bearer(world.tokens[token]))
        assert r.status_code == expected, (token, base, r.status_code)
    body = client.get(f"/api/v1/bases/{world.base_a}/funds", headers=bearer(world.tokens["op_a"])).get_json()
    assert body["totals"]["allocated_fen"] == body["totals"]["received_fen"] == 100_000_000
    assert [a["id"] for a in body["allocations"]] == [world.allocation_a]
    assert body["years"][0]["year"] == 2013


def test_operator_records_an_expenditure_with_its_voucher(app, client, world):
    url = f"/api/v1/bases/{world.base_a}/allocations/{world.allocation_a}/expenditures"
    data = {**entry_form(), "voucher": (io.BytesIO(pdf_bytes("voucher")), "凭证.pdf")}
    r = client.post(url, data=data, content_type="multipart/form-data", headers=bearer(world.tokens["op_a"]))
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert body["status"] == "pending" and body["amount_fen"] == 1_000_000 and body["voucher_sha256"]
    with app.app_context():
        entry = db.session.get(Expenditure, body["id"])
        assert entry.voucher_file.original_name == "凭证.pdf" and entry.created_by_id == world.users["op_a"]
    assert [e.username for e in audit_events(app, event="fund_expenditure_recorded")] == ["api-op-a"]


def test_expenditure_refusals(app, client, world):
    url = f"/api/v1/bases/{world.base_a}/allocations/{world.allocation_a}/expenditures"
    h = bearer(world.tokens["op_a"])

    def post(token=None, target=url, **files_and_fields):
        return client.post(target, data=files_and_fields, content_type="multipart/form-data",
                           headers=bearer(world.tokens[token]) if token else h)

    # The same upload checks as the web: a renamed executable is refused, nothing is recorded.
    r = post(**entry_form(), voucher=(io.BytesIO(b"MZ\x90\x00exe"), "凭证.pdf"))
    assert r.status_code == 422 and "voucher" in r.get_json()["errors"]
    # Invalid fields: 422 with field errors; never a 500.
    for bad in ({"amount_fen": "0"}, {"amount_fen": "1.5"}, {"amount_fen": "9" * 40}, {"date": "2014-02-30"},
                {"date": "x"}, {"project": "a\x00b"}, {"category": "ZZZ"}, {"project": ""}):
        r = post(**entry_form(**bad))
        assert r.status_code == 422 and r.mimetype == PROBLEM and r.get_json()["errors"], (bad, r.status_code)
    # Operator B, the authority and the ministry may not record on A's base; a wrong allocation is 404.
    for token in ("op_b", "auth_a", "admin"):
        assert post(token, **entry_form()).status_code == 403, token
    r = post(target=f"/api/v1/bases/{world.base_a}/allocations/{world.allocation_b}/expenditures", **entry_form())
    assert r.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Expenditure.id)) is None
        assert db.session.scalar(select(StoredFile.id).where(StoredFile.purpose == "voucher")) is None


def test_expenditure_idempotency_survives_a_new_multipart_boundary(app, client, world):
    url = f"/api/v1/bases/{world.base_a}/allocations/{world.allocation_a}/expenditures"
    h = {**bearer(world.tokens["op_a"]), "Idempotency-Key": "exp-1"}
    answers = []
    for boundary in ("aaaa", "bbbb"):
        # Werkzeug picks its own boundary; two separate encodings stand for a client's retry.
        data = {**entry_form(), "voucher": (io.BytesIO(pdf_bytes("voucher")), "凭证.pdf")}
        answers.append(client.post(url, data=data, content_type="multipart/form-data", headers=h))
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].get_json() == answers[1].get_json()
    with app.app_context():
        assert len(db.session.scalars(select(Expenditure.id)).all()) == 1
    r = client.post(url, data=entry_form(amount_fen="2000000"), content_type="multipart/form-data", headers=h)
    assert r.status_code == 422
