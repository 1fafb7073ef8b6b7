"""The demo is the 2015 story: every stamp of the demo rows and every date in the issued reports lies
in 2015–2016 (only the open call `demo-open` lives in the present), the audit chain verifies,
credit codes fit each firm's history and region, enterprise figures hang together per category,
the first-batch bases differ, and the winners concentrate in the east."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import Counter

import pytest
from sqlalchemy import and_, func, not_, or_, select

from evalsys.domain import uscc
from evalsys.domain.authorities import authority_for_region
from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import (Application, AuditRecord, Call, Evaluation, EvaluationValue, FirstBatchBase,
                            IssuedReport, Organisation)
from evalsys.models.types import UTCDateTime
from tests.conftest import make_test_config

FIRST, LAST = dt.datetime(2015, 1, 1, tzinfo=dt.UTC), dt.datetime(2017, 1, 1, tzinfo=dt.UTC)
OPEN_CALL = "demo-open"
# The usual three-way split; separately-listed cities in the east, the Corps in the west.
EAST = {"110000", "120000", "130000", "210000", "310000", "320000", "330000", "350000", "370000", "440000",
        "460000", "210200", "370200", "330200", "350200", "440300"}
CENTRE = {"140000", "220000", "230000", "340000", "360000", "410000", "420000", "430000"}
# Plausible operating revenue per employee (yuan a year) and average order value (yuan) per category:
# traders turn over millions per head, service and local-life firms far less.
PER_HEAD = {"retail": (8e5, 8e6), "wholesale": (2e6, 3e7), "service": (1.5e5, 2.5e6), "local-life": (1e5, 1.5e6),
            "cross-border": (8e5, 8e6), "comprehensive": (4e5, 6e6), "innovation": (1.5e5, 3e6)}
ORDER_VALUE = {"retail": (50, 600), "wholesale": (1_000, 100_000), "service": (300, 50_000), "local-life": (20, 300),
               "cross-border": (100, 1_500), "comprehensive": (60, 1_000), "innovation": (50, 5_000)}
DATE_PATTERNS = (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"))


@pytest.fixture(scope="module")
def demo_app(template_db, tmp_path_factory):
    """One database with the demo loaded once (loading is the slow part), shared by this module."""
    from evalsys import create_app
    from evalsys.demo import load_demo
    from evalsys.services import audit

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("demo-story") / "instance")))
    with app.app_context():
        load_demo()
        db.session.commit()
        audit.chain_pending()
    yield app
    with app.app_context():
        db.engine.dispose()
    template_db.drop(url)


def _open_call_id() -> int:
    return db.session.scalar(select(Call.id).where(Call.code == OPEN_CALL))


def test_every_stamp_of_the_demo_lies_in_2015_and_2016(demo_app):
    """Every timestamp column of every table, except the open call, its applications and their audit."""
    with demo_app.app_context():
        open_id = _open_call_id()
        open_apps = select(Application.id).where(Application.call_id == open_id)
        checked, outside = 0, []
        for table in db.metadata.sorted_tables:
            stamps = [c for c in table.columns if isinstance(c.type, UTCDateTime)]
            if not stamps:
                continue
            live = None
            if table.name == "calls":
                live = table.c.id == open_id
            elif "call_id" in table.c:
                live = table.c.call_id == open_id
            elif table.name == "applications":
                live = table.c.id.in_(open_apps)
            elif table.name == "audit_records":
                live = or_(and_(table.c.object_type == "calls", table.c.object_id == str(open_id)),
                           and_(table.c.object_type == "applications", table.c.object_id.in_(
                               select(func.cast(Application.id, db.String)).where(Application.call_id == open_id))))
            for col in stamps:
                where = [col.is_not(None)]
                if live is not None:
                    where.append(not_(live))
                values = db.session.scalars(select(col).where(*where)).all()
                checked += len(values)
                outside += [(table.name, col.name, v) for v in values if not FIRST <= v < LAST]
        assert checked > 5_000, "the demo was loaded and its stamps read"
        assert outside == [], outside[:10]
        # ... and the open call is really open now, in the present.
        call = db.session.get(Call, open_id)
        assert call.opens_at.year >= 2026 and call.created_at.year >= 2026


def test_the_audit_chain_verifies_and_tells_the_story_in_2015(demo_app):
    from evalsys.services.audit import verify_chain

    with demo_app.app_context():
        report = verify_chain()
        assert report.ok, report.problem
        assert report.count == db.session.scalar(select(func.count(AuditRecord.id)))
        issued = db.session.scalars(select(AuditRecord.created_at)
                                    .where(AuditRecord.event == "evaluation_report_issued")).all()
        assert issued and all(at.year == 2015 and at.month == 12 for at in issued)
        # The historical moment in an application step's detail is the moment of the record itself.
        rows = db.session.execute(select(AuditRecord.created_at, AuditRecord.detail)
                                  .where(AuditRecord.event == "application_recommend")).all()
        assert rows
        for created_at, detail in rows:
            named = dt.datetime.fromisoformat(json.loads(detail)["at"])
            assert abs((created_at - named).total_seconds()) < 60


def _dates(text: str) -> list[dt.date]:
    found = []
    for pattern in DATE_PATTERNS:
        found += [dt.date(int(y), int(m), int(d)) for y, m, d in pattern.findall(text)]
    return found


def test_every_date_printed_in_the_issued_reports_lies_in_2015_and_2016(demo_app):
    from pypdf import PdfReader

    from evalsys.services.evaluation_reports import read_signed

    with demo_app.app_context():
        reports = db.session.scalars(select(IssuedReport)).all()
        assert len(reports) >= 2
        for report in reports:
            assert FIRST <= report.issued_at < LAST
            text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(read_signed(report))).pages)
            printed = _dates(text) + _dates(report.snapshot)
            assert len(printed) >= 4, "issue date, self-evaluation, authority evaluation and acceptance"
            assert all(dt.date(2015, 1, 1) <= d <= dt.date(2016, 12, 31) for d in printed), sorted(set(printed))
            doc = json.loads(report.snapshot)
            assert doc["issued_date"].startswith("2015-12")
        # The national summary, issued once the 差 bases' rectification was settled (April 2016).
        from evalsys.models.round_summary import RoundSummaryReport
        from evalsys.services.round_summaries import read_signed_summary

        summaries = db.session.scalars(select(RoundSummaryReport)).all()
        assert len(summaries) == 1 and summaries[0].issued_at.year == 2016
        text = "\n".join(page.extract_text() or "" for page in
                         PdfReader(io.BytesIO(read_signed_summary(summaries[0]))).pages)
        printed = _dates(text) + _dates(summaries[0].snapshot)
        assert len(printed) >= 5, "issue date, rectification deadlines and steps"
        assert all(dt.date(2015, 1, 1) <= d <= dt.date(2016, 12, 31) for d in printed), sorted(set(printed))
        # A rectification deadline of a 差 base: three months after its acceptance in December 2015.
        from evalsys.models import Rectification
        deadlines = db.session.scalars(select(Rectification.deadline)).all()
        assert deadlines and all(d.year == 2016 and d.month == 3 for d in deadlines)


def test_the_verification_page_shows_the_2015_issue(demo_app):
    with demo_app.app_context():
        serial, issued_at = db.session.execute(select(IssuedReport.serial, IssuedReport.issued_at)).first()
    page = demo_app.test_client().get(f"/public/verify/{serial}").get_data(as_text=True)
    assert serial in page and issued_at.strftime("%Y-%m-%d") in page and "2026-" not in page


def test_credit_codes_fit_each_firms_history_and_region(demo_app):
    with demo_app.app_context():
        orgs = db.session.scalars(select(Organisation)).all()
        assert len(orgs) >= 94  # 60 applicants and 34 base operators
        history: dict[int, dt.date] = {}
        for app in db.session.scalars(select(Application).where(Application.call_id != _open_call_id())):
            figures = json.loads(app.figures or "{}")
            opened = figures.get("shop_opened_on") or figures.get("opened_on")
            if opened:
                history[app.organisation_id] = min(history.get(app.organisation_id, dt.date.max),
                                                   dt.date.fromisoformat(opened))
                if app.call.kind.value == "enterprise":
                    # A legal-person enterprise (91…) with its shop open two full years when it applied.
                    assert app.organisation.uscc.startswith("91")
                    created = app.created_at.date()
                    assert dt.date.fromisoformat(opened) <= created.replace(year=created.year - 2)
        for base in db.session.scalars(select(FirstBatchBase)):
            history[base.organisation_id] = dt.date(2013, 1, 1)  # first batch: created from 2013
        assert len(history) >= 80
        for org in orgs:
            uscc.validate(org.uscc)
            assert authority_for_region(uscc.region_code(org.uscc)) == org.authority_code, org.uscc
            if org.id in history and history[org.id] < dt.date(2015, 10, 1):
                assert org.uscc[8:10] != "MA", (org.name, org.uscc, history[org.id])


def test_enterprise_figures_hang_together_per_category(demo_app):
    with demo_app.app_context():
        ent = db.session.scalar(select(Call).where(Call.code == "enterprise-2015-2016"))
        apps = db.session.scalars(select(Application).where(Application.call_id == ent.id)).all()
        checked = Counter()
        for app in apps:
            f = json.loads(app.figures or "{}")
            if not {"operating_revenue", "employees", "ecommerce_revenue", "orders", "tax_paid"} <= set(f):
                continue  # an abandoned draft
            revenue = f["operating_revenue"] / 100
            low, high = PER_HEAD[app.category]
            assert low <= revenue / f["employees"] <= high, (app.category, revenue, f["employees"])
            low, high = ORDER_VALUE[app.category]
            assert low <= f["ecommerce_revenue"] / 100 / f["orders"] <= high, (app.category, f)
            assert f["ecommerce_revenue"] <= f["operating_revenue"]
            assert 0.002 <= f["tax_paid"] / f["operating_revenue"] <= 0.1
            checked[app.category] += 1
        assert len(checked) == 7 and sum(checked.values()) >= 35


def test_the_first_batch_bases_differ(demo_app):
    with demo_app.app_context():
        values = db.session.execute(
            select(Evaluation.base_id, EvaluationValue.field_id, EvaluationValue.value)
            .join(EvaluationValue, EvaluationValue.evaluation_id == Evaluation.id)
            .where(EvaluationValue.field_id.in_(["transactions_base_year", "firms_base_year"]))).all()
        by_field: dict[str, dict[int, object]] = {}
        for base_id, field_id, value in values:
            by_field.setdefault(field_id, {})[base_id] = value
        for field_id in ("transactions_base_year", "firms_base_year"):
            assert len(by_field[field_id]) >= 10
            assert len(set(by_field[field_id].values())) == len(by_field[field_id]), field_id
        base_call = db.session.scalar(select(Call).where(Call.code == "base-2015-b2"))
        last_year = [json.loads(a.figures).get("transactions_last_year") for a in db.session.scalars(
            select(Application).where(Application.call_id == base_call.id))]
        last_year = [v for v in last_year if v]
        assert len(set(last_year)) == len(last_year) >= 10


def test_winners_concentrate_in_the_east(demo_app):
    with demo_app.app_context():
        ent = db.session.scalar(select(Call).where(Call.code == "enterprise-2015-2016"))
        winners = db.session.scalars(select(Application.authority_code).where(
            Application.call_id == ent.id, Application.state == S.APPROVED)).all()
        regions = Counter("east" if c in EAST else "centre" if c in CENTRE else "west" for c in winners)
        assert len(winners) >= 15
        assert regions["east"] > regions["centre"] > regions["west"], regions
        assert regions["east"] * 2 > len(winners)
