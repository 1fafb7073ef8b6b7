"""The `rank` command: the mcda JSON per category, exports that `mcda` ranks identically, refusals."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from evalsys.cli.mcda import mcda_command
from evalsys.extensions import db
from evalsys.models import Call, WeightVersion
from evalsys.models.types import utcnow
from evalsys.services.criteria import criteria_dir, system as criteria_system
from tests.rankutil import build_scored_call


def _build(app, **kw) -> tuple[str, str]:
    with app.app_context():
        built = build_scored_call(**kw)
        call = db.session.scalar(select(Call).where(Call.code == built.code))
        path = str(criteria_dir() / criteria_system(call.criteria_id, call.criteria_version).path)
        db.session.commit()
        return built.code, path


def _mcda(*args: str) -> dict:
    result = CliRunner().invoke(mcda_command, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_call_with_categories_prints_one_document_per_category(app, runner):
    code, _ = _build(app, n_apps=8)
    result = runner.invoke(args=["rank", code, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["call"] == code and [c["category"] for c in doc["categories"]] == ["retail", "service"]
    for part in doc["categories"]:
        assert part["method"] == "weighted-total" and part["sensitivity"] is None
        assert len(part["results"]) == 4 and {r["rank"] for r in part["results"]} <= {1, 2, 3, 4}
    single = json.loads(runner.invoke(args=["rank", code, "--category", "service", "--format", "json"]).stdout)
    assert single == {k: v for k, v in doc["categories"][1].items() if k != "category"}


@pytest.mark.parametrize("extra", [[], ["--adjusted"], ["--method", "topsis"], ["--method", "vikor", "--adjusted"]])
def test_exported_matrix_and_weights_rank_the_same_through_mcda(app, runner, tmp_path, extra):
    code, criteria_file = _build(app, n_apps=14, seed=5)
    matrix, weights = tmp_path / "m.csv", tmp_path / "w.csv"
    result = runner.invoke(args=["rank", code, "--category", "retail", "--format", "json", *extra,
                                 "--export-matrix", str(matrix), "--export-weights", str(weights)])
    assert result.exit_code == 0, result.output
    ranked = json.loads(result.stdout)
    method = extra[extra.index("--method") + 1] if "--method" in extra else "weighted-total"
    again = _mcda(criteria_file, str(matrix), "--weights", str(weights), "--method", method)
    assert [(r["id"], r["rank"], r["score"]) for r in again["results"]] == \
        [(r["id"], r["rank"], r["score"]) for r in ranked["results"]]
    assert again == ranked
    # The rows are the retail applications in submission order; E columns raw unless --adjusted.
    lines = matrix.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,ecommerce_revenue,") and len(lines) == 8
    assert weights.read_text(encoding="utf-8").splitlines()[0] == "id,weight"


def test_raw_and_adjusted_matrices_differ_only_in_expert_columns(app, runner, tmp_path):
    code, _ = _build(app, n_apps=10, seed=2)
    raw, adj = tmp_path / "raw.csv", tmp_path / "adj.csv"
    assert runner.invoke(args=["rank", code, "--category", "retail", "--export-matrix", str(raw)]).exit_code == 0
    assert runner.invoke(args=["rank", code, "--category", "retail", "--adjusted",
                               "--export-matrix", str(adj)]).exit_code == 0
    with app.app_context():
        system = criteria_system("enterprise-2015-2016", 1)
    e_cols = {i.id for i in system.scored_indicators if i.type == "E"}
    header = raw.read_text().splitlines()[0].split(",")
    changed = set()
    for a, b in zip(raw.read_text().splitlines()[1:], adj.read_text().splitlines()[1:]):
        changed |= {h for h, x, y in zip(header, a.split(","), b.split(",")) if x != y}
    assert changed and changed <= e_cols


def test_entropy_weights_export_and_agree(app, runner, tmp_path):
    code, criteria_file = _build(app, n_apps=9, categories=None, places=3, seed=8)
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.code == code))
        version = WeightVersion(criteria_id=call.criteria_id, criteria_version=call.criteria_version, number=1,
                                rule="critic", reason="CRITIC", created_at=utcnow())
        db.session.add(version)
        db.session.flush()
        call.weight_version_id = version.id
        db.session.commit()
    matrix, weights = tmp_path / "m.csv", tmp_path / "w.csv"
    result = runner.invoke(args=["rank", code, "--format", "json", "--export-matrix", str(matrix),
                                 "--export-weights", str(weights)])
    assert result.exit_code == 0, result.output
    assert _mcda(criteria_file, str(matrix), "--weights", str(weights)) == json.loads(result.stdout)
    default = _mcda(criteria_file, str(matrix))
    assert default["weights_sha256"] != json.loads(result.stdout)["weights_sha256"]


def test_another_method_is_announced_as_a_comparison(app, runner):
    code, _ = _build(app, n_apps=6)
    official = runner.invoke(args=["rank", code, "--category", "retail"])
    other = runner.invoke(args=["rank", code, "--category", "retail", "--method", "wpm"])
    assert official.exit_code == other.exit_code == 0
    assert "comparison" not in official.stderr and "comparison only" in other.stderr


@pytest.mark.parametrize("args, message", [
    (["rank", "no-such-call"], "no call"),
    (["rank", "{code}", "--export-matrix", "x.csv"], "need --category"),
    (["rank", "{code}", "--category", "nope"], "没有类别"),
])
def test_bad_input_exits_2(app, runner, args, message):
    code, _ = _build(app, n_apps=4)
    result = runner.invoke(args=[a.format(code=code) for a in args])
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_refused_before_the_window_closes(app, runner):
    code, _ = _build(app, n_apps=4, review_closed=False)
    result = runner.invoke(args=["rank", code])
    assert result.exit_code == 2 and "评审尚未结束" in result.stderr
