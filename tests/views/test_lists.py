"""The shared list control: every growing list renders it, a search narrows the rows to those that match (names,
USCC, codes), each whitelisted sort key orders the rows, an unknown key changes nothing, and the count shown is
the number of matching rows.

The expected rows are loaded with the ORM and matched in Python, independently of the query modules. The demo is
shared by the test process: these tests only read it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from evalsys.extensions import db
from evalsys.listing import Filter, ListQuery, clean_text, is_year, ordered, parse
from evalsys.models import (Allocation, Application, Assignment, AssignmentState, AuditRecord, Call,
                            CallAnnouncement, CallKind, ComplianceFlag, Evaluation, EvaluationRound, Expenditure,
                            FirstBatchBase, Notification, Organisation, PublicityEntry, ReviewerProfile, Role,
                            TypicalCase, User)
from evalsys.models.summary import SummaryCollection, SummarySubmission
from evalsys.domain.workflow import ApplicationState
from evalsys.services import (account_query, admin_query, applicant_home_query, application_query, audit_query,
                              case_query, decision_public_query, evaluation_query, funds_query, review_progress,
                              review_query, summary_query)
from tests.crawl import login_demo
from tests.views.test_pagination import PAGINATED

COUNT = re.compile(r'data-list-count="(\d+)"')
ARIA = re.compile(r'aria-sort="(\w+)"')
CALL = "enterprise-2015-2016"
AUTHORITY = "authority-320000"


# --- the parsing: nothing from the URL reaches the SQL but whitelisted keys and known values -------------------

def test_parse_keeps_only_whitelisted_sort_keys_and_known_filter_values():
    states = Filter("state", "状态", [("open", "open"), ("closed", "closed")])
    lq = parse({"sort": "name", "dir": "desc", "state": "open", "q": "  苏州\x00 "}, sorts={"name", "id"},
               filters=[states])
    assert lq == ListQuery("苏州", "name", True, {"state": "open"})
    for evil in ("users.password_hash", "name; DROP TABLE users", "id desc", "", "NAME"):
        assert parse({"sort": evil, "dir": "desc"}, sorts={"name"}, default_sort="name").sort == "name"
        assert parse({"sort": evil, "dir": "desc"}, sorts={"name"}, default_sort="name").descending is False
    assert parse({"state": "open' OR 1=1"}, filters=[states]).get("state") == ""
    assert parse({}, filters=[Filter("state", "", [("open", ""), ("all", "")], None, default="open")]).get("state") \
        == "open"
    assert clean_text("x" * 500) == "x" * 80
    # Only a search or a chosen filter narrows a list; a sort does not, nor a filter left at "all".
    assert lq.narrowed and ListQuery("苏州").narrowed and ListQuery(filters={"state": "open"}).narrowed
    assert not parse({"sort": "name", "state": "open' OR 1=1"}, sorts={"name"}, filters=[states]).narrowed


@pytest.mark.parametrize("endpoint, fixed", [
    ("admin.call_detail", {"code": CALL}),                      # a route argument
    ("admin.funds_home", {}),                                   # none
    ("admin.call_detail", {"code": "a b/c", "tab": "x y&z"}),   # quoted, and a fixed argument outside the route
])
def test_the_links_of_a_list_are_those_url_for_builds(app, endpoint, fixed):
    from flask import url_for

    from evalsys.listing import ListControl

    query = ListQuery("苏州 & 无锡/100%?", "name", True, {"state": "open", "authority": ""})
    lst = ListControl(query, endpoint, fixed, "search", [], frozenset({"name", "id"}), extra={"tab2": "两"})
    with app.test_request_context("/"):
        for changes in ({}, {"page": 3}, {"sort": "id", "dir": "asc", "page": None}, {"state": None, "q": "é+ü"},
                        {"authority": "320000", "page": 0}):
            assert lst.url(**changes) == url_for(endpoint, **lst.args(**changes))
        assert lst.sort_url("name") == url_for(endpoint, **lst.args(sort="name", dir="asc", page=None))
        assert lst.clear_url() == url_for(endpoint, **fixed)
        assert lst.url(code="other") == url_for(endpoint, **lst.args(code="other"))


def test_an_unknown_key_falls_back_to_the_default_order_and_a_known_one_breaks_ties_by_id(app):
    sorts = {"name": (User.display_name,)}
    default = select(User).order_by(User.id.desc())
    unknown = ordered(select(User), ListQuery(sort="password_hash"), sorts, (User.id.desc(),), User.id)
    assert str(unknown) == str(default)
    known = str(ordered(select(User), ListQuery(sort="name", descending=True), sorts, (User.id,), User.id))
    assert "ORDER BY users.display_name DESC" in known and known.rstrip().endswith("users.id DESC")


# --- every list sorts by every whitelisted key (on the demo's rows) ---------------------------------------------

def _statements(session) -> dict[str, tuple[Callable[[ListQuery], object], dict]]:
    """Each list's statement builder with its sort map."""
    from evalsys.models import Call
    call = session.scalar(select(Call).where(Call.code == CALL))
    admin = session.scalar(select(User).where(User.username == "admin"))
    reader = session.scalar(select(User).where(User.username == "applicant02"))
    profile = session.scalar(select(ReviewerProfile).join(Assignment, Assignment.reviewer_id == ReviewerProfile.id)
                             .limit(1))
    base = session.scalar(select(FirstBatchBase).join(FirstBatchBase.authority).order_by(FirstBatchBase.code))
    return {
        "call applications": (lambda lq: application_query.call_applications(call, lq),
                              application_query.APPLICATION_SORTS),
        "jurisdiction applications": (lambda lq: application_query.jurisdiction_applications("320000", lq),
                                      application_query.APPLICATION_SORTS),
        "organisations": (lambda lq: application_query.jurisdiction_organisations("320000", lq),
                          application_query.ORGANISATION_SORTS),
        "accounts": (account_query.accounts, account_query.ACCOUNT_SORTS),
        "expert profiles": (account_query.reviewer_profiles, account_query.PROFILE_SORTS),
        "jurisdiction accounts": (lambda lq: account_query.jurisdiction_accounts("320000", lq),
                                  account_query.JURISDICTION_ACCOUNT_SORTS),
        "notifications": (lambda lq: account_query.notifications_of(reader.id, lq), account_query.NOTIFICATION_SORTS),
        "reviewers": (review_query.reviewers, review_query.REVIEWER_SORTS),
        "assignments": (lambda lq: review_query.assignments_of(profile, lq), review_query.ASSIGNMENT_SORTS),
        "cases": (case_query.all_cases, case_query.CASE_SORTS),
        "audit": (lambda lq: audit_query.filtered(audit_query.AuditFilter(), lq), audit_query.AUDIT_SORTS),
        "entries": (lambda lq: funds_query.base_entries(base, lq), funds_query.ENTRY_SORTS),
        "flags": (lambda lq: funds_query.visible_flags(admin, lq), funds_query.FLAG_SORTS),
        "bases": (lambda lq: funds_query.dashboard_bases(admin, lq, None), funds_query._base_sorts(None)),
        "bases 2014": (lambda lq: funds_query.dashboard_bases(admin, lq, 2014), funds_query._base_sorts(2014)),
        "calls": (application_query.calls, application_query.CALL_SORTS),
        "review calls": (review_query.review_calls, review_query.REVIEW_CALL_SORTS),
        "evaluation rounds": (admin_query.evaluation_rounds, admin_query.ROUND_SORTS),
        "summary collections": (summary_query.collections, summary_query.COLLECTION_SORTS),
        "own applications": (lambda lq: applicant_home_query.own_applications(reader.organisation_id, lq),
                             applicant_home_query.OWN_APPLICATION_SORTS),
        "jurisdiction evaluations": (lambda lq: evaluation_query.jurisdiction_evaluations("330000", lq),
                                     evaluation_query.EVALUATION_SORTS),
        "announced calls": (decision_public_query.announced_calls, decision_public_query.ANNOUNCED_SORTS),
        "publicity calls": (decision_public_query.publicity_calls, decision_public_query.PUBLICITY_SORTS),
    }


