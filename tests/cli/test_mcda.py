"""The `mcda` and `criteria` commands: output contracts, the bad-input table, encodings."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalsys.cli.mcda import criteria_group, mcda_command
from evalsys.domain.criteria import load_system
from evalsys.domain.matrix import matrix_columns

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "criteria"
BASE = load_system(CRITERIA_DIR / "base-2015-b2.v1.toml")
INDICATORS, _ = matrix_columns(BASE)


def base_rows(n: int = 4) -> list[dict[str, str]]:
    """n valid candidates for the base system, candidate k better than k + 1 on everything."""
    rows = []
    for k in range(n):
        row = {"id": f"base-{k + 1}"}
        for iid in INDICATORS:
            ind = BASE.indicator(iid)
            if ind.type == "E":
                row[iid] = f"{ind.max * (n - k) / (n + 1):.1f}"
            elif ind.type == "Q-":
                row[iid] = str(k + 1)
            else:
                fld = BASE.field(ind.field)
                top = fld.max if fld.max is not None else 1000
                row[iid] = repr(top * (n - k) / n)
        rows.append(row)
    return rows


def to_csv(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    header = header or ["id", *INDICATORS]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue()


def invoke(command, args):
    return CliRunner().invoke(command, args)


def test_table_is_the_default(base_file, write):
    result = invoke(mcda_command, [base_file, write("m.csv", to_csv(base_rows()))])
    assert result.exit_code == 0, result.stderr
    assert "base-1" in result.stdout.splitlines()[2]


def test_json_output_shape(base_file, write):
    matrix = write("m.csv", to_csv(base_rows()))
    result = invoke(mcda_command, [base_file, matrix, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"method", "score_direction", "criteria", "weights_sha256", "results",
                         "sensitivity"}
    assert data["method"] == "weighted-total" and data["score_direction"] == "higher"
    assert data["criteria"] == {"id": BASE.id, "version": 1, "sha256": BASE.sha256}
    assert len(data["weights_sha256"]) == 64 and data["sensitivity"] is None
    assert [r["id"] for r in data["results"]] == ["base-1", "base-2", "base-3", "base-4"]
    assert [r["rank"] for r in data["results"]] == [1, 2, 3, 4]
    first = data["results"][0]
    assert set(first) == {"id", "rank", "score", "points"}
    assert list(first["points"]) == INDICATORS
    assert first["score"] == pytest.approx(sum(first["points"].values()), abs=0.01 * len(INDICATORS))


def test_csv_output_shape(base_file, write):
    matrix = write("m.csv", to_csv(base_rows()))
    result = invoke(mcda_command, [base_file, matrix, "--format", "csv", "--method", "topsis"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["rank", "id", "score", *INDICATORS]
    assert [r[1] for r in rows[1:]] == ["base-1", "base-2", "base-3", "base-4"]
    assert all(0 <= float(r[2]) <= 1 for r in rows[1:])


def test_vikor_says_lower_is_better(base_file, write):
    matrix = write("m.csv", to_csv(base_rows()))
    data = json.loads(invoke(mcda_command, [base_file, matrix, "--format", "json",
                                            "--method", "vikor"]).stdout)
    assert data["score_direction"] == "lower" and data["results"][0]["score"] == 0.0


def test_sensitivity_json(base_file, write):
    matrix = write("m.csv", to_csv(base_rows(6)))
    args = [base_file, matrix, "--format", "json", "--places", "2", "--sensitivity", "50",
            "--seed", "7"]
    result = invoke(mcda_command, args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    sens = data["sensitivity"]
    assert sens["n"] == 50 and sens["seed"] == 7 and sens["places"] == 2
    assert set(sens["kendall_tau"]) == {"topsis", "vikor", "wpm"}
    assert all(t is None or -1 <= t <= 1 for t in sens["kendall_tau"].values())
    for res in data["results"]:
        rob = res["robustness"]
        assert set(rob) == {"rank_p05", "rank_p95", "p_within_places"}
        assert 1 <= rob["rank_p05"] <= rob["rank_p95"] <= 6
        assert 0 <= rob["p_within_places"] <= 1
    assert data["results"][0]["robustness"]["p_within_places"] == 1.0   # dominates everyone
    assert invoke(mcda_command, args).stdout == result.stdout          # seeded: reproducible


def test_weights_file_changes_hash_and_scores(base_file, write):
    matrix = write("m.csv", to_csv(base_rows()))
    default = json.loads(invoke(mcda_command, [base_file, matrix, "--format", "json"]).stdout)
    same = write("w.csv", "id,weight\n" + "".join(
        f"{i.id},{i.weight:g}\n" for i in BASE.scored_indicators))
    explicit = json.loads(invoke(mcda_command, [base_file, matrix, "--format", "json",
                                                "--weights", same]).stdout)
    assert explicit["weights_sha256"] == default["weights_sha256"]
    other = write("w2.csv", "id,weight\n" + "".join(
        f"{i.id},{1 if i.type == 'E' else 0}\n" for i in BASE.scored_indicators))
    only_e = json.loads(invoke(mcda_command, [base_file, matrix, "--format", "json",
                                              "--weights", other]).stdout)
    assert only_e["weights_sha256"] != default["weights_sha256"]
    assert only_e["results"][0]["score"] != default["results"][0]["score"]


def test_bom_is_accepted(base_file, write):
    matrix = write("m.csv", ("\ufeff" + to_csv(base_rows())).encode("utf-8"))
    result = invoke(mcda_command, [base_file, matrix, "--format", "csv"])
    assert result.exit_code == 0, result.stderr


def test_gbk_is_refused(base_file, write):
    rows = base_rows()
    rows[0]["id"] = "杭州基地"
    matrix = write("m.csv", to_csv(rows).encode("gbk"))
    result = invoke(mcda_command, [base_file, matrix])
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr and "save it as UTF-8" in result.stderr
    assert result.stdout == ""


def _bad(kind: str) -> tuple[str, str]:
    """A matrix with one defect, and what the error line must say."""
    rows = base_rows()
    header = ["id", *INDICATORS]
    if kind == "unknown column":
        return to_csv(rows, header + ["surprise"]), "row 1, column 'surprise': unknown column"
    if kind == "missing column":
        return to_csv(rows, [h for h in header if h != "platform"]), \
            "row 1, column 'platform': missing column"
    if kind == "gate column":
        return to_csv(rows, header + ["gate_area"]), "row 1, column 'gate_area': is a gate"
    if kind == "text in a number":
        rows[1]["floor_area"] = "很大"
        return to_csv(rows), "row 3, column 'floor_area': '很大' is not a number"
    if kind == "nan":
        rows[0]["training"] = "nan"
        return to_csv(rows), "row 2, column 'training': 'nan' is not a number"
    if kind == "empty cell":
        rows[2]["employees"] = ""
        return to_csv(rows), "row 4, column 'employees': empty cell"
    if kind == "expert above max":
        rows[3]["platform"] = "6.1"
        return to_csv(rows), "row 5, column 'platform': expert points 6.1 outside 0..6"
    if kind == "expert negative":
        rows[0]["leadership"] = "-0.5"
        return to_csv(rows), "row 2, column 'leadership': expert points -0.5 outside 0..3"
    if kind == "below field minimum":
        rows[0]["transactions"] = "-1"
        return to_csv(rows), "row 2, column 'transactions': -1 is below the minimum 0"
    if kind == "duplicate id":
        rows[2]["id"] = rows[0]["id"]
        return to_csv(rows), "row 4, column 'id': duplicate id 'base-1' (first on row 2)"
    if kind == "empty file":
        return "", "matrix is empty"
    if kind == "header only":
        return to_csv([]), "no candidates"
    if kind == "short row":
        text = to_csv(rows).replace("\nbase-2,", "\nbase-2,1,", 1)   # one cell too many
        return text, "row 3: has 26 cells, the header has 25"
    if kind == "first column not id":
        return to_csv(rows).replace("id,", "name,", 1), "row 1, column 'name': the first column"
    if kind == "duplicate column":
        return to_csv(rows, header + ["platform"]), "row 1, column 'platform': duplicate column"
    raise AssertionError(kind)


BAD_MATRICES = ["unknown column", "missing column", "gate column", "text in a number", "nan",
                "empty cell", "expert above max", "expert negative", "below field minimum",
                "duplicate id", "empty file", "header only", "short row", "first column not id",
                "duplicate column"]


@pytest.mark.parametrize("kind", BAD_MATRICES)
def test_bad_matrix_exits_2_with_one_line(base_file, write, kind):
    content, expected = _bad(kind)
    matrix = write("m.csv", content)
    result = invoke(mcda_command, [base_file, matrix, "--format", "json"])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


BAD_WEIGHTS = {
    "wrong header": ("ind,w\nplatform,1\n", "header must be 'id,weight'"),
    "unknown indicator": (None, "unknown indicator 'nope'"),
    "missing indicator": (None, "no weight for"),
    "duplicate": (None, "appears twice"),
    "negative": (None, "column 'weight': weight of platform is negative"),
    "text": (None, "column 'weight': 'heavy' is not a number"),
    "all zero": (None, "all weights are zero"),
    "gate": (None, "is a gate"),
    "empty": ("", "weights file is empty"),
}


def _weights(kind: str) -> tuple[str, str]:
    text, expected = BAD_WEIGHTS[kind]
    if text is not None:
        return text, expected
    lines = {i.id: f"{i.id},{i.weight:g}" for i in BASE.scored_indicators}
    if kind == "unknown indicator":
        lines["nope"] = "nope,1"
    elif kind == "missing indicator":
        del lines["platform"]
    elif kind == "duplicate":
        lines["again"] = "platform,3"
    elif kind == "negative":
        lines["platform"] = "platform,-1"
    elif kind == "text":
        lines["platform"] = "platform,heavy"
    elif kind == "all zero":
        lines = {k: f"{k},0" for k in lines}
    elif kind == "gate":
        lines["gate_area"] = "gate_area,1"
    return "id,weight\n" + "\n".join(lines.values()) + "\n", expected


@pytest.mark.parametrize("kind", list(BAD_WEIGHTS))
def test_bad_weights_exit_2(base_file, write, kind):
    text, expected = _weights(kind)
    matrix = write("m.csv", to_csv(base_rows()))
    weights = write("w.csv", text)
    result = invoke(mcda_command, [base_file, matrix, "--weights", weights])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines


def test_missing_files_and_bad_options_exit_2(base_file, write, tmp_path):
    matrix = write("m.csv", to_csv(base_rows()))
    result = invoke(mcda_command, [base_file, str(tmp_path / "none.csv")])
    assert result.exit_code == 2 and "cannot be read" in result.stderr
    result = invoke(mcda_command, [base_file, matrix, "--seed", "3"])
    assert result.exit_code == 2 and "--seed needs --sensitivity" in result.stderr
    result = invoke(mcda_command, [base_file, matrix, "--method", "electre"])
    assert result.exit_code == 2
    result = invoke(mcda_command, [base_file, matrix, "--category", "retail"])
    assert result.exit_code == 2 and "unknown category" in result.stderr
    bad_criteria = write("x.v1.toml", "[system]\nid = 3\n")
    result = invoke(mcda_command, [bad_criteria, matrix])
    assert result.exit_code == 2 and "x.v1.toml" in result.stderr


def test_performance_target_columns(write):
    perf = load_system(CRITERIA_DIR / "perf-base-b1.v1.toml")
    indicators, targets = matrix_columns(perf)
    header = ["id", *indicators, *targets]
    row = {h: "0.8" for h in header}
    row.update({t: "1" for t in targets})
    for ind in perf.scored_indicators:
        if ind.type == "E":
            row[ind.id] = f"{ind.max:g}"
    row["id"] = "b1"
    zero = dict(row, id="b2", plan_tasks="0")
    path = str(CRITERIA_DIR / "perf-base-b1.v1.toml")
    good = invoke(mcda_command, [path, write("p.csv", to_csv([row], header)), "--format", "json"])
    assert good.exit_code == 0, good.stderr
    # Q+ at 80 % of target: 0.8 of each Q maximum; E at maximum; Q− (cost 0.8 ≤ budget 1): full.
    expected = sum(i.max * (0.8 if i.type == "Q+" else 1) for i in perf.scored_indicators)
    assert json.loads(good.stdout)["results"][0]["score"] == pytest.approx(expected)
    bad = invoke(mcda_command, [path, write("q.csv", to_csv([row, zero], header))])
    assert bad.exit_code == 2
    assert "row 3, column 'plan_tasks': target must be > 0" in bad.stderr


def test_criteria_show_json(base_file):
    result = invoke(criteria_group, ["show", base_file, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["id"], data["version"], data["sha256"]) == (BASE.id, 1, BASE.sha256)
    assert {"fields", "indicators", "category_weights"} <= set(data)
    keys = {"id", "title", "group", "type", "max", "weight", "field", "rule", "gate"}
    for ind in data["indicators"]:
        assert keys <= set(ind)
        assert ind["type"] in ("Q+", "Q-", "E", "gate")
        if ind["type"] in ("Q+", "Q-"):
            assert set(ind["rule"]) == {"kind", "target", "target_field", "log"}
    text = invoke(criteria_group, ["show", base_file])
    assert text.exit_code == 0 and "产业集聚" in text.stdout


def test_criteria_check(monkeypatch, tmp_path):
    monkeypatch.setenv("EVALSYS_CRITERIA_DIR", str(CRITERIA_DIR))
    result = invoke(criteria_group, ["check"])
    assert result.exit_code == 0, result.stderr
    assert len([ln for ln in result.stdout.splitlines() if ln.startswith("ok ")]) == 3
    (tmp_path / "broken.v1.toml").write_text("[system]\nid = \"broken\"\n", encoding="utf-8")
    monkeypatch.setenv("EVALSYS_CRITERIA_DIR", str(tmp_path))
    result = invoke(criteria_group, ["check"])
    assert result.exit_code == 2
    assert "broken.v1.toml: system: missing kind" in result.stderr
