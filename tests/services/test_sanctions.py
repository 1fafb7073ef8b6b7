"""Sanctions (domain.md §6 use of results): no new allocation for a base graded 差 in its latest
accepted evaluation or revoked; the two-admin exception; recovery itemised as unspent balances and
forbidden-category spending."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import Allocation, AuditRecord, OverrideState, Role
from evalsys.services import funds
from evalsys.services import rectifications as rect
from evalsys.services import sanctions
from tests.evalutil import advance, make_perf_base, make_round
from tests.factories import make_user


def _people(base):
    operator = make_user(Role.APPLICANT, organisation=base.operator, commit=False)
    authority = make_user(Role.AUTHORITY, authority_code=base.authority_code, commit=False)
    return operator, authority, make_user(Role.ADMIN, commit=False), make_user(Role.ADMIN, commit=False)


def _graded(fraction: str, *, forbidden_fen: int = 0, code: str = "perf-s"):
    base = make_perf_base(forbidden_fen=forbidden_fen)
    operator, authority, a1, a2 = _people(base)
    ev = advance(make_round([base], code=code).evaluations[0], fraction=fraction, to="accepted",
                 operator=operator, authority=authority, admin=a1)
    return base, ev, (operator, authority, a1, a2)


def _allocations(base) -> int:
    return db.session.scalar(select(func.count(Allocation.id)).where(Allocation.base_id == base.id))


def test_no_allocation_after_a_poor_grade_and_the_refusal_says_why(app):
    with app.app_context():
        base, ev, (_, _, a1, _) = _graded("0.5")
        assert ev.grade_label == "差"
        before = _allocations(base)
        with pytest.raises(funds.FundsError) as e:
            funds.create_allocation(base, year=2016, amount_fen=5_000_000_00, document_no="财建〔2016〕1号", actor=a1)
        assert "等级为“差”" in e.value.message and "测试绩效评价批次" in e.value.message
        assert "另一位管理员批准" in e.value.message
        assert _allocations(base) == before


def test_a_middle_grade_or_a_draft_evaluation_does_not_bar_allocations(app):
    with app.app_context():
        base, ev, (_, _, a1, _) = _graded("0.7")
        assert ev.grade_label == "中" and sanctions.allocation_ban(base) is None
        funds.create_allocation(base, year=2016, amount_fen=1_00, document_no="财建〔2016〕2号", actor=a1)
        poor_in_progress = make_perf_base()
        make_round([poor_in_progress], code="perf-d")  # not yet evaluated: no grade, no ban
        assert sanctions.allocation_ban(poor_in_progress) is None


def test_the_exception_needs_a_second_admin_and_is_audited(app):
    with app.app_context():
        base, _, (_, authority, a1, a2) = _graded("0.5")
        data = sanctions.OverrideData(year=2016, amount_fen=2_000_000_00, document_no="财建〔2016〕3号",
                                      purpose="平台运营维护")
        with pytest.raises(sanctions.SanctionError, match="说明理由"):
            sanctions.propose_override(base, data, reason="  ", actor=a1)
        with pytest.raises(sanctions.SanctionError, match="管理员"):
            sanctions.propose_override(base, data, reason="x", actor=authority)
        item = sanctions.propose_override(base, data, reason="整改期间保障公共服务平台基本运转", actor=a1)
        assert item.state == OverrideState.PENDING and "等级为“差”" in item.sanction
        before = _allocations(base)
        with pytest.raises(sanctions.SanctionError, match="提出人不能自己批准"):
            sanctions.approve_override(item, actor=a1)
        assert item.state == OverrideState.PENDING and _allocations(base) == before
        # An approval that was never given cannot be faked through the allocation service.
        with pytest.raises(funds.FundsError, match="等级为“差”"):
            funds.create_allocation(base, year=2016, amount_fen=1_00, document_no="x", actor=a1, override=item)
        allocation = sanctions.approve_override(item, actor=a2)
        assert item.state == OverrideState.APPROVED and item.allocation_id == allocation.id
        assert (allocation.amount_fen, allocation.document_no) == (2_000_000_00, "财建〔2016〕3号")
        # Used once: the approved exception does not open the door again.
        with pytest.raises(funds.FundsError):
            funds.create_allocation(base, year=2016, amount_fen=1_00, document_no="y", actor=a1, override=item)
        with pytest.raises(sanctions.SanctionError, match="不是待批准"):
            sanctions.approve_override(item, actor=a2)
        events = [r.event for r in db.session.scalars(select(AuditRecord).order_by(AuditRecord.id))]
        assert events.count("allocation_override_proposed") == 1
        assert events.index("allocation_override_proposed") < events.index("allocation_override_approved")
        assert "fund_allocation_created" in events[events.index("allocation_override_proposed"):]


def test_revocation_bars_allocations_and_recovers_unspent_and_forbidden_spending_itemised(app):
    with app.app_context():
        # 1000万 received; 900万 verified spending, of which 150万 on buildings (X-BLD, forbidden).
        base, ev, (operator, authority, a1, a2) = _graded("0.5", forbidden_fen=1_500_000_00)
        item = rect.require_rectification(ev, requirement="限期整改", actor=a1)
        rect.submit_rectification_report(item, report="整改报告", actor=operator)
        rect.recheck_rectification(item, passed=False, result="整改不合格", actor=authority)
        lines = sanctions.recovery_lines(base)
        assert [(line.kind, line.category, line.amount_fen) for line in lines] == [
            ("unspent", None, 1_000_000_00), ("forbidden", "X-BLD", 1_500_000_00)]
        recovery = rect.revoke_title(item, reason="整改复查不合格，撤销称号", document_no="商电函〔2016〕1号", actor=a1)
        assert recovery.amount_fen == 2_500_000_00
        assert [(i.kind, i.category, i.amount_fen) for i in recovery.items] == [
            ("unspent", None, 1_000_000_00), ("forbidden", "X-BLD", 1_500_000_00)]
        ban = sanctions.allocation_ban(base)
        assert ban is not None and "称号已被撤销" in ban
        with pytest.raises(funds.FundsError, match="称号已被撤销"):
            funds.create_allocation(base, year=2016, amount_fen=1_00, document_no="z", actor=a2)