def _values(session, stmt, columns) -> list[tuple]:
    rows = session.execute(stmt.add_columns(*columns)).all()
    return [tuple(r[1:]) for r in rows]


def _key(values: tuple):
    return tuple((v is None, v.value if hasattr(v, "value") else v) for v in values)


def test_every_list_orders_its_rows_by_every_whitelisted_key(demo_site):
    with demo_site.app_context():
        session = db.session
        problems = []
        for name, (build, sorts) in _statements(session).items():
            default = session.scalars(build(ListQuery())).unique().all()
            assert default, f"{name}: the demo has no rows to sort"
            unknown = session.scalars(build(ListQuery(sort="nonsense"))).unique().all()
            if [r.id for r in unknown] != [r.id for r in default]:
                problems.append(f"{name}: an unknown key changed the order")
            for key, columns in sorts.items():
                asc = _values(session, build(ListQuery(sort=key)), columns)
                desc = _values(session, build(ListQuery(sort=key, descending=True)), columns)
                assert len(asc) == len(desc) == len(default), (name, key)
                # Rows without a value come last both ways; the others are reversed from one direction to the other.
                for seq in (asc, desc):
                    flags = [any(v is None for v in t) for t in seq]
                    if flags != sorted(flags):
                        problems.append(f"{name} {key}: empty values not last")
                asc_known = [t for t in asc if not any(v is None for v in t)]
                desc_known = [t for t in desc if not any(v is None for v in t)]
                if _key_seq(desc_known) != list(reversed(_key_seq(asc_known))):
                    problems.append(f"{name} {key}: descending is not ascending reversed")
                comparable = [t for t in asc_known if not any(isinstance(v, str) for v in t)]
                if db.engine.dialect.name == "sqlite" or len(comparable) == len(asc_known):
                    if _key_seq(asc_known) != sorted(_key_seq(asc_known)):
                        problems.append(f"{name} {key}: not in ascending order")
        assert problems == []


