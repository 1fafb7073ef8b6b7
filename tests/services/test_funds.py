"""Fund services: allocations, tranches, verification against received funds (also under 100
concurrent verifications), reversals, each compliance rule both ways, flag lifecycle, audit."""
from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from evalsys.domain.funds import ExpenditureStatus
from evalsys.extensions import db
from evalsys.models import (AuditRecord, ComplianceFlag, Expenditure, FlagState, FundAccount, Role)
from evalsys.services import funds, funds_flags, funds_ledger, funds_query
from evalsys.services.files import store_bytes
from tests.factories import make_user
from tests.fundsutil import entry_input, flag_codes, make_allocation, make_base, make_entry


def voucher_file():
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 72, "voucher")
    c.save()
    return store_bytes(buf.getvalue(), "记账凭证.pdf", "application/pdf", purpose="voucher", actor_id=None)


def events(name: str) -> int:
    return db.session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.event == name))


def account(allocation_id: int) -> FundAccount:
    return db.session.execute(select(FundAccount).where(FundAccount.allocation_id == allocation_id)
                              .execution_options(populate_existing=True)).scalar_one()


# --- allocations and tranches ------------------------------------------------------------------------

def test_allocation_defaults_its_period_and_audits(app):
    with app.app_context():
        base = make_base()
        a = funds.create_allocation(base, year=2013, amount_fen=123_456, document_no="商财函〔2013〕9号")
        assert (a.period_start, a.period_end) == (dt.date(2013, 1, 1), dt.date(2015, 12, 31))
        assert account(a.id).received_fen == 0
        assert events("fund_allocation_created") == 1
        with pytest.raises(funds.FundsError, match="大于零"):
            funds.create_allocation(base, year=2013, amount_fen=0, document_no="x")
        with pytest.raises(funds.FundsError, match="文号"):
            funds.create_allocation(base, year=2013, amount_fen=1, document_no=" ")


def test_tranches_cannot_exceed_the_allocation(app):
    with app.app_context():
        a = make_allocation(make_base(), amount_fen=100_00, received_fen=60_00)
        funds_ledger.record_tranche(a, date=dt.date(2013, 7, 1), amount_fen=40_00)
        assert account(a.id).received_fen == 100_00
        with pytest.raises(funds.FundsError, match="不能超过下达金额"):
            funds_ledger.record_tranche(a, date=dt.date(2013, 8, 1), amount_fen=1)
        assert account(a.id).received_fen == 100_00
        assert events("fund_tranche_recorded") == 2


# --- verification and the guard row --------------------------------------------------------------------

def test_verification_above_received_is_refused_and_state_unchanged(app):
    with app.app_context():
        a = make_allocation(make_base(), amount_fen=100_00, received_fen=50_00)
        first = make_entry(a, amount_fen=30_00)
        second = make_entry(a, amount_fen=30_00)
        db.session.commit()
        funds_ledger.verify_expenditure(first)
        with pytest.raises(funds.FundsError, match="超过已到位资金"):
            funds_ledger.verify_expenditure(second)
        db.session.rollback()  # the request's rollback takes the first verification with it
        assert second.status == ExpenditureStatus.PENDING and first.status == ExpenditureStatus.PENDING
        assert account(a.id).verified_spent_fen == 0
        funds_ledger.verify_expenditure(first)
        db.session.commit()
        assert account(a.id).verified_spent_fen == 30_00
        # The entry exactly filling the received funds is allowed.
        third = make_entry(a, amount_fen=20_00)
        funds_ledger.verify_expenditure(third)
        assert account(a.id).verified_spent_fen == 50_00


