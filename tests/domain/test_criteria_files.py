"""Criteria files: every shipped system loads; validation reports each reason, all at once."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from evalsys.domain.criteria import (
    CriteriaError, check_directory, compute_derived, default_criteria_dir, find_system, load_system,
    system_as_dict)
from evalsys.domain.formula import FormulaError, parse_formula

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "criteria"

SHIPPED = sorted(CRITERIA_DIR.glob("*.toml"))
SEVEN = {"网络零售类", "网络批发类", "电商服务类", "生活服务类", "跨境电商类", "综合类", "创新类"}


def test_three_systems_are_shipped():
    assert {p.name for p in SHIPPED} == {"base-2015-b2.v1.toml", "enterprise-2015-2016.v1.toml",
                                         "perf-base-b1.v1.toml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_loads(path):
    system = load_system(path)
    assert system.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.name == f"{system.id}.v{system.version}.toml"
    assert sum(i.max for i in system.scored_indicators) == pytest.approx(100)
    assert all(g.max == 0 and g.weight == 0 for g in system.gates)
    if system.kind != "performance":
        assert system.gates  # §6 (a) and (b) both list eligibility gates
    for ind in system.scored_indicators:
        assert ind.weight == ind.max  # default weight = max points
        if ind.type == "E":
            assert ind.guidance and ind.guidance.full and ind.guidance.partial and ind.guidance.low
            assert ind.field is None and ind.rule is None


def test_check_directory_passes_on_shipped_files():
    systems, problems = check_directory(CRITERIA_DIR)
    assert problems == []
    assert len(systems) == 3


def test_enterprise_has_the_seven_categories_and_overrides():
    system = find_system("enterprise-2015-2016", 1, CRITERIA_DIR)
    assert {c.label for c in system.categories} == SEVEN
    assert len({c.code for c in system.categories}) == 7
    innovation = system.default_weights("innovation")
    assert innovation["innovation"] == 12 and innovation["orders"] == 5
    assert system.default_weights("retail") == system.default_weights()


def test_performance_system_targets_are_plan_fields_and_grades():
    system = find_system("perf-base-b1", 1, CRITERIA_DIR)
    assert system.bonus_max == 10
    for ind in system.scored_indicators:
        if ind.type != "E":
            assert ind.rule.kind == "target" and ind.rule.target is None
            assert system.field(ind.rule.target_field).source == "plan"
    results = sum(g.max for g in system.groups if g.role in ("output", "outcome"))
    assert results >= 60
    assert [g[1] for g in system.grades] == ["优", "良", "中", "差"]


def test_show_dict_shape():
    data = system_as_dict(find_system("base-2015-b2", 1, CRITERIA_DIR))
    assert {"id", "version", "sha256", "fields", "indicators", "category_weights"} <= data.keys()
    types = {i["type"] for i in data["indicators"]}
    assert types == {"Q+", "Q-", "E", "gate"}
    for ind in data["indicators"]:
        if ind["type"] == "E":
            assert ind["field"] is None and ind["rule"] is None
        if ind["type"] == "gate":
            assert ind["max"] == 0 and ind["weight"] == 0 and ind["gate"]["op"]


def test_default_criteria_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("EVALSYS_CRITERIA_DIR", raising=False)
    assert default_criteria_dir() == CRITERIA_DIR
    monkeypatch.setenv("EVALSYS_CRITERIA_DIR", str(tmp_path))
    assert default_criteria_dir() == tmp_path


def test_derived_fields_are_computed_not_typed():
    system = find_system("base-2015-b2", 1, CRITERIA_DIR)
    values = compute_derived(system, {"ecommerce_firms": 30, "tenant_firms": 120,
                                      "transactions_last_year": 150.0,
                                      "transactions_prev_year": 100.0,
                                      "complaints": 3, "occupied_area": 0, "floor_area": 0})
    assert values["ecommerce_firm_share"] == 0.25
    assert values["transaction_growth"] == pytest.approx(0.5)
    assert values["complaints_per_100_firms"] == pytest.approx(2.5)
    assert values["occupancy_rate"] is None  # zero floor area: undefined, not infinite


@pytest.mark.parametrize("source", ["__import__('os').system('x')", "a.b", "a ** 2", "max(a, b)",
                                    "ratio(a)", "a if b else c", "'text'", "lambda: 1", "a[0]"])
def test_formula_language_refuses(source):
    with pytest.raises(FormulaError):
        parse_formula(source)


def test_formula_language_accepts_the_tiny_language():
    f = parse_formula("ratio(a, b) * 100 - growth(c, d) + -e / 2")
    assert f.names == {"a", "b", "c", "d", "e"}
    assert f.evaluate({"a": 1, "b": 4, "c": 3, "d": 2, "e": 1}) == pytest.approx(25 - 0.5 - 0.5)


def test_tiny_system_is_valid(write_system, tiny_text):
    assert load_system(write_system(tiny_text)).id == "tiny"


def _problems(write_system, text, name="tiny.v1.toml"):
    with pytest.raises(CriteriaError) as info:
        load_system(write_system(text, name))
    return [str(p) for p in info.value.problems]


def _swap(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


QUALITY = 'id = "quality"\ntitle = "质量"\ngroup = "g2"\ntype = "E"\nmax = 40'


@pytest.mark.parametrize("old,new,item,reason", [
    ('id = "years"\ntitle', 'id = "revenue"\ntitle', "indicator revenue", "duplicate indicator id"),
    ('max = 10\nfield = "complaints"', 'max = 0\nfield = "complaints"', "indicator complaints",
     "maximum points must be positive"),
    ('max = 40\nguidance', 'max = 40\nweight = -1\nguidance', "indicator quality",
     "weight must not be negative"),
    ('type = "Q-"', 'type = "Q*"', "indicator complaints", "unknown type"),
    ('rule = { kind = "target", target = 5 }', 'rule = { kind = "band", target = 5 }',
     "indicator years", "unknown rule"),
    ('field = "complaints"\nrule', 'field = "nope"\nrule', "indicator complaints", "unknown field"),
    ('target = 5', 'target = 0', "indicator years", "target must be > 0"),
    ('target = 5', 'target = -2', "indicator years", "target must be > 0"),
    ('rule = { kind = "target", target = 5 }', 'rule = { kind = "target", target = 5, log = true }',
     "indicator years", "log is allowed only with the cohort rule"),
    ('rule = { kind = "cohort" }', 'rule = { kind = "cohort", log = true }',
     "indicator complaints", "log is allowed only for money fields"),
    (QUALITY, QUALITY.replace("max = 40", "max = 39"), "system", "points total 99, not 100"),
    ('kind = "decimal"\nunit = "年"', 'kind = "float"\nunit = "年"', "field years",
     "unknown field kind"),
    ('label = "年限"', 'label = "年限"\nformula = "years + 1"', "field years",
     "formula depends on itself"),
    ('label = "年限"', 'label = "年限"\nformula = "open(revenue)"', "field years", "not allowed"),
    ('label = "年限"', 'label = "年限"\nformula = "ratio(revenue, staff)"', "field years",
     "formula reads unknown field 'staff'"),
    ('op = "=="', 'op = "~="', "indicator gate_ok", "unknown gate operator"),
    ('max = 60', 'max = 50', "group g1", "indicators total 60, group says 50"),
    ('guidance = { full = "好", partial = "中", low = "差" }', '', "indicator quality",
     "needs guidance"),
])
def test_each_validation_reason(write_system, tiny_text, old, new, item, reason):
    problems = _problems(write_system, _swap(tiny_text, old, new))
    assert any(p.startswith(f"tiny.v1.toml: {item}:") and reason in p for p in problems), problems


def test_every_problem_is_reported_at_once(write_system, tiny_text):
    text = _swap(tiny_text, 'target = 5', 'target = 0')
    text = _swap(text, 'type = "Q-"', 'type = "Q?"')
    text = _swap(text, 'max = 40\nguidance', 'max = 40\nweight = -3\nguidance')
    problems = _problems(write_system, text)
    joined = "\n".join(problems)
    assert "indicator years: target must be > 0" in joined
    assert "indicator complaints: unknown type" in joined
    assert "indicator quality: weight must not be negative" in joined
    assert all(p.startswith("tiny.v1.toml: ") for p in problems)


def test_file_name_must_carry_the_version(write_system, tiny_text):
    problems = _problems(write_system, tiny_text, name="tiny.toml")
    assert any("must be named tiny.v1.toml" in p for p in problems)


def test_syntax_error_is_one_problem(write_system):
    problems = _problems(write_system, "[system\nid=")
    assert len(problems) == 1 and "not valid TOML" in problems[0]


PERF = """\
schema = 1
[system]
id = "perf"
version = 1
kind = "performance"
title = "绩效"

