"""`demo --national` on a small multiple: the demo stays as it is, the volume lands spread east >
centre > west, the audit chain verifies, a second run adds nothing, production refuses it."""
from __future__ import annotations

from sqlalchemy import func, select

from evalsys.demo.national import CALL_CODE, WEIGHTS, national_counts, spread
from evalsys.extensions import db
from evalsys.domain.funds import ExpenditureStatus
from evalsys.models import Allocation, Application, Call, Expenditure, FundAccount, RankingRun, Tranche, User
from evalsys.services.audit import verify_chain

SCALE = 0.01
EAST = {"110000", "120000", "130000", "210000", "310000", "320000", "330000", "350000", "370000", "440000",
        "460000", "210200", "370200", "330200", "350200", "440300"}
CENTRE = {"140000", "220000", "230000", "340000", "360000", "410000", "420000", "430000"}


def test_spread_is_exact_and_east_heavy():
    counts = spread(3300)
    assert sum(counts.values()) == 3300 and set(counts) == set(WEIGHTS) and len(counts) == 37
    west = set(WEIGHTS) - EAST - CENTRE
    east_n, centre_n, west_n = (sum(counts[c] for c in group) for group in (EAST, CENTRE, west))
    assert east_n > 2 * centre_n and centre_n > west_n > 0
    assert min(counts.values()) >= 1


def test_national_twice_gives_the_same_counts_and_a_valid_chain(runner, app):
    result = runner.invoke(args=["demo", "--national", "--national-scale", str(SCALE)])
    assert result.exit_code == 0, result.output
    assert "national data added" in result.output
    with app.app_context():
        first = national_counts()
        call = db.session.scalar(select(Call).where(Call.code == CALL_CODE))
        apps = db.session.scalar(select(func.count()).select_from(Application).where(Application.call_id == call.id))
        assert apps == round(3300 * SCALE)
        runs = db.session.scalar(select(func.count()).select_from(RankingRun)
                                 .where(RankingRun.call_id == call.id, RankingRun.official.is_(True)))
        assert runs == len({c for c in call.category_codes})
        # The demo's own accounts are still there, unchanged in number.
        assert db.session.scalar(select(func.count()).select_from(User).where(User.username.like("n-%"))) > 0
        assert db.session.scalar(select(User.id).where(User.username == "applicant01")) is not None
        report = verify_chain()
        assert report.ok and report.count == first["audit_records"], report
        # The bulk-loaded guard rows hold what the tranches and verified entries add up to (the dashboards
        # read their figures from them).
        received = dict(db.session.execute(select(Tranche.allocation_id, func.sum(Tranche.amount_fen))
                                           .group_by(Tranche.allocation_id)).all())
        spent = dict(db.session.execute(select(Expenditure.allocation_id, func.sum(Expenditure.amount_fen))
                                        .where(Expenditure.status == ExpenditureStatus.VERIFIED)
                                        .group_by(Expenditure.allocation_id)).all())
        accounts = db.session.execute(select(FundAccount.allocation_id, FundAccount.received_fen,
                                             FundAccount.verified_spent_fen)).all()
        assert len(accounts) == db.session.scalar(select(func.count()).select_from(Allocation)) > 300 * SCALE
        assert [(a, r, s) for a, r, s in accounts if (r, s) != (received.get(a, 0), spent.get(a, 0))] == []
    again = runner.invoke(args=["demo", "--national", "--national-scale", str(SCALE)])
    assert again.exit_code == 0 and "nothing added" in again.output, again.output
    with app.app_context():
        assert national_counts() == first


def test_production_refuses_national(runner, app):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["demo", "--national"])
    assert result.exit_code == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