def test_the_setting_turns_the_refusal_into_a_flag(app, app_config):
    app.config["FUNDS_OVER_RECEIVED_IS_FLAG"] = True
    with app.app_context():
        a = make_allocation(make_base(), amount_fen=100_00, received_fen=50_00)
        first = make_entry(a, amount_fen=40_00)
        second = make_entry(a, amount_fen=40_00)
        funds_ledger.verify_expenditure(first)
        funds_ledger.verify_expenditure(second)
        acct = account(a.id)
        assert (acct.verified_spent_fen, acct.overspend_allowed) == (80_00, True)
        assert "over_received" in flag_codes(second)


def test_the_check_constraint_is_the_last_line(app):
    with app.app_context():
        a = make_allocation(make_base(), amount_fen=100_00, received_fen=50_00)
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(update(FundAccount).where(FundAccount.allocation_id == a.id)
                               .values(verified_spent_fen=50_01))
            db.session.flush()
        db.session.rollback()


def test_a_decided_entry_cannot_be_decided_again_and_stale_versions_are_refused(app):
    with app.app_context():
        a = make_allocation(make_base())
        e = make_entry(a)
        version = e.version_id
        funds_ledger.verify_expenditure(e, expected_version=version)
        with pytest.raises(funds.FundsError, match="已处理"):
            funds_ledger.verify_expenditure(e)
        with pytest.raises(funds.FundsError):
            funds_ledger.reject_expenditure(e, reason="不符合")
        other = make_entry(a)
        with pytest.raises(StaleDataError):
            funds_ledger.reject_expenditure(other, reason="重复", expected_version=other.version_id - 1)
        with pytest.raises(funds.FundsError, match="理由"):
            funds_ledger.reject_expenditure(other, reason="  ")


def test_reversal_cancels_a_verified_entry(app):
    with app.app_context():
        a = make_allocation(make_base(), amount_fen=100_00)
        e = make_entry(a, amount_fen=70_00)
        funds_ledger.verify_expenditure(e)
        with pytest.raises(funds.FundsError, match="理由"):
            funds_ledger.reverse_expenditure(e, reason="", date=dt.date(2014, 4, 1))
        rev = funds_ledger.reverse_expenditure(e, reason="金额录入错误", date=dt.date(2014, 4, 1))
        assert (rev.amount_fen, rev.reverses_id, rev.status) == (-70_00, e.id, ExpenditureStatus.PENDING)
        with pytest.raises(funds.FundsError, match="已有冲销"):
            funds_ledger.reverse_expenditure(e, reason="again", date=dt.date(2014, 4, 1))
        with pytest.raises(funds.FundsError, match="只能冲销"):
            funds_ledger.reverse_expenditure(make_entry(a), reason="pending", date=dt.date(2014, 4, 1))
        funds_ledger.verify_expenditure(rev)
        assert account(a.id).verified_spent_fen == 0
        assert e.status == ExpenditureStatus.VERIFIED  # the original is never changed
        assert funds_query.summary()[0]["spent_fen"] == 0


def _verify_in_thread(app, entry_id: int, barrier: threading.Barrier, outcomes: list[str]) -> None:
    with app.app_context():
        try:
            barrier.wait()
            entry = db.session.get(Expenditure, entry_id)
            funds_ledger.verify_expenditure(entry)
            db.session.commit()
            outcomes.append("ok")
        except funds.FundsError:
            db.session.rollback()
            outcomes.append("refused")
        except Exception as exc:  # recorded, so the test fails with the reason
            db.session.rollback()
            outcomes.append(f"error {type(exc).__name__}: {exc}")
        finally:
            db.session.remove()