def _key_seq(seq):
    return [_key(t) for t in seq]


# --- the pages: control, search, count, sort links --------------------------------------------------------------

@dataclass
class Case:
    """One list page: who opens it, where, and the rows it lists with the texts a search looks in."""

    endpoint: str
    account: str | None
    url: Callable[[object], str]
    rows: Callable[[object], list[tuple[int, tuple[str, ...]]]]  # (id, searchable texts)
    args: dict | None = None  # fixed query arguments (e.g. a filter's "all")


def _user(s, username):
    return s.scalar(select(User).where(User.username == username))


def _org_texts(o: Organisation) -> tuple[str, ...]:
    return (o.name, o.uscc)


def _app_rows(apps):
    return [(a.id, (*_org_texts(a.organisation), str(a.id))) for a in apps]


def _jurisdiction_apps(s):
    return _app_rows(s.scalars(select(Application).where(Application.authority_code == "320000",
                                                         Application.state != ApplicationState.DRAFT)).unique())


def _call_apps(s):
    from evalsys.models import Call
    call = s.scalar(select(Call).where(Call.code == CALL))
    return _app_rows(s.scalars(select(Application).where(Application.call_id == call.id,
                                                         Application.state != ApplicationState.DRAFT)).unique())


def _orgs(s):
    return [(o.id, _org_texts(o)) for o in s.scalars(select(Organisation).where(Organisation.authority_code == "320000"))
            .unique()]


def _jurisdiction_accounts(s):
    users = s.scalars(select(User).join(Organisation, User.organisation_id == Organisation.id).where(
        User.role == Role.APPLICANT, Organisation.authority_code == "320000")).unique()
    return [(u.id, (u.username, u.organisation.name, u.organisation.uscc, u.display_name)) for u in users]


def _accounts(s):
    return [(u.id, (u.username, u.display_name, *(_org_texts(u.organisation) if u.organisation else ())))
            for u in s.scalars(select(User)).unique()]


def _profiles(s):
    return [(p.id, (p.name, p.organisation_name, p.organisation_uscc or "", p.field_tags))
            for p in s.scalars(select(ReviewerProfile)).unique()]


def _security_profiles(s):
    return [(i, t[:3]) for i, t in _profiles(s)]


def _cases(s, **where):
    stmt = select(TypicalCase)
    for k, v in where.items():
        stmt = stmt.where(getattr(TypicalCase, k) == v)
    out = []
    for c in s.scalars(stmt).unique():
        org = s.get(Organisation, c.organisation_id)
        out.append((c.id, (c.title, org.name, org.uscc)))
    return out


