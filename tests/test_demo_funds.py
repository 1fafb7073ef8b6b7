"""The demo subsidy funds: 34 bases B1-01…B1-34 run by baseop01–baseop34, allocations 2013–2015 with
tranches and entries, every kind of compliance flag, guard rows agreeing with the entries, idempotency."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from evalsys.domain.funds import ExpenditureStatus
from evalsys.extensions import db
from evalsys.models import (Allocation, Authority, ComplianceFlag, Expenditure, FirstBatchBase, FundAccount,
                            Role, Tranche, User)
from evalsys.models.funds import FLAG_CODE_LABELS
from tests.conftest import login, make_test_config

CREATED: dict[str, int] = {}


@pytest.fixture(scope="module")
def funds_demo(template_db, tmp_path_factory):
    """One database with the demo funds loaded once, shared by this module."""
    from evalsys import create_app
    from evalsys.demo import DEMO_PASSWORD, _ensure_user
    from evalsys.demo.funds import load_funds_demo
    from evalsys.services.passwords import hash_password

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("funds-demo") / "instance")))
    with app.app_context():
        CREATED["bases"] = load_funds_demo(hash_password(DEMO_PASSWORD), _ensure_user)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    template_db.drop(url)


def test_34_bases_with_their_operator_accounts(funds_demo):
    with funds_demo.app_context():
        bases = db.session.scalars(select(FirstBatchBase).order_by(FirstBatchBase.code)).unique().all()
        assert [b.code for b in bases] == [f"B1-{i:02d}" for i in range(1, 35)]
        authorities = set(db.session.scalars(select(Authority.code)))
        assert {b.authority_code for b in bases} <= authorities
        assert len({b.authority_code for b in bases}) >= 25  # spread across the authorities
        assert len({b.organisation_id for b in bases}) == 34
        for i, base in enumerate(bases, start=1):
            user = db.session.scalar(select(User).where(User.username == f"baseop{i:02d}"))
            assert user is not None and user.role == Role.APPLICANT
            assert user.organisation_id == base.organisation_id
            assert base.operator.authority_code == base.authority_code
            assert base.name and base.city and base.target_values()  # creation-plan targets recorded
    c = funds_demo.test_client()
    from evalsys.demo import DEMO_PASSWORD

    assert login(c, "baseop07", DEMO_PASSWORD).status_code == 302
    html = c.get("/applicant/funds", follow_redirects=True).get_data(as_text=True)
    assert "B1-07" in html and "B1-08" not in html


def test_allocations_2013_to_2015_tranches_and_entries_for_every_base(funds_demo):
    with funds_demo.app_context():
        years = Counter(db.session.scalars(select(Allocation.year)))
        assert years == {2013: 34, 2014: 34, 2015: 34}
        with_tranches = set(db.session.scalars(select(Tranche.allocation_id)))
        assert len(with_tranches) == 102
        per_year = Counter(y for y, in db.session.execute(
            select(Allocation.year).join(Expenditure, Expenditure.allocation_id == Allocation.id)
            .where(Expenditure.status == ExpenditureStatus.VERIFIED)))
        assert all(per_year[y] >= 34 for y in (2013, 2014, 2015))
        statuses = set(db.session.scalars(select(Expenditure.status)))
        assert statuses == set(ExpenditureStatus)
        # Some allocations have not fully arrived: arrival rates below 1 exist.
        short = [a for a in db.session.scalars(select(Allocation)).unique()
                 if sum(t.amount_fen for t in a.tranches) < a.amount_fen]
        assert short


def test_guard_rows_agree_with_tranches_and_verified_entries(funds_demo):
    with funds_demo.app_context():
        received = dict(db.session.execute(select(Tranche.allocation_id, func.sum(Tranche.amount_fen))
                                           .group_by(Tranche.allocation_id)).all())
        spent = dict(db.session.execute(
            select(Expenditure.allocation_id, func.sum(Expenditure.amount_fen))
            .where(Expenditure.status == ExpenditureStatus.VERIFIED).group_by(Expenditure.allocation_id)).all())
        for acct in db.session.scalars(select(FundAccount)):
            assert acct.received_fen == received.get(acct.allocation_id, 0)
            assert acct.verified_spent_fen == spent.get(acct.allocation_id, 0) <= acct.received_fen
            assert not acct.overspend_allowed


def test_every_kind_of_flag_is_raised_with_a_chinese_message(funds_demo):
    with funds_demo.app_context():
        flags = db.session.scalars(select(ComplianceFlag)).all()
        assert {f.code for f in flags} == set(FLAG_CODE_LABELS)
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in f.message) for f in flags)


def test_loading_again_creates_nothing(funds_demo):
    from evalsys.demo import DEMO_PASSWORD, _ensure_user
    from evalsys.demo.funds import load_funds_demo

    assert CREATED["bases"] == 34
    tables = (FirstBatchBase, Allocation, Tranche, Expenditure, ComplianceFlag, User)
    with funds_demo.app_context():
        before = [db.session.scalar(select(func.count()).select_from(t)) for t in tables]
        assert load_funds_demo("unused-hash", _ensure_user) == 0
        db.session.commit()
        assert [db.session.scalar(select(func.count()).select_from(t)) for t in tables] == before
        assert DEMO_PASSWORD  # the accounts kept their demo password hash


def test_the_pages_show_the_demo(funds_demo):
    from tests.factories import make_user

    with funds_demo.app_context():
        make_user(Role.ADMIN, username="demo-ministry")
        make_user(Role.AUTHORITY, username="demo-zj", authority_code="330000")
        zj = db.session.scalars(select(FirstBatchBase.code).where(FirstBatchBase.authority_code == "330000")
                                .order_by(FirstBatchBase.code)).all()
        pending = db.session.scalars(select(Expenditure.id).join(Allocation).join(FirstBatchBase).where(
            FirstBatchBase.authority_code == "330000", Expenditure.status == ExpenditureStatus.PENDING)).all()
        flagged = db.session.scalar(select(Expenditure.id).join(ComplianceFlag)
                                    .where(ComplianceFlag.code == "forbidden_category"))
    adm = funds_demo.test_client()
    assert login(adm, "demo-ministry").status_code == 302
    html = adm.get("/admin/funds?sort=execution&dir=desc").get_data(as_text=True)
    assert all(f"<td>B1-{i:02d}</td>" in html for i in range(1, 35))
    assert "禁止列支类别" in adm.get("/admin/funds/flags").get_data(as_text=True)
    assert "不得列支" in adm.get(f"/admin/funds/expenditures/{flagged}").get_data(as_text=True)
    for kind in ("execution", "categories"):
        r = adm.get(f"/admin/funds/charts/{kind}.png?year=2014")
        assert r.mimetype == "image/png" and r.data.startswith(b"\x89PNG")
    au = funds_demo.test_client()
    assert login(au, "demo-zj").status_code == 302
    html = au.get("/authority/funds").get_data(as_text=True)
    shown = sorted(code for code in (f"B1-{i:02d}" for i in range(1, 35)) if f"<td>{code}</td>" in html)
    assert shown == zj and len(zj) >= 2
    html = au.get("/authority/funds/expenditures").get_data(as_text=True)
    assert pending and all(f"/authority/funds/expenditures/{i}\"" in html for i in pending)
    assert html.count("/authority/funds/expenditures/") == len(pending)


def test_funds_summary_command_on_the_demo(funds_demo):
    import json
    import re

    result = funds_demo.test_cli_runner().invoke(args=["funds", "summary", "--year", "2014", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["base"] for r in rows] == [f"B1-{i:02d}" for i in range(1, 35)]
    with funds_demo.app_context():
        allocated = dict(db.session.execute(select(FirstBatchBase.code, Allocation.amount_fen)
                                            .join(Allocation).where(Allocation.year == 2014)).all())
    for r in rows:
        assert set(r) == {"base", "authority", "allocated_fen", "received_fen", "spent_fen", "arrival_rate",
                          "execution_rate", "open_flags"}
        assert r["allocated_fen"] == allocated[r["base"]] and re.fullmatch(r"[0-9]{6}", r["authority"])
        assert all(type(r[k]) is int for k in ("allocated_fen", "received_fen", "spent_fen", "open_flags"))
        assert re.fullmatch(r"[01]\.[0-9]{4}", r["arrival_rate"]) and re.fullmatch(r"[01]\.[0-9]{4}",
                                                                                   r["execution_rate"])
    assert any(r["arrival_rate"] != "1.0000" for r in rows) and any(r["open_flags"] for r in rows)
