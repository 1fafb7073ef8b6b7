"""Builders for ranking tests and the review benchmark: a call scored in bulk (no UI, no workflow rows).

`build_scored_call` writes a call whose review window has closed, N applications with varied
figures, a reviewer pool, active assignments, submitted sheets and E scores (tenths), with Core
bulk inserts so 3,000 applications × 7 reviewers take seconds. Imports only evalsys.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy import func, insert, select

from evalsys.domain import uscc
from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import (Application, Assignment, Call, CallKind, Organisation, OrganisationState,
                            ReviewerProfile, ReviewerState, Score, ScoreSheet, SheetState)
from evalsys.models.types import utcnow
from evalsys.services.criteria import system as criteria_system

SYSTEMS = {"enterprise": ("enterprise-2015-2016", 1), "base": ("base-2015-b2", 1)}
AUTHORITIES = ("320000", "330000", "440000", "110000", "510000", "370000")


@dataclass
class ScoredCall:
    """What was built: the call id and code, application ids in submission order, reviewer ids."""

    call_id: int
    code: str
    app_ids: list[int]
    reviewer_ids: list[int]


def _next_id(model) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0)))) + 1


def _figures(system, rng: np.random.Generator) -> dict:
    """Storage-unit figures for every asked field, varied and consistent (shares ≤ 1, positive bases)."""
    out: dict = {}
    for f in system.fields:
        if f.source != "form" or f.derived:
            continue
        if f.kind == "money":
            out[f.id] = int(rng.integers(1_000_000, 2_000_000_000)) * 100
        elif f.kind == "integer":
            out[f.id] = int(rng.integers(1, 5_000))
        elif f.kind == "decimal":
            out[f.id] = f"{rng.integers(10_000, 90_000)}.5"
        elif f.kind == "ratio":
            out[f.id] = int(rng.integers(0, 10_000))
        elif f.kind == "date":
            out[f.id] = f"20{rng.integers(5, 12):02d}-0{rng.integers(1, 9)}-01"
        elif f.kind == "boolean":
            out[f.id] = f.id in ("dedicated_unit", "operator_clear")
    if "tenant_firms" in out and "ecommerce_firms" in out:
        out["ecommerce_firms"] = int(out["tenant_firms"] * rng.uniform(0.2, 0.9))
    if "occupied_area" in out and "floor_area" in out:
        out["occupied_area"] = f"{float(out['floor_area']) * rng.uniform(0.5, 1.0):.1f}"
    if "rd_spending" in out and "operating_revenue" in out:
        out["rd_spending"] = int(out["operating_revenue"] * rng.uniform(0.0, 0.1))
    return out


def build_scored_call(*, n_apps: int = 12, reviewers: int = 5, pool: int | None = None,
                      kind: str = "enterprise", categories: tuple[str, ...] | None = ("retail", "service"),
                      places: int | dict[str, int] = 3, seed: int = 0, review_closed: bool = True,
                      state: ApplicationState = ApplicationState.SCORED, code: str | None = None,
                      submit_sheets: bool = True) -> ScoredCall:
    """A call with ``n_apps`` applications each scored by ``reviewers`` of a pool of ``pool``.

    Reviewers have individual leniency (a bias the adjustment should remove). The caller commits.
    """
    rng = np.random.default_rng(seed)
    system = criteria_system(*SYSTEMS[kind])
    now = utcnow()
    cats = list(categories or []) if kind == "enterprise" else []
    n = _next_id(Call)
    if isinstance(places, dict):
        by_cat = places
    else:
        by_cat = {c: places for c in cats}
    call = Call(code=code or f"rank-{kind}-{n}", kind=CallKind(kind), title=f"排名测试批次{n}", year_from=2015,
                year_to=2016, opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=50),
                recommend_deadline=now - timedelta(days=40), review_starts_at=now - timedelta(days=30),
                review_ends_at=(now - timedelta(days=1)) if review_closed else (now + timedelta(days=5)),
                criteria_id=system.id, criteria_version=system.version, quota_per_authority=1000,
                places_total=None if cats else (places if isinstance(places, int) else 3),
                places_by_category=json.dumps(by_cat) if cats else None,
                reviewers_per_application=max(reviewers, 5), categories=json.dumps(cats),
                settings_locked_at=now - timedelta(days=30))
    db.session.add(call)
    db.session.flush()

    org0, app0 = _next_id(Organisation), _next_id(Application)
    orgs, apps = [], []
    for i in range(n_apps):
        auth = AUTHORITIES[i % len(AUTHORITIES)]
        orgs.append({"id": org0 + i, "uscc": uscc.make("91", auth[:2] + "0100", f"R{org0 + i:08d}"),
                     "name": f"排名测试企业{org0 + i}", "authority_code": auth, "state": OrganisationState.VERIFIED})
        apps.append({"id": app0 + i, "call_id": call.id, "organisation_id": org0 + i, "authority_code": auth,
                     "state": state, "category": cats[i % len(cats)] if cats else None,
                     "figures": json.dumps(_figures(system, rng), sort_keys=True),
                     "submitted_at": now - timedelta(days=55, minutes=n_apps - i), "contact_name": "张联系",
                     "recommend_order": 1})
    db.session.execute(insert(Organisation), orgs)
    db.session.execute(insert(Application), apps)

    pool = pool or max(reviewers + 2, 12)
    rev0 = _next_id(ReviewerProfile)
    db.session.execute(insert(ReviewerProfile), [
        {"id": rev0 + k, "name": f"评审专家{rev0 + k}", "home_authority_code": "620000",
         "state": ReviewerState.ACTIVE} for k in range(pool)])
    leniency = rng.normal(0.0, 0.08, size=pool)
    e_inds = [i for i in system.scored_indicators if i.type == "E"]
    asg0, sheet0 = _next_id(Assignment), _next_id(ScoreSheet)
    assignments, sheets, scores = [], [], []
    quality = rng.uniform(0.3, 0.95, size=n_apps)
    for i in range(n_apps):
        chosen = [(i * reviewers + k) % pool for k in range(reviewers)]
        for k in chosen:
            aid = asg0 + len(assignments)
            assignments.append({"id": aid, "call_id": call.id, "application_id": app0 + i,
                                "reviewer_id": rev0 + k, "source": "auto"})
            sheets.append({"id": sheet0 + len(sheets), "assignment_id": aid,
                           "state": SheetState.SUBMITTED if submit_sheets else SheetState.DRAFT,
                           "submitted_at": now - timedelta(days=2), "version_id": 1})
            for ind in e_inds:
                top = int(round(ind.max * 10))
                value = quality[i] + leniency[k] + rng.normal(0.0, 0.08)
                scores.append({"sheet_id": sheets[-1]["id"], "indicator_id": ind.id,
                               "tenths": int(np.clip(round(value * top), 0, top))})
    db.session.execute(insert(Assignment), assignments)
    db.session.execute(insert(ScoreSheet), sheets)
    for start in range(0, len(scores), 50_000):
        db.session.execute(insert(Score), scores[start:start + 50_000])
    db.session.flush()
    return ScoredCall(call_id=call.id, code=call.code, app_ids=[a["id"] for a in apps],
                      reviewer_ids=[rev0 + k for k in range(pool)])