def _applicant_cases(s):
    return _cases(s, organisation_id=_user(s, "applicant02").organisation_id)


def _base(s, authority="320000"):
    """The first base of the jurisdiction that has entries."""
    return s.scalar(select(FirstBatchBase).join(Allocation, Allocation.base_id == FirstBatchBase.id)
                    .join(Expenditure, Expenditure.allocation_id == Allocation.id)
                    .where(FirstBatchBase.authority_code == authority).order_by(FirstBatchBase.code).limit(1))


def _entries(s, base_filter):
    stmt = select(Expenditure).join(Allocation).join(FirstBatchBase).where(base_filter)
    return [(e.id, (e.project, e.payee, e.voucher_no, e.category)) for e in s.scalars(stmt).unique()]


def _flags(s, base_filter):
    stmt = select(ComplianceFlag).join(Expenditure).join(Allocation).join(FirstBatchBase).where(base_filter)
    return [(f.id, (f.expenditure.allocation.base.code, f.expenditure.allocation.base.name, f.expenditure.project,
                    f.expenditure.payee)) for f in s.scalars(stmt).unique()]


def _bases(s, *where):
    stmt = select(FirstBatchBase).where(*where)
    return [(b.id, (b.code, b.name, b.city, b.operator.name, b.operator.uscc)) for b in s.scalars(stmt).unique()]


def _operator_base(s):
    return s.scalar(select(FirstBatchBase).where(FirstBatchBase.organisation_id == _user(s, "baseop01").organisation_id))


def _notifications(s):
    user = _user(s, "applicant02")
    return [(n.id, (n.message,)) for n in s.scalars(select(Notification).where(Notification.user_id == user.id))]


def _reviewer_tasks(s):
    from evalsys.models import Call
    me = s.scalar(select(ReviewerProfile).where(ReviewerProfile.user_id == _user(s, "reviewer01").id))
    rows = s.execute(select(Assignment, Call).join(Call, Call.id == Assignment.call_id).where(
        Assignment.reviewer_id == me.id, Assignment.state == AssignmentState.ACTIVE)).unique().all()
    return [(a.id, (c.title, c.code, str(a.application_id))) for a, c in rows]


def _assignments(s):
    from evalsys.models import Call
    profile = _profile_with_tasks(s)
    rows = s.execute(select(Assignment, Call).join(Call, Call.id == Assignment.call_id)
                     .where(Assignment.reviewer_id == profile.id)).unique().all()
    return [(a.id, (*_org_texts(a.application.organisation), c.code, c.title)) for a, c in rows]


def _profile_with_tasks(s):
    return s.scalar(select(ReviewerProfile).join(Assignment, Assignment.reviewer_id == ReviewerProfile.id)
                    .order_by(ReviewerProfile.id).limit(1))


def _progress_apps(s):
    from evalsys.models import Call
    from sqlalchemy import or_
    call = s.scalar(select(Call).where(Call.code == CALL))
    assigned = select(Assignment.application_id).where(Assignment.call_id == call.id,
                                                       Assignment.state == AssignmentState.ACTIVE)
    return _app_rows(s.scalars(select(Application).where(Application.call_id == call.id, or_(
        Application.state.in_(review_progress.IN_REVIEW), Application.id.in_(assigned)))).unique())


def _audit(s):
    return [(r.id, tuple(x or "" for x in (r.username, r.event, r.object_type, r.object_id, r.ip, r.request_id)))
            for r in s.scalars(select(AuditRecord))]


def _public(s):
    from evalsys.models import Call
    rows = s.execute(select(Application, Call).join(Call, Call.id == Application.call_id)
                     .where(Application.state == ApplicationState.APPROVED)).unique().all()
    return [(a.id, (*_org_texts(a.organisation), c.title)) for a, c in rows]


def _calls(s, *where):
    return [(c.id, (c.code, c.title)) for c in s.scalars(select(Call).where(*where))]


def _rounds(s):
    return [(r.id, (r.code, r.title)) for r in s.scalars(select(EvaluationRound))]


def _collections(s):
    return [(c.id, (c.title,)) for c in s.scalars(select(SummaryCollection))]