[[fields]]
id = "done"
label = "完成"
kind = "integer"
unit = "项"
min = 0

[[fields]]
id = "plan_done"
label = "目标"
kind = "integer"
unit = "项"
min = 0
source = "plan"

[[groups]]
id = "d"
title = "决策"
max = 45
role = "decision"

[[groups]]
id = "o"
title = "产出"
max = 55
role = "output"

[[indicators]]
id = "basis"
title = "依据"
group = "d"
type = "E"
max = 45
guidance = { full = "a", partial = "b", low = "c" }

[[indicators]]
id = "done"
title = "完成"
group = "o"
type = "Q+"
max = 55
field = "done"
rule = { kind = "cohort" }
"""


def test_performance_rules(write_system):
    problems = "\n".join(_problems(write_system, PERF, "perf.v1.toml"))
    assert "perf.v1.toml: indicator done: every Q indicator of a performance system uses the " \
           "target rule" in problems
    assert "perf.v1.toml: system: output + outcome total 55, below 60" in problems


def test_performance_target_must_be_a_plan_field(write_system):
    text = PERF.replace('max = 45', 'max = 40').replace('max = 55', 'max = 60')
    number = text.replace('rule = { kind = "cohort" }', 'rule = { kind = "target", target = 3 }')
    problems = "\n".join(_problems(write_system, number, "perf.v1.toml"))
    assert "indicator done: a performance indicator's target names a creation-plan field" in problems
    not_plan = text.replace('rule = { kind = "cohort" }',
                            'rule = { kind = "target", target_field = "done" }')
    problems = "\n".join(_problems(write_system, not_plan, "perf.v1.toml"))
    assert "target field done must be a creation-plan field" in problems
    good = text.replace('rule = { kind = "cohort" }',
                        'rule = { kind = "target", target_field = "plan_done" }')
    assert load_system(write_system(good, "perf.v1.toml")).kind == "performance"


def test_category_overrides_are_checked(write_system, tiny_text):
    text = tiny_text + ('\n[[categories]]\ncode = "x"\nlabel = "类"\n'
                        '[categories.weights]\nnope = 3\nquality = -1\n')
    problems = "\n".join(_problems(write_system, text))
    assert "category x: weight for unknown indicator 'nope'" in problems
    assert "category x: weight of quality must be a number >= 0" in problems


def test_check_directory_reports_duplicates_and_bad_files(tmp_path, tiny_text):
    (tmp_path / "tiny.v1.toml").write_text(tiny_text, encoding="utf-8")
    (tmp_path / "other.v1.toml").write_text(tiny_text, encoding="utf-8")
    systems, problems = check_directory(tmp_path)
    assert [s.id for s in systems] == ["tiny"]
    assert any("other.v1.toml" in str(p) and "must be named tiny.v1.toml" in str(p)
               for p in problems)


def test_plan_fields_are_entered_numbers(write_system):
    """A plan target is typed and kept in a unit scale (domain/units.py): no yes/no, dates or formulas."""
    text = PERF.replace('max = 45', 'max = 40').replace('max = 55', 'max = 60').replace(
        'rule = { kind = "cohort" }', 'rule = { kind = "target", target_field = "plan_done" }')
    boolean = text + '\n[[fields]]\nid = "plan_flag"\nlabel = "是否"\nkind = "boolean"\nunit = ""\nsource = "plan"\n'
    assert "field plan_flag: a plan field must be money, ratio, integer or decimal" in \
        "\n".join(_problems(write_system, boolean, "perf.v1.toml"))
    derived = text.replace('source = "plan"', 'source = "plan"\nformula = "ratio(done, done)"')
    assert "field plan_done: a plan field is entered, never derived" in \
        "\n".join(_problems(write_system, derived, "perf.v1.toml"))
