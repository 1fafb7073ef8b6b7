"""Builders for the expert-review tests: a call in review, applications that passed the check, a pool."""
from __future__ import annotations

import itertools
from datetime import timedelta

from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import (Application, Call, CallKind, RankingRun, ReviewerProfile, ReviewerState, Role,
                            ScoreSheet)
from evalsys.models.types import utcnow
from tests.factories import make_org, make_user

_seq = itertools.count(1)
# Homes outside the applicants' default authorities (江苏, 浙江, 山东 …) unless a test says otherwise.
HOMES = ["110000", "120000", "440000", "510000", "610000", "420000", "430000", "350000", "500000", "530000"]


def make_call(*, k: int = 5, blind: bool = False, starts: timedelta = timedelta(days=-1),
              ends: timedelta = timedelta(days=1), criteria: str = "enterprise-2015-2016",
              kind: CallKind = CallKind.ENTERPRISE) -> Call:
    """A call whose review window runs from now+starts to now+ends."""
    now = utcnow()
    n = next(_seq)
    call = Call(code=f"rv-{n}", kind=kind, title=f"评审测试批次{n}", year_from=2015, year_to=2016,
                opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=40),
                recommend_deadline=now - timedelta(days=30), review_starts_at=now + starts,
                review_ends_at=now + ends, criteria_id=criteria, criteria_version=1, quota_per_authority=8,
                places_total=10, reviewers_per_application=k, blind=blind)
    db.session.add(call)
    db.session.flush()
    return call


def make_applications(call: Call, n: int, *, authorities=("320000", "330000", "370200", "660000"),
                      state: ApplicationState = ApplicationState.PASSED) -> list[Application]:
    """`n` applications of distinct organisations, cycling through the authorities."""
    apps = []
    for i in range(n):
        code = authorities[i % len(authorities)]
        org = make_org(authority_code=code)
        app = Application(call_id=call.id, organisation_id=org.id, authority_code=code, state=state,
                          contact_name="联系人", contact_phone="010-1", submitted_at=utcnow())
        db.session.add(app)
        apps.append(app)
    db.session.flush()
    return apps


def make_reviewer(home: str = "110000", *, uscc: str | None = None, username: str | None = None,
                  name: str | None = None) -> ReviewerProfile:
    """An active expert with a reviewer account."""
    n = next(_seq)
    user = make_user(Role.REVIEWER, username=username or f"rv{n}", authority_code=home, commit=False)
    profile = ReviewerProfile(name=name or f"专家{n}", home_authority_code=home, organisation_uscc=uscc,
                              state=ReviewerState.ACTIVE, user_id=user.id)
    db.session.add(profile)
    db.session.flush()
    return profile


def make_pool(n: int, homes=HOMES) -> list[ReviewerProfile]:
    """`n` active experts spread over `homes`."""
    return [make_reviewer(homes[i % len(homes)]) for i in range(n)]


def make_run(call: Call) -> RankingRun:
    """A stored run row (content irrelevant here) to watch the stale flag."""
    run = RankingRun(call_id=call.id, method="weighted-total", weights_json="{}", weights_sha256="0" * 64,
                     criteria_id=call.criteria_id, criteria_version=1, criteria_sha256="0" * 64, matrix_csv="",
                     matrix_sha256="0" * 64, results_json="{}")
    db.session.add(run)
    db.session.flush()
    return run


def sheet_values(system, points: float | dict[str, float]) -> dict[str, str]:
    """Typed scores for every E indicator: one value (clamped to each maximum) or a dict."""
    from evalsys.services.review_sheets import expert_indicators

    out = {}
    for ind in expert_indicators(system):
        value = points[ind.id] if isinstance(points, dict) else min(points, ind.max)
        out[ind.id] = f"{value:.1f}"
    return out


def sheet_version(sheet: ScoreSheet | None) -> int:
    return sheet.version_id if sheet is not None else 0