def _own_applications(s):
    org = _user(s, "applicant02").organisation_id
    return [(a.id, (a.call.title, a.call.code, str(a.id)))
            for a in s.scalars(select(Application).where(Application.organisation_id == org)).unique()]


def _evaluations(s, *where):
    stmt = select(Evaluation).join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id).where(*where)
    return [(e.id, (e.base.code, e.base.name, e.round.code, e.round.title)) for e in s.scalars(stmt).unique()]


JURISDICTION = FirstBatchBase.authority_code == "320000"
CASES = [
    Case("authority.organisations", AUTHORITY, lambda s: "/authority/organisations", _orgs),
    Case("authority.applications", AUTHORITY, lambda s: "/authority/applications", _jurisdiction_apps),
    Case("authority.accounts", AUTHORITY, lambda s: "/authority/accounts", _jurisdiction_accounts),
    Case("authority.cases", "authority-440000", lambda s: "/authority/cases",
         lambda s: _cases(s, authority_code="440000")),
    Case("authority.funds_entries", AUTHORITY, lambda s: "/authority/funds/expenditures",
         lambda s: _entries(s, JURISDICTION), {"status": "all"}),
    Case("authority.funds_flags", AUTHORITY, lambda s: "/authority/funds/flags", lambda s: _flags(s, JURISDICTION),
         {"state": "all"}),
    Case("authority.funds_home", AUTHORITY, lambda s: "/authority/funds", lambda s: _bases(s, JURISDICTION)),
    Case("authority.funds_base", AUTHORITY, lambda s: f"/authority/funds/bases/{_base(s).id}",
         lambda s: _entries(s, FirstBatchBase.id == _base(s).id)),
    Case("auth.notifications", "applicant02", lambda s: "/auth/notifications", _notifications),
    Case("admin.call_detail", "admin", lambda s: f"/admin/calls/{CALL}", _call_apps),
    Case("admin.reviewers", "admin", lambda s: "/admin/review/reviewers", _profiles),
    Case("admin.reviewer_detail", "admin", lambda s: f"/admin/review/reviewers/{_profile_with_tasks(s).id}",
         _assignments),
    Case("admin.review_call", "admin", lambda s: f"/admin/review/calls/{CALL}", _progress_apps),
    Case("admin.review_progress", "admin", lambda s: f"/admin/review/calls/{CALL}/progress", _progress_apps),
    Case("admin.cases", "admin", lambda s: "/admin/cases", _cases),
    Case("admin.funds_home", "admin", lambda s: "/admin/funds", lambda s: _bases(s)),
    Case("admin.funds_base", "admin", lambda s: f"/admin/funds/bases/{_base(s).id}",
         lambda s: _entries(s, FirstBatchBase.id == _base(s).id)),
    Case("admin.funds_flags", "admin", lambda s: "/admin/funds/flags", lambda s: _flags(s, True), {"state": "all"}),
    Case("applicant.cases", "applicant02", lambda s: "/applicant/cases", _applicant_cases),
    Case("applicant.funds_base", "baseop01", lambda s: f"/applicant/funds/bases/{_operator_base(s).id}",
         lambda s: _entries(s, FirstBatchBase.id == _operator_base(s).id)),
    Case("review.home", "reviewer01", lambda s: "/review/", _reviewer_tasks),
    Case("security.home", "secadmin", lambda s: "/security/", _accounts),
    Case("security.reviewers", "secadmin", lambda s: "/security/reviewers", _security_profiles),
    Case("audit.home", "auditor", lambda s: "/audit/", _audit),
    Case("public.cases", None, lambda s: "/public/cases", _public),
    Case("admin.calls", "admin", lambda s: "/admin/calls", _calls),
    Case("admin.review_calls", "admin", lambda s: "/admin/review/calls", _calls),
    Case("admin.evaluation_rounds", "admin", lambda s: "/admin/evaluations", _rounds),
    Case("admin.summaries", "admin", lambda s: "/admin/summaries", _collections),
    Case("authority.summaries", AUTHORITY, lambda s: "/authority/summaries", _collections),
    Case("applicant.home", "applicant02", lambda s: "/applicant/", _own_applications),
    Case("applicant.evaluations", "baseop01", lambda s: "/applicant/evaluations",
         lambda s: _evaluations(s, FirstBatchBase.organisation_id == _user(s, "baseop01").organisation_id)),
    Case("authority.evaluations", "authority-330000", lambda s: "/authority/evaluations",
         lambda s: _evaluations(s, FirstBatchBase.authority_code == "330000")),
    Case("authority.results_index", AUTHORITY, lambda s: "/authority/results",
         lambda s: _calls(s, Call.id.in_(select(CallAnnouncement.call_id)))),
    Case("public.publicity_index", None, lambda s: "/public/publicity",
         lambda s: _calls(s, Call.id.in_(select(PublicityEntry.call_id)))),
]


