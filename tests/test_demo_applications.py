"""The demo calls and applications: codes, states, coherent timelines, quota, letters, files, idempotency."""
from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evalsys.domain.uploads import check_upload
from evalsys.domain.workflow import (ApplicationState as S, Role as FlowRole, TransitionError,
                                     check_transition, is_open_for_applications)
from evalsys.extensions import db
from evalsys.models import (Application, ApplicationAttachment, AttachmentKind, AuditRecord, Call,
                            Notification, PublicityEntry, QuotaCounter, RecommendationLetter, Role, StoredFile,
                            Transition, User)
from evalsys.models.types import utcnow
from tests.conftest import make_test_config

# Later issues' demos move the passed applications on (review, scoring, proposal, publicity, decision).
AFTER_CHECK = (S.PASSED, S.UNDER_REVIEW, S.SCORED, S.PROPOSED, S.IN_PUBLICITY, S.APPROVED, S.REJECTED)
# Every state an application reaches once recommended.
RECOMMENDED = (S.RECOMMENDED, S.FAILED, *AFTER_CHECK)
FIRST_RUN: dict[str, int] = {}  # what the module's one load_demo() reported
FLOW_ROLE = {Role.APPLICANT: FlowRole.APPLICANT, Role.AUTHORITY: FlowRole.AUTHORITY,
             Role.ADMIN: FlowRole.ADMIN}


@pytest.fixture(scope="module")
def demo_app(template_db, tmp_path_factory):
    """One database with the demo loaded once (loading is the slow part), shared by this module."""
    from evalsys import create_app
    from evalsys.demo import load_demo

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("demo") / "instance")))
    with app.app_context():
        counts = load_demo()
        db.session.commit()
    FIRST_RUN.update(counts)
    yield app
    with app.app_context():
        db.engine.dispose()
    template_db.drop(url)


def _apps(code: str) -> list[Application]:
    call = db.session.scalar(select(Call).where(Call.code == code))
    return db.session.scalars(select(Application).where(Application.call_id == call.id)
                              .order_by(Application.id)).all()


def test_the_three_calls_and_their_times(demo_app):
    now = utcnow()
    with demo_app.app_context():
        calls = {c.code: c for c in db.session.scalars(select(Call))}
        assert {"base-2015-b2", "enterprise-2015-2016", "demo-open"} <= set(calls)
        base, ent, open_ = calls["base-2015-b2"], calls["enterprise-2015-2016"], calls["demo-open"]
        assert (base.kind.value, base.criteria_id, base.criteria_version) == ("base", "base-2015-b2", 1)
        assert ent.kind.value == open_.kind.value == "enterprise"
        assert ent.criteria_id == open_.criteria_id == "enterprise-2015-2016"
        assert base.opens_at.year == ent.opens_at.year == ent.review_ends_at.year == base.review_ends_at.year == 2015
        assert ent.review_ends_at < now, "the enterprise review is over (it gets fully scored)"
        assert base.review_starts_at < base.review_ends_at < now, "the base call was reviewed in 2015 too"
        assert is_open_for_applications(open_.times, now) and open_.recommend_deadline > open_.closes_at > now
        assert len(ent.category_codes) == 7 and all(3 <= n <= 5 for n in ent.places.values())
        assert all(5 <= c.reviewers_per_application <= 7 for c in calls.values())
        assert (ent.quota_per_authority, base.quota_per_authority) == (8, 3)


def test_counts_per_state(demo_app):
    with demo_app.app_context():
        def front_half(state):  # as far as the front half goes: past the formal check counts as passed
            return S.PASSED if state in AFTER_CHECK else state

        ent = Counter(front_half(a.state) for a in _apps("enterprise-2015-2016"))
        base = Counter(front_half(a.state) for a in _apps("base-2015-b2"))
        assert _apps("demo-open") == []
        assert ent == {S.PASSED: 31, S.DRAFT: 3, S.SUBMITTED: 2, S.RETURNED: 3, S.NOT_RECOMMENDED: 3,
                       S.FAILED: 3}
        assert base == {S.PASSED: 6, S.DRAFT: 2, S.SUBMITTED: 1, S.RECOMMENDED: 2, S.RETURNED: 1,
                        S.NOT_RECOMMENDED: 2, S.FAILED: 1}
        # Both 2015 calls are reviewed to the end; the base call waits for its ranking.
        assert not {a.state for a in _apps("enterprise-2015-2016")} & {S.PASSED, S.UNDER_REVIEW}
        assert {a.state for a in _apps("base-2015-b2") if front_half(a.state) is S.PASSED} == {S.SCORED}
        kinds = {a.organisation.name[-9:] for a in _apps("base-2015-b2")}
        assert all(k.endswith("运营管理有限公司") for k in kinds), "base operators apply to the base call"
        authorities = {a.authority_code for a in _apps("enterprise-2015-2016") + _apps("base-2015-b2")}
        assert len(authorities) >= 30


