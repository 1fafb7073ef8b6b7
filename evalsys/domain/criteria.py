"""Indicator systems: frozen dataclasses, loading from criteria/*.toml and validation."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from evalsys.domain.formula import Formula, FormulaError
from evalsys.resources import project_folder


def N_(message: str) -> str:
    """Marks a label for the translation catalogue; pages translate it when shown."""
    return message


FIELD_KINDS = ("integer", "decimal", "money", "ratio", "boolean", "date")
FIELD_SOURCES = ("form", "plan", "system")
SYSTEM_KINDS = ("base", "enterprise", "performance")
INDICATOR_TYPES = ("Q+", "Q-", "E", "gate")
# What each type means to a reader (pages, PDF, spreadsheets show these, not the codes).
INDICATOR_TYPE_LABELS = {"Q+": N_("定量（越高越好）"), "Q-": N_("定量（越低越好）"), "E": N_("定性（评议打分）"),
                         "gate": N_("门槛条件")}
SYSTEM_KIND_LABELS = {"base": N_("示范基地"), "enterprise": N_("示范企业"), "performance": N_("绩效评价")}
FIELD_KIND_LABELS = {"integer": N_("整数"), "decimal": N_("小数"), "money": N_("金额"), "ratio": N_("比例"),
                     "boolean": N_("是或否"), "date": N_("日期")}
FIELD_SOURCE_LABELS = {"form": N_("申报填写"), "plan": N_("创建方案目标"), "system": N_("系统生成")}
RULE_KINDS = ("cohort", "target")
GATE_OPS = (">=", ">", "<=", "<", "==", "!=")
GROUP_ROLES = ("decision", "process", "output", "outcome")
GROUP_ROLE_LABELS = {"decision": N_("决策"), "process": N_("过程"), "output": N_("产出"), "outcome": N_("效益")}
TOTAL_POINTS = 100.0
# Output + outcome of a performance system must weigh at least this much (财预〔2020〕10号).
PERFORMANCE_RESULT_MIN = 60.0


@dataclass(frozen=True)
class Field:
    """A figure the system reads; money is stored in fen and ratios in basis points (§7)."""

    id: str
    label: str
    kind: str
    unit: str
    min: float | None = None
    max: float | None = None
    source: str = "form"
    formula: Formula | None = None
    label_en: str = ""  # from the English titles file; display only

    @property
    def kind_label(self) -> str:
        """The kind in words (整数, 小数, 金额, 比例, 是或否, 日期)."""
        return FIELD_KIND_LABELS.get(self.kind, self.kind)

    @property
    def source_label(self) -> str:
        """Where the value comes from, in words (申报填写, 创建方案目标, 系统生成)."""
        return FIELD_SOURCE_LABELS.get(self.source, self.source)

    @property
    def derived(self) -> bool:
        """A derived field is computed from others and never asked on a form."""
        return self.formula is not None


@dataclass(frozen=True)
class Rule:
    """How a Q indicator turns its figure into points."""

    kind: str
    target: float | None = None
    target_field: str | None = None
    log: bool = False


@dataclass(frozen=True)
class Gate:
    """An eligibility condition: ``field op value``."""

    field: str
    op: str
    value: float | bool


@dataclass(frozen=True)
class Guidance:
    """What earns full, partial and low marks on an expert (E) indicator."""

    full: str
    partial: str
    low: str


@dataclass(frozen=True)
class Indicator:
    """One indicator; gates carry max 0 and weight 0."""

    id: str
    title: str
    group: str
    type: str
    max: float
    weight: float
    field: str | None = None
    rule: Rule | None = None
    gate: Gate | None = None
    guidance: Guidance | None = None
    title_en: str = ""  # from the English titles file; display only
    guidance_en: Guidance | None = None  # from the English titles file; display only

    @property
    def scored(self) -> bool:
        """True for indicators that give points (every type but gate)."""
        return self.type != "gate"

    @property
    def higher_is_better(self) -> bool:
        """Direction of a Q figure; E points are always higher-is-better."""
        return self.type != "Q-"

    @property
    def type_label(self) -> str:
        """The type in words: 定量（越高越好）, 定量（越低越好）, 定性（评议打分）, 门槛条件."""
        return INDICATOR_TYPE_LABELS[self.type]


@dataclass(frozen=True)
class Group:
    """A level-1 group of indicators with its points."""

    id: str
    title: str
    max: float
    role: str | None = None
    title_en: str = ""  # from the English titles file; display only

    @property
    def role_label(self) -> str:
        """The group's part of a performance evaluation in words (决策, 过程, 产出, 效益); "" without."""
        return GROUP_ROLE_LABELS.get(self.role or "", self.role or "")