def test_the_cases_cover_every_paginated_list():
    assert PAGINATED <= {c.endpoint for c in CASES}


def _matches(rows, term: str) -> list[int]:
    t = term.lower()
    return [i for i, texts in rows if any(t in (x or "").lower() for x in texts)]


def _term(rows) -> str | None:
    """A search term that matches some rows but not all (the one row of a list of one): a piece of one row's text,
    tried in a fixed order. Not a year: lists of yearly things also match it against the years they cover (tested
    on its own below)."""
    total = len(rows)
    best = None
    for _i, texts in sorted(rows)[:15]:
        for text in texts:
            for piece in (text, text[:4], text[-4:], text[1:3]):
                piece = (piece or "").strip()
                if len(piece) < 2 or "%" in piece or "_" in piece or is_year(piece):
                    continue
                n = len(_matches(rows, piece))
                if 0 < n and (n < total or total == 1) and (best is None or n > best[1]):
                    best = (piece, n)
    return best[0] if best else None


def _get(client, url: str, **args) -> str:
    r = client.get(url + ("?" + urlencode(args) if args else ""))
    assert r.status_code == 200, (url, args, r.status_code)
    return r.get_data(as_text=True)


def _count(html: str) -> int:
    found = COUNT.findall(html)
    assert len(found) >= 1, "no count under the list"
    return int(found[-1])


@pytest.fixture(scope="module")
def clients(demo_site):
    made = {}
    for account in {c.account for c in CASES}:
        client = demo_site.test_client()
        if account:
            login_demo(client, account)
        made[account] = client
    return made


@pytest.mark.parametrize("case", CASES, ids=[c.endpoint for c in CASES])
def test_a_list_shows_the_control_and_its_search_narrows_with_a_count_that_agrees(demo_site, clients, case):
    client = clients[case.account]
    with demo_site.app_context():
        url = case.url(db.session)
        rows = case.rows(db.session)
    fixed = case.args or {}
    html = _get(client, url, **fixed)
    assert "data-list-control" in html
    assert _count(html) == len(rows)
    term = _term(rows)
    assert term, f"{case.endpoint}: the demo gives no term to search"
    narrowed = _get(client, url, q=term, **fixed)
    assert _count(narrowed) == len(_matches(rows, term)), term
    assert len(_matches(rows, term)) < len(rows) or len(rows) == 1
    assert f'value="{term}"' in narrowed  # the box keeps the search
    assert _count(_get(client, url, q="无此单位zz%", **fixed)) == 0  # % is a character, not a wildcard


@pytest.mark.parametrize("case", CASES, ids=[c.endpoint for c in CASES])
def test_sort_links_and_unknown_keys(demo_site, clients, case):
    client = clients[case.account]
    with demo_site.app_context():
        url = case.url(db.session)
    fixed = case.args or {}
    plain = _get(client, url, **fixed)
    total = _count(plain)
    keys = sorted(set(re.findall(r"[?&](?:amp;)?sort=(\w+)", plain)))
    assert keys or case.endpoint == "public.cases", "no sortable header"
    for key in keys:
        html = _get(client, url, sort=key, dir="desc", **fixed)
        assert _count(html) == total, key
        assert 'aria-sort="descending"' in html or case.endpoint == "auth.notifications", key
    for evil in ("password_hash", "id;DROP TABLE users", "1 desc", "../"):
        html = _get(client, url, sort=evil, dir="desc", **fixed)
        assert _count(html) == total
        assert ARIA.findall(html) == ARIA.findall(plain)  # the list's own default order