def test_every_application_has_a_coherent_timeline_and_audit_trail(demo_app):
    from evalsys.services.applications import submission_problems

    with demo_app.app_context():
        for app in _apps("enterprise-2015-2016") + _apps("base-2015-b2"):
            rows = db.session.scalars(select(Transition).where(Transition.application_id == app.id)
                                      .order_by(Transition.id)).all()
            assert rows[0].action == "create" and rows[0].at >= app.call.opens_at, app.id
            publicity_end = db.session.scalar(select(PublicityEntry.ends_at)  # its own (announce gate)
                                              .where(PublicityEntry.application_id == app.id))
            state = S.DRAFT
            for prev, row in zip(rows, rows[1:]):
                assert row.at > prev.at and row.from_state == state, (app.id, row.action)
                actor = db.session.get(User, row.actor_id)
                # The same table the services obey, asked at the step's own (2015) moment.
                rule = check_transition(state, row.action, role=FLOW_ROLE[actor.role], now=row.at,
                                        deadlines=app.call.times.deadlines(publicity_end), reason=row.reason)
                assert rule.target == row.to_state and row.acting_unit == actor.acting_unit
                state = row.to_state
            assert state == app.state, app.id
            events = Counter(db.session.scalars(select(AuditRecord.event).where(
                AuditRecord.object_type == "applications", AuditRecord.object_id == str(app.id))))
            assert events["application_created"] == 1
            for row in rows[1:]:
                assert events[f"application_{row.action}"] >= 1, (app.id, row.action)
            notes = db.session.scalar(select(func.count(Notification.id)).where(
                Notification.link == f"/applicant/applications/{app.id}"))
            assert notes == len(rows) - 1
            if len(rows) > 1:  # it was submitted once: complete and through the gates
                assert submission_problems(app) == [], (app.id, submission_problems(app))
                assert app.submitted_at is not None or app.state == S.DRAFT


def test_an_illegal_step_would_be_caught(demo_app):
    """The timeline check above can fail: a recommendation after the deadline is refused."""
    with demo_app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == "enterprise-2015-2016"))
        with pytest.raises(TransitionError):
            check_transition(S.SUBMITTED, "recommend", role=FlowRole.AUTHORITY, now=call.review_ends_at,
                             deadlines=call.times.deadlines())


def test_quota_counters_and_letters_match_the_recommendations(demo_app):
    with demo_app.app_context():
        for code in ("enterprise-2015-2016", "base-2015-b2"):
            apps = _apps(code)
            call = apps[0].call
            expected = Counter(a.authority_code for a in apps if a.state in RECOMMENDED)
            used = {q.authority_code: q.used for q in db.session.scalars(
                select(QuotaCounter).where(QuotaCounter.call_id == call.id)) if q.used}
            assert used == dict(expected)
            assert all(n <= call.quota_per_authority for n in used.values())
            letters = {lt.authority_code: lt for lt in db.session.scalars(
                select(RecommendationLetter).where(RecommendationLetter.call_id == call.id))}
            assert set(letters) == set(expected)
            for a in apps:
                if a.state in RECOMMENDED:
                    first = db.session.scalar(select(func.min(Transition.at)).where(
                        Transition.application_id == a.id, Transition.action == "recommend"))
                    assert letters[a.authority_code].uploaded_at < first
            orders = Counter((a.authority_code, a.recommend_order) for a in apps if a.state in RECOMMENDED)
            assert all(n == 1 for n in orders.values()) and None not in {o for _, o in orders}


def test_attachments_exist_and_verify(demo_app):
    root = Path(demo_app.config["UPLOAD_DIR"])
    with demo_app.app_context():
        for app in _apps("enterprise-2015-2016") + _apps("base-2015-b2"):
            kinds = {att.kind for att in db.session.scalars(select(ApplicationAttachment).where(
                ApplicationAttachment.application_id == app.id))}
            assert kinds == set(AttachmentKind) if app.submitted_at else AttachmentKind.LICENCE in kinds
        ids = select(ApplicationAttachment.file_id).union(select(RecommendationLetter.file_id))
        files = db.session.scalars(select(StoredFile).where(StoredFile.id.in_(ids))).all()
        assert len(files) > 200
        for stored in files:
            data = (root / stored.storage_name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == stored.sha256 and len(data) == stored.size
            assert check_upload(data, allowed=("pdf",)).kind == "pdf"
        some = next(f for f in files if f.purpose == "application:licence")
        assert some.original_name == "营业执照.pdf"


def test_the_documents_name_the_organisation(demo_app):
    import io

    from pypdf import PdfReader

    root = Path(demo_app.config["UPLOAD_DIR"])
    with demo_app.app_context():
        app = _apps("base-2015-b2")[0]
        att = db.session.scalar(select(ApplicationAttachment).where(
            ApplicationAttachment.application_id == app.id,
            ApplicationAttachment.kind == AttachmentKind.REPORT))
        text = PdfReader(io.BytesIO((root / att.file.storage_name).read_bytes())).pages[0].extract_text()
        assert app.organisation.name in text and "申报报告" in text


def test_running_demo_again_creates_nothing(demo_app):
    from evalsys.demo import load_demo

    tables = (Call, Application, Transition, ApplicationAttachment, StoredFile, RecommendationLetter,
              Notification)
    with demo_app.app_context():
        assert (FIRST_RUN["calls_created"], FIRST_RUN["applications_created"]) == (3, 60)
        before = [db.session.scalar(select(func.count()).select_from(t)) for t in tables]
        quota = db.session.scalar(select(func.sum(QuotaCounter.used)))
        counts = load_demo()
        db.session.commit()
        assert (counts["users_created"], counts["calls_created"], counts["applications_created"]) == (0, 0, 0)
        assert [db.session.scalar(select(func.count()).select_from(t)) for t in tables] == before
        assert db.session.scalar(select(func.sum(QuotaCounter.used))) == quota