@pytest.mark.slow
def test_100_concurrent_verifications_never_exceed_received(app):
    with app.app_context():
        a = make_allocation(make_base(), amount_fen=100 * 10_000, received_fen=50 * 10_000 + 5_000)
        ids = [make_entry(a, amount_fen=10_000, voucher_no=f"C-{i}").id for i in range(100)]
        allocation_id = a.id
        db.session.commit()
    barrier = threading.Barrier(len(ids))
    outcomes: list[str] = []
    threads = [threading.Thread(target=_verify_in_thread, args=(app, i, barrier, outcomes)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("ok") == 50 and outcomes.count("refused") == 50
    with app.app_context():
        acct = account(allocation_id)
        verified = db.session.scalar(select(func.sum(Expenditure.amount_fen)).where(
            Expenditure.allocation_id == allocation_id, Expenditure.status == ExpenditureStatus.VERIFIED))
        assert acct.verified_spent_fen == verified == 50 * 10_000 <= acct.received_fen


# --- compliance rules, each positive and negative ---------------------------------------------------------

def test_forbidden_category(app):
    with app.app_context():
        a = make_allocation(make_base())
        v = voucher_file()
        assert "forbidden_category" in flag_codes(make_entry(a, category="X-BLD", voucher=v))
        assert "forbidden_category" not in flag_codes(make_entry(a, category="PSP", voucher=v))


def test_over_received_warns_on_a_pending_entry_and_clears_when_funds_arrive(app):
    with app.app_context():
        a = make_allocation(make_base(), amount_fen=100_00, received_fen=20_00)
        v = voucher_file()
        small = make_entry(a, amount_fen=20_00, voucher=v)
        big = make_entry(a, amount_fen=30_00, voucher=v)
        assert "over_received" not in flag_codes(small)
        assert "over_received" in flag_codes(big)
        funds_ledger.record_tranche(a, date=dt.date(2013, 9, 1), amount_fen=80_00)
        assert flag_codes(big) == set()
        assert "over_received" in flag_codes(big, "cleared")


def test_duplicate_voucher_within_a_base_only(app):
    with app.app_context():
        base = make_base()
        a1, a2 = make_allocation(base, year=2013), make_allocation(base, year=2014)
        v = voucher_file()
        first = make_entry(a1, voucher_no="JZ-2014-001", voucher=v)
        second = make_entry(a2, voucher_no=" jz-2014-001", voucher=v)
        assert "duplicate_voucher" in flag_codes(first) and "duplicate_voucher" in flag_codes(second)
        elsewhere = make_allocation(make_base())
        assert "duplicate_voucher" not in flag_codes(make_entry(elsewhere, voucher_no="JZ-2014-001", voucher=v))
        assert "duplicate_voucher" not in flag_codes(make_entry(a1, voucher_no="JZ-2014-002", voucher=v))
        funds_ledger.reject_expenditure(second, reason="重复录入")
        assert "duplicate_voucher" not in flag_codes(first)  # the rejected entry no longer counts


def test_date_outside_the_period(app):
    with app.app_context():
        a = make_allocation(make_base(), year=2013)
        v = voucher_file()
        assert "outside_period" in flag_codes(make_entry(a, date=dt.date(2016, 1, 1), voucher=v))
        assert "outside_period" in flag_codes(make_entry(a, date=dt.date(2012, 12, 31), voucher=v))
        assert "outside_period" not in flag_codes(make_entry(a, date=dt.date(2015, 12, 31), voucher=v))


def test_large_payment_threshold_is_configurable(app):
    app.config["FUNDS_LARGE_PAYMENT_FEN"] = 5_000_00
    with app.app_context():
        a = make_allocation(make_base())
        v = voucher_file()
        assert "large_payment" in flag_codes(make_entry(a, amount_fen=5_000_01, voucher=v))
        assert "large_payment" not in flag_codes(make_entry(a, amount_fen=5_000_00, voucher=v))


def test_missing_voucher_clears_when_the_scan_is_attached(app):
    with app.app_context():
        a = make_allocation(make_base())
        no_number = make_entry(a, voucher_no="", voucher=voucher_file())
        assert "missing_voucher" in flag_codes(no_number)
        no_scan = make_entry(a)
        assert "missing_voucher" in flag_codes(no_scan)
        funds_ledger.attach_voucher(no_scan, voucher_file())
        assert "missing_voucher" not in flag_codes(no_scan)
        assert "missing_voucher" in flag_codes(no_scan, "cleared")


def test_oth_needs_an_explanation_and_bad_input_is_refused(app):
    with app.app_context():
        a = make_allocation(make_base())
        with pytest.raises(funds.FundsError, match="其他"):
            funds_ledger.record_expenditure(a, entry_input(category="OTH"))
        with pytest.raises(funds.FundsError, match="类别"):
            funds_ledger.record_expenditure(a, entry_input(category="XYZ"))
        with pytest.raises(funds.FundsError, match="大于零"):
            funds_ledger.record_expenditure(a, entry_input(amount_fen=0))
        ok = funds_ledger.record_expenditure(a, entry_input(category="OTH", explanation="展会场地租赁"))
        assert ok.id


# --- flag lifecycle -------------------------------------------------------------------------------------

def test_flags_are_resolved_reopened_and_never_deleted(app):
    with app.app_context():
        authority = make_user(Role.AUTHORITY, username="fa", commit=False)
        admin = make_user(Role.ADMIN, username="fm", commit=False)
        a = make_allocation(make_base())
        e = make_entry(a, category="X-TRF", voucher=voucher_file())
        flag = next(f for f in e.flags if f.code == "forbidden_category")
        assert "购买流量" in flag.message
        with pytest.raises(funds.FundsError, match="理由"):
            funds_flags.resolve_flag(flag, reason=" ", actor=authority)
        with pytest.raises(funds.FundsError, match="已处理"):
            funds_flags.reopen_flag(flag, reason="再查", actor=admin)
        funds_flags.resolve_flag(flag, reason="已追回资金", actor=authority)
        assert flag.state == FlagState.RESOLVED
        # Both directions share one transition: state, reason and version are checked the same way.
        with pytest.raises(funds.FundsError, match="只能处理待处理"):
            funds_flags.resolve_flag(flag, reason="再次处理", actor=authority)
        with pytest.raises(funds.FundsError, match="重新打开必须说明理由"):
            funds_flags.reopen_flag(flag, reason="\u3000 ", actor=admin)
        with pytest.raises(StaleDataError):
            funds_flags.reopen_flag(flag, reason="版本过期", actor=admin, expected_version=flag.version_id - 1)
        assert flag.state == FlagState.RESOLVED
        funds_flags.refresh_flags(a.base_id)  # the condition persists: resolved stays resolved
        assert flag.state == FlagState.RESOLVED
        funds_flags.reopen_flag(flag, reason="追回凭证不全", actor=admin)
        assert flag.state == FlagState.OPEN
        assert [ev.action for ev in flag.events] == ["raised", "resolved", "reopened"]
        assert events("fund_flag_resolved") == 1 and events("fund_flag_reopened") == 1
        count = db.session.scalar(select(func.count(ComplianceFlag.id)))
        funds_ledger.reject_expenditure(e, reason="不得列支")
        assert flag.state == FlagState.CLEARED
        assert db.session.scalar(select(func.count(ComplianceFlag.id))) == count  # nothing deleted


# --- figures --------------------------------------------------------------------------------------------

def test_figures_per_base_and_year(app):
    with app.app_context():
        base = make_base(code="B1-01")
        a13 = make_allocation(base, year=2013, amount_fen=800_00, received_fen=800_00)
        a14 = make_allocation(base, year=2014, amount_fen=200_00, received_fen=0)
        funds_ledger.verify_expenditure(make_entry(a13, amount_fen=650_00))
        make_entry(a13, amount_fen=100_00)  # pending: not spent
        [row] = funds_query.summary()
        assert row == {"base": "B1-01", "authority": "320000", "allocated_fen": 1000_00, "received_fen": 800_00,
                       "spent_fen": 650_00, "arrival_rate": "0.8000", "execution_rate": "0.8125",
                       "open_flags": row["open_flags"]}
        assert funds_query.summary(2014)[0]["execution_rate"] is None
        years = dict(funds_query.year_figures(base))
        assert years[2013].spent_fen == 650_00 and years[2014].allocated_fen == 200_00
        assert funds_query.category_spending([base.id]) == {"PSP": 650_00}
        assert a14.id


def test_every_state_change_is_audited_in_the_same_transaction(app):
    with app.app_context():
        before = db.session.scalar(select(func.count(AuditRecord.id)))
        a = make_allocation(make_base())
        make_entry(a)
        db.session.rollback()
        assert db.session.scalar(select(func.count(AuditRecord.id))) == before
        assert db.session.execute(text("SELECT count(*) FROM fund_allocations")).scalar() == 0


def test_figures_read_from_the_guard_rows_equal_the_rules_over_every_entry(app):
    """The dashboard's figures, its totals and a base's years come from the allocations' guard rows; after
    tranches, verifications, a rejection and a verified reversal they equal rules.figures_by_base_year
    computed from the tranches and entries themselves."""
    from evalsys.domain import funds as rules
    from evalsys.models import Allocation, FirstBatchBase, Tranche

    with app.app_context():
        b1, b2 = make_base(code="B1-01"), make_base(code="B1-02")
        a13 = make_allocation(b1, year=2013, amount_fen=900_00, received_fen=500_00)
        funds_ledger.record_tranche(a13, date=dt.date(2013, 9, 1), amount_fen=300_00)
        a14 = make_allocation(b1, year=2014, amount_fen=400_00)
        a2 = make_allocation(b2, year=2013, amount_fen=700_00, received_fen=0)
        kept = make_entry(a13, amount_fen=350_00)
        funds_ledger.verify_expenditure(kept)
        funds_ledger.verify_expenditure(make_entry(a14, amount_fen=120_00))
        funds_ledger.reject_expenditure(make_entry(a13, amount_fen=90_00), reason="凭证不符")
        make_entry(a14, amount_fen=60_00)  # pending
        wrong = make_entry(a13, amount_fen=200_00)
        funds_ledger.verify_expenditure(wrong)
        funds_ledger.verify_expenditure(funds_ledger.reverse_expenditure(wrong, reason="重复列支",
                                                                         date=dt.date(2013, 12, 1)))
        db.session.commit()

        allocations = [funds_flags._as_rule_allocation(a) for a in db.session.scalars(select(Allocation))]
        tranches = [rules.Tranche(t.id, t.allocation_id, t.date, t.amount_fen) for t in db.session.scalars(select(Tranche))]
        entries = [funds_flags._as_rule_expenditure(e) for e in db.session.scalars(select(Expenditure))]
        expected = rules.figures_by_base_year(allocations, tranches, entries)
        assert expected[(b1.id, 2013)] == rules.Figures(900_00, 800_00, 350_00)  # the reversal cancels `wrong`

        assert funds_query.year_figures(b1) == [(y, f) for (b, y), f in sorted(expected.items()) if b == b1.id]
        for year in (None, 2013, 2014):
            rows = funds_query.base_figures([b1, b2], year)
            for row in rows:
                parts = {k: f for k, f in expected.items() if k[0] == row.base.id and year in (None, k[1])}
                assert row.figures == rules.total_figures(parts)
                flags = select(func.count(ComplianceFlag.id)).join(Expenditure).where(
                    ComplianceFlag.state == FlagState.OPEN,
                    Expenditure.allocation_id.in_([a.id for a in (a13, a14, a2) if a.base_id == row.base.id
                                                   and year in (None, a.year)]))
                assert row.open_flags == db.session.scalar(flags)
            assert rows[0].open_flags > 0  # entries without a voucher
            stmt = select(FirstBatchBase).where(FirstBatchBase.id.in_([b1.id, b2.id]))
            total, _ = funds_query.totals(stmt, year)
            assert total == rules.total_figures({k: f for k, f in expected.items() if year in (None, k[1])})
        assert a2.id