# --- filters narrow, the rows shown agree with the count, nobody finds others' rows -----------------------------

def _shown_rows(html: str) -> int:
    """The rows of the table under the list control (an empty list's one "none" row not counted)."""
    body = html[html.index("data-list-control"):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    return body.count("<tr") - body.count('colspan="')


def _ids(s, model, *where) -> set[int]:
    return set(s.scalars(select(model.id).where(*where)))


def _own_app_ids(s, state):
    return _ids(s, Application, Application.organisation_id == _user(s, "applicant02").organisation_id,
                Application.state == state)


def _sent_ids(s, authority, sent: bool):
    submitted = select(SummarySubmission.collection_id).where(SummarySubmission.authority_code == authority)
    return _ids(s, SummaryCollection, SummaryCollection.id.in_(submitted) if sent else
                SummaryCollection.id.not_in(submitted))


def _evaluation_ids(s, authority, state):
    return set(s.scalars(select(Evaluation.id).join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
                         .where(FirstBatchBase.authority_code == authority, Evaluation.state == state)))


# (list, filter arguments, the ids the filter keeps (computed here, not by the query modules))
FILTERED = [
    ("admin.calls", {"kind": "base"}, lambda s: _ids(s, Call, Call.kind == CallKind.BASE)),
    ("admin.calls", {"year": "2016"}, lambda s: _ids(s, Call, Call.year_from <= 2016, Call.year_to >= 2016)),
    ("admin.calls", {"kind": "enterprise", "year": "2015"},
     lambda s: _ids(s, Call, Call.kind == CallKind.ENTERPRISE, Call.year_from <= 2015)),
    ("admin.review_calls", {"kind": "base"}, lambda s: _ids(s, Call, Call.kind == CallKind.BASE)),
    ("admin.evaluation_rounds", {"year": "2015"}, lambda s: _ids(s, EvaluationRound, EvaluationRound.year == 2015)),
    ("admin.summaries", {"year": "2015"}, lambda s: _ids(s, SummaryCollection, SummaryCollection.year == 2015)),
    ("authority.summaries", {"sent": "yes"}, lambda s: _sent_ids(s, "320000", True)),
    ("authority.summaries", {"sent": "no"}, lambda s: _sent_ids(s, "320000", False)),
    ("applicant.home", {"state": "approved"}, lambda s: _own_app_ids(s, ApplicationState.APPROVED)),
    ("applicant.home", {"state": "rejected"}, lambda s: _own_app_ids(s, ApplicationState.REJECTED)),
    ("applicant.evaluations", {"state": "issued"},
     lambda s: _ids(s, Evaluation, Evaluation.base_id == _operator_base(s).id, Evaluation.state == "issued")),
    ("applicant.evaluations", {"state": "draft"},
     lambda s: _ids(s, Evaluation, Evaluation.base_id == _operator_base(s).id, Evaluation.state == "draft")),
    ("authority.evaluations", {"state": "issued"}, lambda s: _evaluation_ids(s, "330000", "issued")),
    ("authority.evaluations", {"state": "self_evaluated", "year": "2015"},
     lambda s: _evaluation_ids(s, "330000", "self_evaluated")),
    ("authority.results_index", {"kind": "base"},
     lambda s: _ids(s, Call, Call.kind == CallKind.BASE, Call.id.in_(select(CallAnnouncement.call_id)))),
    ("public.publicity_index", {"kind": "enterprise"},
     lambda s: _ids(s, Call, Call.kind == CallKind.ENTERPRISE, Call.id.in_(select(PublicityEntry.call_id)))),
]
BY_ENDPOINT = {c.endpoint: c for c in CASES}


@pytest.mark.parametrize("endpoint, args, kept", FILTERED,
                         ids=[f"{e}-{'-'.join(a.values())}" for e, a, _k in FILTERED])
def test_a_filter_keeps_the_rows_it_names_and_the_table_shows_as_many_as_the_count(demo_site, clients, endpoint, args,
                                                                                   kept):
    case = BY_ENDPOINT[endpoint]
    with demo_site.app_context():
        url = case.url(db.session)
        expected = kept(db.session)
        total = len(case.rows(db.session))
    html = _get(clients[case.account], url, **args)
    assert _count(html) == len(expected) == _shown_rows(html)
    assert "清除条件" in html  # the control offers to clear the filter
    plain = _get(clients[case.account], url)
    assert _count(plain) == total == _shown_rows(plain)


def test_the_filters_narrow_the_demo_lists_they_can(demo_site):
    """Some filter of each list keeps fewer rows than the whole list (where the demo has rows to tell apart), so the
    test above compares a narrowed count."""
    narrowing = {"admin.calls", "admin.review_calls", "authority.summaries", "applicant.home",
                 "applicant.evaluations", "authority.evaluations"}
    with demo_site.app_context():
        fewest = {}
        for endpoint, _args, kept in FILTERED:
            fewest[endpoint] = min(fewest.get(endpoint, 10**9), len(kept(db.session)))
        wide = {e: len(BY_ENDPOINT[e].rows(db.session)) for e in narrowing}
    assert {e for e in narrowing if fewest[e] < wide[e]} == narrowing


@pytest.mark.parametrize("endpoint", ["admin.calls", "admin.evaluation_rounds", "admin.summaries",
                                      "authority.summaries", "authority.evaluations", "public.publicity_index"])
def test_a_year_searched_finds_the_things_of_that_year(demo_site, clients, endpoint):
    case = BY_ENDPOINT[endpoint]
    with demo_site.app_context():
        url = case.url(db.session)
        total = len(case.rows(db.session))
    client = clients[case.account]
    assert _count(_get(client, url, q="2015")) == total  # every demo call, round and collection covers 2015
    assert _count(_get(client, url, q="1999")) == 0


@pytest.mark.parametrize("endpoint", [c.endpoint for c in CASES if c.endpoint in {
    "admin.calls", "admin.review_calls", "admin.evaluation_rounds", "admin.summaries", "authority.summaries",
    "applicant.home", "applicant.evaluations", "authority.evaluations", "authority.results_index",
    "public.publicity_index"}])
def test_a_huge_page_number_shows_the_last_page_of_a_new_list(demo_site, clients, endpoint):
    case = BY_ENDPOINT[endpoint]
    with demo_site.app_context():
        url = case.url(db.session)
    for page in ("99999999999999999999", "-1", "x"):
        html = _get(clients[case.account], url, page=page, sort="title", dir="desc")
        assert _count(html) == _shown_rows(html)


def test_an_applicant_finds_only_its_own_applications(demo_site, clients):
    client = clients["applicant02"]
    with demo_site.app_context():
        s = db.session
        mine = _own_applications(s)
        others = s.scalars(select(Application).where(
            Application.organisation_id != _user(s, "applicant02").organisation_id)).unique().all()
        other_calls = {a.call.code for a in others} - {texts[1] for _i, texts in mine}
        # An application number is searched as a number, but also as text in the call's title and code.
        other_ids = [str(a.id) for a in others if not _matches(mine, str(a.id))][:5]
    assert others and other_ids
    for q in other_ids + sorted(other_calls):
        html = _get(client, "/applicant/", q=q)
        assert _count(html) == 0 and _shown_rows(html) == 0, q
    for state in ApplicationState:  # a filter shows no one else's application either
        assert _count(_get(client, "/applicant/", state=state.value)) <= len(mine)


@pytest.mark.parametrize("account, url, own", [
    ("baseop01", "/applicant/evaluations",
     lambda s: FirstBatchBase.organisation_id == _user(s, "baseop01").organisation_id),
    ("authority-330000", "/authority/evaluations", lambda s: FirstBatchBase.authority_code == "330000"),
])
def test_a_search_finds_no_evaluation_of_another_base(demo_site, account, url, own):
    client = demo_site.test_client()
    login_demo(client, account)
    with demo_site.app_context():
        s = db.session
        foreign = s.scalars(select(FirstBatchBase).where(~own(s)).order_by(FirstBatchBase.code)).unique().all()
        codes = [b.code for b in foreign if s.scalar(select(Evaluation.id).where(Evaluation.base_id == b.id))]
    assert codes
    for code in codes[:5]:
        html = _get(client, url, q=code)
        assert _count(html) == 0 and _shown_rows(html) == 0, code