@dataclass(frozen=True)
class Category:
    """An enterprise category with its optional weight overrides (indicator id -> weight)."""

    code: str
    label: str
    weights: tuple[tuple[str, float], ...] = ()
    label_en: str = ""  # from the English titles file; display only


@dataclass(frozen=True)
class CriteriaSystem:
    """A loaded, validated indicator system version."""

    id: str
    version: int
    kind: str
    title: str
    sha256: str
    path: str
    fields: tuple[Field, ...]
    groups: tuple[Group, ...]
    indicators: tuple[Indicator, ...]
    categories: tuple[Category, ...] = ()
    bonus_max: float = 0.0
    grades: tuple[tuple[str, str, float], ...] = ()  # (code, label, lower bound), best first
    title_en: str = ""  # from the English titles file; display only

    @property
    def kind_label(self) -> str:
        """The kind in words: 示范基地, 示范企业, 绩效评价."""
        return SYSTEM_KIND_LABELS.get(self.kind, self.kind)

    @property
    def scored_indicators(self) -> tuple[Indicator, ...]:
        """The indicators that give points, in file order (the column order of a matrix)."""
        return tuple(i for i in self.indicators if i.scored)

    @property
    def gates(self) -> tuple[Indicator, ...]:
        """The eligibility gates."""
        return tuple(i for i in self.indicators if not i.scored)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id (KeyError if none)."""
        return {i.id: i for i in self.indicators}[indicator_id]

    def field(self, field_id: str) -> Field:
        """The field with this id (KeyError if none)."""
        return {f.id: f for f in self.fields}[field_id]

    def category(self, code: str) -> Category:
        """The category with this code (KeyError if none)."""
        return {c.code: c for c in self.categories}[code]

    def default_weights(self, category: str | None = None) -> dict[str, float]:
        """Weight of every scored indicator: the default, or the category's override."""
        weights = {i.id: i.weight for i in self.scored_indicators}
        if category is not None:
            weights.update(dict(self.category(category).weights))
        return weights


class CriteriaError(ValueError):
    """A criteria file with problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Problem:
    """One validation problem: which file, which indicator (or part), why."""

    file: str
    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.reason}"


def default_criteria_dir() -> Path:
    """The criteria directory: $EVALSYS_CRITERIA_DIR, else the project's criteria/ (see evalsys.resources)."""
    env = os.environ.get("EVALSYS_CRITERIA_DIR")
    if env:
        return Path(env)
    return project_folder("criteria")


def load_system(path: str | os.PathLike[str]) -> CriteriaSystem:
    """Load and validate one criteria file; raise CriteriaError listing every problem."""
    from evalsys.domain.criteria_check import build_system

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CriteriaError([Problem(path.name, "file", f"cannot be read: {exc.strerror}")]) from exc
    system, problems = build_system(path.name, data)
    if problems or system is None:
        raise CriteriaError(problems)
    return with_english_titles(system, path.parent / ENGLISH_DIR / path.name)


# English titles (and the experts' scoring guidance) live beside the criteria files, in en/<same name>:
# the interface shows them in English mode. They are kept out of the criteria file itself because a
# system's identity is the hash of that file's bytes, stored with every ranking run; a translation must
# not make a stored run's system differ.
ENGLISH_DIR = "en"


def with_english_titles(system: CriteriaSystem, path: Path) -> CriteriaSystem:
    """The system with the English titles of its titles file (unchanged when there is none); raise
    CriteriaError when that file names an id the system does not have or holds something else than text."""
    from evalsys.domain.criteria_english import read_english_titles

    if not path.is_file():
        return system
    titles, problems = read_english_titles(system, path)
    if problems:
        raise CriteriaError(problems)
    return replace(
        system, title_en=titles.get("title", ""),
        fields=tuple(replace(f, label_en=titles["fields"].get(f.id, "")) for f in system.fields),
        groups=tuple(replace(g, title_en=titles["groups"].get(g.id, "")) for g in system.groups),
        indicators=tuple(replace(i, title_en=titles["indicators"].get(i.id, ""),
                                 guidance_en=titles["guidance"].get(i.id)) for i in system.indicators),
        categories=tuple(replace(c, label_en=titles["categories"].get(c.code, "")) for c in system.categories))


