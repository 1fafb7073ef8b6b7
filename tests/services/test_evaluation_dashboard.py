"""The round dashboard's figures: grade distribution, scores by authority, execution rate against
score, rectification status — and its charts in the embedded CJK font, deterministic."""
from __future__ import annotations

import warnings
from decimal import Decimal

import pytest

from evalsys.domain.evaluation import RectificationState
from evalsys.extensions import db
from evalsys.models import Role
from evalsys.reporting.evaluation_charts import (execution_vs_score_png, grade_distribution_png,
                                                 scores_by_authority_png)
from evalsys.services import evaluation_query as q
from evalsys.services import rectifications as rect
from tests.evalutil import advance, make_perf_base, make_round, signing_config
from tests.factories import make_user


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    return app_config


def _round():
    js = [make_perf_base() for _ in range(3)]
    zj = [make_perf_base(authority_code="330000", region="330100") for _ in range(2)]
    round_ = make_round(js + zj, code="perf-d")
    admin = make_user(Role.ADMIN, commit=False)
    fractions = ["0.95", "0.85", "0.5", "0.7", None]  # the last stays a draft
    for base, ev, f in zip(js + zj, round_.evaluations, fractions):
        if f is None:
            continue
        operator = make_user(Role.APPLICANT, organisation=base.operator, commit=False)
        authority = make_user(Role.AUTHORITY, authority_code=base.authority_code, commit=False)
        advance(ev, fraction=f, to="accepted", operator=operator, authority=authority, admin=admin)
    poor = round_.evaluations[2]
    rect.require_rectification(poor, requirement="整改", actor=admin)
    db.session.flush()
    return round_


def test_figures_per_grade_authority_execution_and_rectification(app):
    with app.app_context():
        round_ = _round()
        rows = q.rows(round_)
        assert len(rows) == 5 and all(r.execution_bp == 9000 for r in rows)  # 9,000,000 of 10,000,000 received
        assert q.grade_distribution(rows) == [("优", 1), ("良", 1), ("中", 1), ("差", 1)]
        totals = [r.total for r in rows]
        assert totals[4] is None
        js_mean = float(((totals[0] + totals[1] + totals[2]) / 3).quantize(Decimal("0.01")))
        by_authority = {a: (m, n) for a, m, n in q.scores_by_authority(rows)}
        assert len(by_authority) == 2
        js_name = rows[0].ev.base.authority.name
        zj_name = rows[3].ev.base.authority.name
        assert by_authority[js_name] == (js_mean, 3) and by_authority[zj_name] == (float(totals[3]), 1)
        assert q.scores_by_authority(rows)[0][0] == max(by_authority, key=lambda a: by_authority[a][0])
        points = q.execution_vs_score(rows)
        assert sorted(points) == sorted((90.0, float(t), r.ev.grade_label) for r, t in zip(rows, totals) if t)
        status = q.rectification_status(rows)
        assert [(ev.id, label) for ev, label in status] == [(rows[2].ev.id, RectificationState.REQUIRED.label)]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph would warn
            charts = [grade_distribution_png(q.grade_distribution(rows)),
                      scores_by_authority_png(q.scores_by_authority(rows)),
                      execution_vs_score_png(points)]
        assert all(c.startswith(b"\x89PNG") for c in charts)
        assert grade_distribution_png(q.grade_distribution(rows)) == charts[0]  # same data, same bytes
        assert grade_distribution_png([("优", 2), ("良", 0), ("中", 0), ("差", 0)]) != charts[0]
