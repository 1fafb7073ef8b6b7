"""Decisions (domain.md §4): proposals from the official run, the second-admin rule, publicity periods,
objections with replacements, the announcement, and what authorities see afterwards."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from evalsys.domain.timeutil import BEIJING
from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import (Application, AuditRecord, Authority, Call, Notification, Objection, Proposal, ProposalState,
                            PublicityEntry, RankingRun, Role)
from evalsys.models.types import utcnow
from evalsys.services import decisions as dec
from evalsys.services import runs
from tests.factories import make_user
from tests.rankutil import build_scored_call


def _ranked(n_apps: int = 12, places: int = 3, categories=("retail", "service"), publicity_days: int = 7):
    """A scored call with official runs per category and two admins (ids)."""
    built = build_scored_call(n_apps=n_apps, places=places, categories=categories)
    call = db.session.get(Call, built.call_id)
    call.publicity_days = publicity_days
    a1 = make_user(Role.ADMIN, commit=False)
    a2 = make_user(Role.ADMIN, commit=False)
    runs.run_call(call, samples=0, actor=a1)
    db.session.flush()
    return call, a1, a2


def _states(ids):
    return [db.session.get(Application, i).state for i in ids]


def _run_order(call, category):
    run = runs.official_run(call, category)
    return [int(r["id"]) for r in run.results["mcda"]["results"]]


def test_a_proposal_equal_to_the_official_top_places_applies_at_once(app):
    with app.app_context():
        call, a1, _ = _ranked()
        for category in ("retail", "service"):
            run, expected = dec.expected_candidates(call, category)
            assert run.official and expected == _run_order(call, category)[:3]
            proposal = dec.propose_candidates(call, category, list(reversed(expected)), reason=None, actor=a1)
            assert proposal.state == ProposalState.APPLIED and not proposal.differs
            assert _states(expected) == [S.PROPOSED] * 3
            assert _states(_run_order(call, category)[3:]) == [S.SCORED] * (len(_run_order(call, category)) - 3)
        # Places are now taken: nothing more is expected, and an extra candidate would differ.
        assert dec.expected_candidates(call, "retail")[1] == []
        assert db.session.scalar(select(AuditRecord.id).where(AuditRecord.event == "decision.proposed"))


def test_a_proposal_differing_from_the_official_run_without_a_second_approval_is_refused(app):
    with app.app_context():
        call, a1, a2 = _ranked()
        order = _run_order(call, "retail")
        swapped = order[:2] + [order[3]]  # the fourth instead of the third
        with pytest.raises(dec.DecisionError, match="必须填写理由"):
            dec.propose_candidates(call, "retail", swapped, reason="  ", actor=a1)
        assert _states(order) == [S.SCORED] * len(order)

        proposal = dec.propose_candidates(call, "retail", swapped, reason="第三名存在未决诉讼，经研究改由第四名入选",
                                          actor=a1)
        assert proposal.state == ProposalState.PENDING and proposal.differs
        assert proposal.expected == order[:3]
        assert _states(swapped) == [S.SCORED] * 3  # nothing applied yet
        # The proposer cannot approve its own differing list.
        with pytest.raises(dec.DecisionError, match="另一位管理员"):
            dec.approve_proposal(proposal, actor=a1)
        assert proposal.state == ProposalState.PENDING and _states(swapped) == [S.SCORED] * 3
        # A second pending list for the same cohort is refused meanwhile.
        with pytest.raises(dec.DecisionError, match="待批准"):
            dec.propose_candidates(call, "retail", order[:3], reason=None, actor=a2)
        # The guard behind every path: applying a differing, unapproved list is refused.
        with pytest.raises(dec.DecisionError, match="未经另一位管理员批准"):
            dec._apply(proposal, a1)
        # Announcing is refused while the list waits.
        with pytest.raises(dec.DecisionError, match="待批准"):
            dec.announce_results(call, actor=a1)

        dec.approve_proposal(proposal, actor=a2)
        assert proposal.state == ProposalState.APPLIED and proposal.approved_by_id == a2.id
        assert _states(swapped) == [S.PROPOSED] * 3 and _states([order[2]]) == [S.SCORED]
        events = [r.event for r in db.session.scalars(select(AuditRecord).order_by(AuditRecord.id))]
        assert "decision.approved" in events


def test_approval_is_refused_when_the_run_behind_the_proposal_went_stale(app):
    with app.app_context():
        call, a1, a2 = _ranked()
        order = _run_order(call, "retail")
        proposal = dec.propose_candidates(call, "retail", order[1:4], reason="调整", actor=a1)
        runs.official_run(call, "retail").stale = True
        db.session.flush()
        with pytest.raises(dec.DecisionError, match="失效"):
            dec.approve_proposal(proposal, actor=a2)
        with pytest.raises(dec.DecisionError, match="正式排名"):
            dec.expected_candidates(call, "retail")


def test_candidates_outside_the_cohort_or_not_ranked_are_refused(app):
    with app.app_context():
        call, a1, _ = _ranked()
        retail, service = _run_order(call, "retail"), _run_order(call, "service")
        with pytest.raises(dec.DecisionError, match="不在该范围"):
            dec.propose_candidates(call, "retail", retail[:2] + service[:1], reason="x", actor=a1)
        with pytest.raises(dec.DecisionError, match="至少选择"):
            dec.propose_candidates(call, "retail", [], reason=None, actor=a1)
        with pytest.raises(dec.DecisionError, match="管理员"):
            dec.propose_candidates(call, "retail", retail[:3], reason=None,
                                   actor=make_user(Role.AUTHORITY, commit=False))


def test_publicity_runs_the_calls_number_of_calendar_days_ending_at_24_beijing(app):
    with app.app_context():
        call, a1, _ = _ranked(publicity_days=15)
        for category in ("retail", "service"):
            dec.propose_candidates(call, category, dec.expected_candidates(call, category)[1], reason=None, actor=a1)
        opened = datetime(2015, 6, 3, 23, 30, tzinfo=BEIJING).astimezone(UTC)  # late on 3 June
        entries = dec.open_publicity(call, actor=a1, now=opened)
        assert len(entries) == 6
        for e in entries:
            assert e.ends_at.astimezone(BEIJING) == datetime(2015, 6, 18, 0, 0, tzinfo=BEIJING)
            assert e.days == 15
        assert all(a.state == S.IN_PUBLICITY for a, _ in dec.publicity_list(call))
        rows = dec.publicity_rows(call)
        assert len(rows) == 6 and all(r[3] == "2015-06-03 至 2015-06-17" for r in rows)
        authorities = {a.authority_code for a, _ in dec.publicity_list(call)}
        assert sorted({r[1] for r in rows}) == sorted(db.session.get(Authority, c).name for c in authorities)
        labels = dec.category_labels(call)
        assert {r[2] for r in rows} == {labels.get("retail", "retail"), labels.get("service", "service")}
        with pytest.raises(dec.DecisionError, match="没有待公示"):
            dec.open_publicity(call, actor=a1)


def _propose_all(call, admin):
    for category in call.category_codes:
        dec.propose_candidates(call, category, dec.expected_candidates(call, category)[1], reason=None, actor=admin)


def test_upheld_objection_rejects_and_the_replacement_gets_its_own_full_period(app):
    with app.app_context():
        call, a1, a2 = _ranked()
        _propose_all(call, a1)
        dec.open_publicity(call, actor=a1, now=utcnow() - timedelta(days=10))  # long over
        order = _run_order(call, "retail")
        target = db.session.get(Application, order[0])
        with pytest.raises(dec.DecisionError, match="来信或来电"):
            dec.record_objection(target, channel="web", received_at=utcnow(), summary="x", actor=a1)
        with pytest.raises(dec.DecisionError, match="不能晚于"):
            dec.record_objection(target, channel="phone", received_at=utcnow() + timedelta(days=1), summary="x",
                                 actor=a1)
        objection = dec.record_objection(target, channel="letter", received_at=utcnow() - timedelta(days=5),
                                         summary="群众来信反映该企业存在虚假宣传", actor=a1)
        with pytest.raises(dec.DecisionError, match="未处理的异议"):
            dec.announce_results(call, actor=a1)
        with pytest.raises(dec.DecisionError, match="理由"):
            dec.resolve_objection(objection, upheld=True, reason=" ", actor=a1)
        dec.resolve_objection(objection, upheld=True, reason="经核查属实", actor=a2)
        assert target.state == S.REJECTED and objection.resolution == "经核查属实"

        # The freed place goes to the next in the official order; its proposal is a replacement.
        run, expected = dec.expected_candidates(call, "retail")
        assert expected == [order[3]]
        replacement = dec.propose_candidates(call, "retail", expected, reason=None, actor=a1)
        assert replacement.kind == "replacement" and replacement.state == ProposalState.APPLIED
        now = utcnow()
        (entry,) = dec.open_publicity(call, actor=a1, now=now)
        assert entry.application_id == order[3] and entry.days == call.publicity_days
        assert entry.ends_at == dec.publicity_end(now, call.publicity_days)
        first = db.session.scalar(select(PublicityEntry).where(PublicityEntry.application_id == order[1]))
        assert entry.ends_at > first.ends_at + timedelta(days=call.publicity_days - 1)
        # Announcing waits for the replacement's own period.
        with pytest.raises(dec.DecisionError, match="公示期尚未结束"):
            dec.announce_results(call, actor=a1)

        entry.opened_at -= timedelta(days=30)
        entry.ends_at -= timedelta(days=30)
        db.session.flush()
        dec.announce_results(call, actor=a1)
        retail = _states(order)
        assert retail[0] == S.REJECTED and retail[1:4] == [S.APPROVED] * 3
        assert set(retail[4:]) == {S.REJECTED}
        assert db.session.scalar(select(Objection.state).where(Objection.id == objection.id)).value == "upheld"


def test_dismissed_objection_keeps_the_candidate(app):
    with app.app_context():
        call, a1, _ = _ranked()
        _propose_all(call, a1)
        dec.open_publicity(call, actor=a1)
        target = db.session.get(Application, _run_order(call, "service")[0])
        objection = dec.record_objection(target, channel="phone", received_at=utcnow(), summary="来电反映", actor=a1)
        dec.resolve_objection(objection, upheld=False, reason="反映情况与事实不符", actor=a1)
        assert target.state == S.IN_PUBLICITY and objection.state.value == "dismissed"
        with pytest.raises(dec.DecisionError, match="已处理"):
            dec.resolve_objection(objection, upheld=True, reason="再议", actor=a1)


def test_announcement_approves_rejects_notifies_and_then_authorities_see_their_results(app):
    with app.app_context():
        call, a1, _ = _ranked()
        first = db.session.get(Application, _run_order(call, "retail")[0])
        last = db.session.get(Application, _run_order(call, "retail")[-1])
        users = {a.id: make_user(Role.APPLICANT, organisation=a.organisation, commit=False) for a in (first, last)}
        with pytest.raises(dec.DecisionError, match="没有完成公示"):
            dec.announce_results(call, actor=a1)
        dec.propose_candidates(call, "retail", dec.expected_candidates(call, "retail")[1], reason=None, actor=a1)
        dec.open_publicity(call, actor=a1, now=utcnow() - timedelta(days=8))
        # The other category has no list yet: announcing would reject all of it.
        with pytest.raises(dec.DecisionError, match="尚未提出拟入选名单"):
            dec.announce_results(call, actor=a1)
        dec.propose_candidates(call, "service", dec.expected_candidates(call, "service")[1], reason=None, actor=a1)
        with pytest.raises(dec.DecisionError, match="未公示"):
            dec.announce_results(call, actor=a1)
        dec.open_publicity(call, actor=a1, now=utcnow() - timedelta(days=8))
        assert dec.authority_results(call, first.authority_code) == []  # nothing before the announcement

        dec.announce_results(call, actor=a1)
        assert dec.announcement(call) is not None
        assert first.state == S.APPROVED and last.state == S.REJECTED
        for app_id, user in users.items():
            messages = db.session.scalars(select(Notification.message).where(Notification.user_id == user.id)).all()
            label = "已公布" if app_id == first.id else "未入选"
            assert any(label in m for m in messages), messages
        with pytest.raises(dec.DecisionError, match="已公布"):
            dec.announce_results(call, actor=a1)
        with pytest.raises(dec.DecisionError, match="已公布"):
            dec.propose_candidates(call, "retail", [last.id], reason="x", actor=a1)

        rows = dec.authority_results(call, first.authority_code)
        assert rows and {a.authority_code for a, _, _ in rows} == {first.authority_code}
        mine = {a.id: result for a, _, result in rows}
        run = db.session.scalar(select(RankingRun).where(RankingRun.call_id == call.id,
                                                         RankingRun.category == "retail"))
        top = run.results["mcda"]["results"][0]
        assert mine[first.id] == {"rank": top["rank"], "score": top["score"]}
        expected_ids = set(db.session.scalars(select(Application.id).where(
            Application.call_id == call.id, Application.authority_code == first.authority_code)))
        assert set(mine) == expected_ids
        assert db.session.scalar(select(AuditRecord.id).where(AuditRecord.event == "decision.announced"))


def test_a_call_without_categories_is_one_cohort(app):
    with app.app_context():
        call, a1, _ = _ranked(n_apps=6, places=2, categories=None)
        run, expected = dec.expected_candidates(call)
        assert len(expected) == 2 and run.category == ""
        proposal = dec.propose_candidates(call, "", expected, reason=None, actor=a1)
        assert proposal.state == ProposalState.APPLIED
        assert db.session.scalar(select(Proposal.category)) == ""


def test_a_proposal_naming_more_candidates_than_the_places_is_refused_whatever_the_reason(app):
    with app.app_context():
        call, a1, a2 = _ranked()  # 3 places per category
        order = _run_order(call, "retail")
        for reason in (None, "第四名与第三名实力相当，经研究一并入选"):
            with pytest.raises(dec.DecisionError, match="超过类别“retail”的拟入选名额（共 3 个，尚余 3 个）"):
                dec.propose_candidates(call, "retail", order[:4], reason=reason, actor=a1)
        assert _states(order) == [S.SCORED] * len(order)
        assert db.session.scalar(select(Proposal.id)) is None
        # Exactly the places is fine; then no place is left for an extra one, with or without a reason.
        dec.propose_candidates(call, "retail", order[:3], reason=None, actor=a1)
        with pytest.raises(dec.DecisionError, match="尚余 0 个"):
            dec.propose_candidates(call, "retail", order[3:4], reason="补充一名", actor=a1)
        assert _states(order[3:4]) == [S.SCORED]


def test_the_places_are_checked_again_when_a_differing_list_is_approved(app):
    with app.app_context():
        call, a1, a2 = _ranked()
        order = _run_order(call, "retail")
        proposal = dec.propose_candidates(call, "retail", order[1:4], reason="第一名撤回申请", actor=a1)
        call.places_by_category = '{"retail": 2, "service": 3}'  # places cut meanwhile
        db.session.flush()
        with pytest.raises(dec.DecisionError, match="超过类别“retail”的拟入选名额（共 2 个"):
            dec.approve_proposal(proposal, actor=a2)
        assert proposal.state == ProposalState.PENDING and _states(order[1:4]) == [S.SCORED] * 3


def test_without_places_per_category_the_call_total_caps_every_category_together(app):
    with app.app_context():
        call, a1, a2 = _ranked(places=3)
        call.places_by_category, call.places_total = None, 4
        db.session.flush()
        retail, service = _run_order(call, "retail"), _run_order(call, "service")
        dec.propose_candidates(call, "retail", retail[:3], reason=None, actor=a1)
        assert dec.free_places(call, "service") == (4, 1)
        with pytest.raises(dec.DecisionError, match="超过本批次的拟入选名额（共 4 个，尚余 1 个）"):
            dec.propose_candidates(call, "service", service[:3], reason=None, actor=a1)
        dec.propose_candidates(call, "service", service[:1], reason="名额仅余一个", actor=a1)