def check_directory(directory: str | os.PathLike[str] | None = None
                    ) -> tuple[list[CriteriaSystem], list[Problem]]:
    """Load every *.toml in the directory; return the good systems and all problems found."""
    directory = Path(directory) if directory is not None else default_criteria_dir()
    systems: list[CriteriaSystem] = []
    problems: list[Problem] = []
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        problems.append(Problem(str(directory), "directory", "holds no *.toml criteria file"))
    seen: dict[tuple[str, int], str] = {}
    for path in paths:
        try:
            system = load_system(path)
        except CriteriaError as exc:
            problems.extend(exc.problems)
            continue
        key = (system.id, system.version)
        if key in seen:
            problems.append(Problem(path.name, "system",
                                    f"{system.id} v{system.version} is also defined in {seen[key]}"))
            continue
        seen[key] = path.name
        systems.append(system)
    return systems, problems


def find_system(system_id: str, version: int,
                directory: str | os.PathLike[str] | None = None) -> CriteriaSystem:
    """Load the file holding this system version (named ``<id>.v<version>.toml``)."""
    directory = Path(directory) if directory is not None else default_criteria_dir()
    return load_system(directory / f"{system_id}.v{version}.toml")


def compute_derived(system: CriteriaSystem, values: Mapping[str, float | None]
                    ) -> dict[str, float | None]:
    """Fill the derived fields from the given figures (matrix units); None when undefined."""
    result: dict[str, float | None] = dict(values)
    pending = [f for f in system.fields if f.formula is not None]
    # Validation guarantees no cycles, so at most len(pending) passes settle everything.
    for _ in range(len(pending)):
        for fld in pending:
            assert fld.formula is not None
            if fld.id not in result and all(n in result for n in fld.formula.names):
                result[fld.id] = fld.formula.evaluate(result)
    return result


def hash_bytes(data: bytes) -> str:
    """SHA-256 hex digest: the content hash of a criteria or weights file."""
    return hashlib.sha256(data).hexdigest()


def is_positive_number(value: Any) -> bool:
    """True for a finite int/float > 0 (booleans are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and value > 0


def system_as_dict(system: CriteriaSystem) -> dict[str, Any]:
    """The JSON shape printed by ``criteria show --format json`` (a contract)."""
    def field_dict(f: Field) -> dict[str, Any]:
        return {"id": f.id, "label": f.label, "kind": f.kind, "unit": f.unit, "min": f.min,
                "max": f.max, "source": "derived" if f.derived else f.source,
                "formula": f.formula.source if f.formula else None}

    def indicator_dict(i: Indicator) -> dict[str, Any]:
        rule = None if i.rule is None else {"kind": i.rule.kind, "target": i.rule.target,
                                            "target_field": i.rule.target_field, "log": i.rule.log}
        gate = None if i.gate is None else {"field": i.gate.field, "op": i.gate.op,
                                            "value": i.gate.value}
        guidance = None if i.guidance is None else {"full": i.guidance.full,
                                                    "partial": i.guidance.partial,
                                                    "low": i.guidance.low}
        return {"id": i.id, "title": i.title, "group": i.group, "type": i.type, "max": i.max,
                "weight": i.weight, "field": i.field if i.type in ("Q+", "Q-", "gate") else None,
                "rule": rule, "gate": gate, "guidance": guidance}

    return {
        "id": system.id, "version": system.version, "sha256": system.sha256,
        "kind": system.kind, "title": system.title, "bonus_max": system.bonus_max,
        "groups": [{"id": g.id, "title": g.title, "max": g.max, "role": g.role}
                   for g in system.groups],
        "fields": [field_dict(f) for f in system.fields],
        "indicators": [indicator_dict(i) for i in system.indicators],
        "category_weights": {c.code: system.default_weights(c.code) for c in system.categories},
        "categories": [{"code": c.code, "label": c.label} for c in system.categories],
        "grades": [{"code": c, "label": lbl, "min": m} for c, lbl, m in system.grades],
    }


__all__ = ["Category", "CriteriaError", "CriteriaSystem", "Field", "FormulaError", "Gate", "Group",
           "Guidance", "Indicator", "Problem", "Rule", "check_directory", "compute_derived",
           "default_criteria_dir", "find_system", "hash_bytes", "load_system", "system_as_dict",
           "with_english_titles"]
