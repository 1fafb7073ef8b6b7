"""Validation of a criteria file's content: every problem collected, none raised early."""

from __future__ import annotations

import math
import re
import tomllib
from typing import Any

from evalsys.domain.criteria import (
    FIELD_KINDS, FIELD_SOURCES, GATE_OPS, GROUP_ROLES, INDICATOR_TYPES, PERFORMANCE_RESULT_MIN,
    RULE_KINDS, SYSTEM_KINDS, TOTAL_POINTS, Category, CriteriaSystem, Field, Gate, Group, Guidance, Indicator,
    Problem, Rule, hash_bytes, is_positive_number)
from evalsys.domain.formula import FormulaError, parse_formula

ID_RE = re.compile(r"^[a-z][a-z0-9_.-]*$")
# Points are compared with a tolerance because decimal maxima (e.g. 2.5) add up in binary.
POINTS_TOL = 1e-9


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _Checker:
    """Collects problems for one file while building its dataclasses."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def add(self, item: str, reason: str) -> None:
        self.problems.append(Problem(self.name, item, reason))

    def text(self, table: dict[str, Any], key: str, item: str, required: bool = True) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.add(item, f"missing {key}")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(item, f"{key} must be a non-empty string")
            return ""
        return value

    def number(self, table: dict[str, Any], key: str, item: str) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if not _is_number(value):
            self.add(item, f"{key} must be a number, not {value!r}")
            return None
        return float(value)


def build_system(name: str, data: bytes) -> tuple[CriteriaSystem | None, list[Problem]]:
    """Parse and validate the bytes of a criteria file named ``name``."""
    chk = _Checker(name)
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        chk.add("file", "is not UTF-8")
        return None, chk.problems
    except tomllib.TOMLDecodeError as exc:
        chk.add("file", f"is not valid TOML: {exc}")
        return None, chk.problems

    head = doc.get("system")
    if not isinstance(head, dict):
        chk.add("system", "missing [system] table")
        return None, chk.problems
    system_id = chk.text(head, "id", "system")
    if system_id and not ID_RE.match(system_id):
        chk.add("system", f"id {system_id!r} must be lower-case letters, digits, . _ -")
    version = head.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        chk.add("system", f"version must be a positive integer, not {version!r}")
        version = 0
    kind = chk.text(head, "kind", "system")
    if kind and kind not in SYSTEM_KINDS:
        chk.add("system", f"unknown kind {kind!r} (expected one of {', '.join(SYSTEM_KINDS)})")
    title = chk.text(head, "title", "system")
    if system_id and version and name != f"{system_id}.v{version}.toml":
        # A published version is never edited, so the file name must say which version it is.
        chk.add("system", f"file must be named {system_id}.v{version}.toml")
    bonus_max = chk.number(head, "bonus_max", "system") or 0.0
    if bonus_max < 0:
        chk.add("system", "bonus_max must not be negative")

    fields = _fields(chk, doc.get("fields", []))
    groups = _groups(chk, doc.get("groups", []), kind)
    indicators = _indicators(chk, doc.get("indicators", []), fields, groups, kind)
    categories = _categories(chk, doc.get("categories", []), indicators)
    grades = _grades(chk, doc.get("grades", []))
    _totals(chk, indicators, groups, kind)

    if chk.problems:
        return None, chk.problems
    system = CriteriaSystem(
        id=system_id, version=version, kind=kind, title=title, sha256=hash_bytes(data), path=name,
        fields=tuple(fields.values()), groups=tuple(groups.values()), indicators=tuple(indicators),
        categories=tuple(categories), bonus_max=bonus_max, grades=tuple(grades))
    return system, []


def _table_list(chk: _Checker, raw: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        chk.add(what, f"must be an array of tables ([[{what}]])")
        return []
    return raw


def _fields(chk: _Checker, raw: Any) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    formulas: dict[str, Any] = {}
    for table in _table_list(chk, raw, "fields"):
        fid = chk.text(table, "id", "field ?")
        item = f"field {fid or '?'}"
        if fid in fields:
            chk.add(item, "duplicate field id")
            continue
        if fid and not ID_RE.match(fid):
            chk.add(item, "id must be lower-case letters, digits, . _ -")
        kind = chk.text(table, "kind", item)
        if kind and kind not in FIELD_KINDS:
            chk.add(item, f"unknown field kind {kind!r} (expected one of {', '.join(FIELD_KINDS)})")
        source = table.get("source", "form")
        if source not in FIELD_SOURCES:
            chk.add(item, f"unknown source {source!r} (expected one of {', '.join(FIELD_SOURCES)})")
        if source == "plan" and kind in FIELD_KINDS and kind not in ("money", "ratio", "integer", "decimal"):
            # Plan targets are numbers kept as integers in a unit scale (domain/units.py).
            chk.add(item, "a plan field must be money, ratio, integer or decimal")
        if source == "plan" and "formula" in table:
            chk.add(item, "a plan field is entered, never derived")
        lo, hi = chk.number(table, "min", item), chk.number(table, "max", item)
        if lo is not None and hi is not None and lo > hi:
            chk.add(item, f"min {lo} is above max {hi}")
        formula = None
        if "formula" in table:
            try:
                formula = parse_formula(str(table["formula"]))
            except FormulaError as exc:
                chk.add(item, str(exc))
            formulas[fid] = formula
        fields[fid] = Field(id=fid, label=chk.text(table, "label", item), kind=kind,
                            unit=chk.text(table, "unit", item, required=False),
                            min=lo, max=hi, source=source, formula=formula)
    for fid, formula in formulas.items():
        if formula is None:
            continue
        for name in sorted(formula.names - fields.keys()):
            chk.add(f"field {fid}", f"formula reads unknown field {name!r}")
    _check_cycles(chk, formulas)
    return fields


def _check_cycles(chk: _Checker, formulas: dict[str, Any]) -> None:
    graph = {fid: (f.names if f is not None else frozenset()) for fid, f in formulas.items()}
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        if state.get(node) == 1:
            return True
        if state.get(node) == 2 or node not in graph:
            return False
        state[node] = 1
        cyclic = any(visit(n) for n in graph[node])
        state[node] = 2
        return cyclic

    for fid in graph:
        state.clear()
        if visit(fid):
            chk.add(f"field {fid}", "formula depends on itself")


def _groups(chk: _Checker, raw: Any, kind: str) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for table in _table_list(chk, raw, "groups"):
        gid = chk.text(table, "id", "group ?")
        item = f"group {gid or '?'}"
        if gid in groups:
            chk.add(item, "duplicate group id")
            continue
        points = chk.number(table, "max", item)
        # A group of gates only (申报条件) gives no points, so 0 is allowed here.
        if points is None or points < 0:
            chk.add(item, "max must be a number >= 0")
        role = table.get("role")
        if role is not None and role not in GROUP_ROLES:
            chk.add(item, f"unknown role {role!r} (expected one of {', '.join(GROUP_ROLES)})")
        if kind == "performance" and role is None:
            chk.add(item, "a performance system names each group's role")
        groups[gid] = Group(id=gid, title=chk.text(table, "title", item), max=points or 0.0,
                            role=role)
    return groups


def _indicators(chk: _Checker, raw: Any, fields: dict[str, Field], groups: dict[str, Group],
                kind: str) -> list[Indicator]:
    result: list[Indicator] = []
    seen: set[str] = set()
    for table in _table_list(chk, raw, "indicators"):
        iid = chk.text(table, "id", "indicator ?")
        item = f"indicator {iid or '?'}"
        if iid in seen:
            chk.add(item, "duplicate indicator id")
        seen.add(iid)
        if iid and not ID_RE.match(iid):
            chk.add(item, "id must be lower-case letters, digits, . _ -")
        group = chk.text(table, "group", item)
        if group and group not in groups:
            chk.add(item, f"unknown group {group!r}")
        itype = table.get("type")
        if itype not in INDICATOR_TYPES:
            chk.add(item, f"unknown type {itype!r} (expected one of {', '.join(INDICATOR_TYPES)})")
            continue
        title = chk.text(table, "title", item)
        if itype == "gate":
            result.append(_gate(chk, table, item, iid, title, group, fields))
            continue
        points = chk.number(table, "max", item)
        if points is None or points <= 0:
            chk.add(item, f"maximum points must be positive, not {table.get('max')!r}")
            points = 0.0
        weight = chk.number(table, "weight", item)
        weight = points if weight is None else weight
        if weight < 0:
            chk.add(item, f"weight must not be negative ({weight})")
        if itype == "E":
            result.append(_expert(chk, table, item, iid, title, group, points, weight))
        else:
            result.append(_quantity(chk, table, item, iid, title, group, itype, points, weight,
                                    fields, kind))
    return result


def _gate(chk: _Checker, table: dict[str, Any], item: str, iid: str, title: str, group: str,
          fields: dict[str, Field]) -> Indicator:
    spec = table.get("gate")
    gate = None
    if not isinstance(spec, dict):
        chk.add(item, "a gate needs gate = { field, op, value }")
    else:
        fid, op, value = spec.get("field"), spec.get("op"), spec.get("value")
        if fid not in fields:
            chk.add(item, f"unknown field {fid!r}")
        if op not in GATE_OPS:
            chk.add(item, f"unknown gate operator {op!r} (expected one of {' '.join(GATE_OPS)})")
        if not (_is_number(value) or isinstance(value, bool)):
            chk.add(item, f"gate value must be a number or a boolean, not {value!r}")
        elif fid in fields and (fields[fid].kind == "boolean") != isinstance(value, bool):
            chk.add(item, f"gate value {value!r} does not suit {fields[fid].kind} field {fid}")
        gate = Gate(field=str(fid), op=str(op), value=value)
    if table.get("max", 0) != 0 or table.get("weight", 0) != 0:
        chk.add(item, "a gate gives no points: max and weight must be 0 or absent")
    return Indicator(id=iid, title=title, group=group, type="gate", max=0.0, weight=0.0,
                     field=gate.field if gate else None, gate=gate)


def _expert(chk: _Checker, table: dict[str, Any], item: str, iid: str, title: str, group: str,
            points: float, weight: float) -> Indicator:
    if "field" in table or "rule" in table:
        chk.add(item, "an E indicator has no field and no rule")
    spec = table.get("guidance")
    guidance = None
    if not isinstance(spec, dict):
        chk.add(item, "an E indicator needs guidance = { full, partial, low }")
    else:
        parts = [chk.text(spec, k, item) for k in ("full", "partial", "low")]
        guidance = Guidance(*parts)
    return Indicator(id=iid, title=title, group=group, type="E", max=points, weight=weight,
                     guidance=guidance)


def _quantity(chk: _Checker, table: dict[str, Any], item: str, iid: str, title: str, group: str,
              itype: str, points: float, weight: float, fields: dict[str, Field],
              kind: str) -> Indicator:
    fid = table.get("field")
    if fid not in fields:
        chk.add(item, f"unknown field {fid!r}")
    elif fields[fid].kind in ("boolean", "date"):
        chk.add(item, f"field {fid} is {fields[fid].kind}; a Q indicator needs a number")
    spec = table.get("rule")
    if not isinstance(spec, dict):
        chk.add(item, "a Q indicator needs rule = { kind = \"cohort\" | \"target\", ... }")
        spec = {}
    rkind = spec.get("kind")
    if rkind not in RULE_KINDS:
        chk.add(item, f"unknown rule {rkind!r} (expected cohort or target)")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        chk.add(item, "log must be true or false")
        log = False
    target, target_field = spec.get("target"), spec.get("target_field")
    if log and rkind != "cohort":
        chk.add(item, "log is allowed only with the cohort rule")
    if log and fid in fields and fields[fid].kind != "money":
        chk.add(item, f"log is allowed only for money fields; {fid} is {fields[fid].kind}")
    if log and fid in fields and (fields[fid].min is None or fields[fid].min < 0):
        chk.add(item, f"log needs a non-negative field: give {fid} min = 0")
    if rkind == "target":
        if (target is None) == (target_field is None):
            chk.add(item, "the target rule takes exactly one of target or target_field")
        elif target is not None and not is_positive_number(target):
            chk.add(item, f"target must be > 0, not {target!r}")
        elif target_field is not None and target_field not in fields:
            chk.add(item, f"unknown target field {target_field!r}")
        elif kind == "performance" and target_field is None:
            chk.add(item, "a performance indicator's target names a creation-plan field, "
                          "not a number")
        elif kind == "performance" and fields[target_field].source != "plan":
            chk.add(item, f"target field {target_field} must be a creation-plan field "
                          "(source = \"plan\")")
    elif rkind == "cohort" and (target is not None or target_field is not None):
        chk.add(item, "the cohort rule takes no target")
    if kind == "performance" and rkind != "target":
        chk.add(item, "every Q indicator of a performance system uses the target rule")
    rule = Rule(kind=str(rkind), target=float(target) if _is_number(target) else None,
                target_field=target_field if isinstance(target_field, str) else None, log=log)
    return Indicator(id=iid, title=title, group=group, type=itype, max=points, weight=weight,
                     field=fid if isinstance(fid, str) else None, rule=rule)


def _categories(chk: _Checker, raw: Any, indicators: list[Indicator]) -> list[Category]:
    scored = {i.id for i in indicators if i.scored}
    result: list[Category] = []
    seen: set[str] = set()
    for table in _table_list(chk, raw, "categories"):
        code = chk.text(table, "code", "category ?")
        item = f"category {code or '?'}"
        if code in seen:
            chk.add(item, "duplicate category code")
        seen.add(code)
        weights = table.get("weights", {})
        pairs: list[tuple[str, float]] = []
        if not isinstance(weights, dict):
            chk.add(item, "weights must be a table of indicator id = weight")
            weights = {}
        for iid, value in weights.items():
            if iid not in scored:
                chk.add(item, f"weight for unknown indicator {iid!r}")
            elif not _is_number(value) or value < 0:
                chk.add(item, f"weight of {iid} must be a number >= 0, not {value!r}")
            else:
                pairs.append((iid, float(value)))
        result.append(Category(code=code, label=chk.text(table, "label", item), weights=tuple(pairs)))
    return result


def _grades(chk: _Checker, raw: Any) -> list[tuple[str, str, float]]:
    grades = []
    for table in _table_list(chk, raw, "grades"):
        code = chk.text(table, "code", "grade ?")
        low = chk.number(table, "min", f"grade {code}")
        grades.append((code, chk.text(table, "label", f"grade {code}"), low or 0.0))
    if [g[2] for g in grades] != sorted((g[2] for g in grades), reverse=True):
        chk.add("grades", "list grades from best to worst (min descending)")
    return grades


def _totals(chk: _Checker, indicators: list[Indicator], groups: dict[str, Group], kind: str) -> None:
    scored = [i for i in indicators if i.scored]
    total = sum(i.max for i in scored)
    if abs(total - TOTAL_POINTS) > POINTS_TOL:
        chk.add("system", f"points total {total:g}, not {TOTAL_POINTS:g}")
    if scored and sum(i.weight for i in scored) <= 0:
        chk.add("system", "all weights are zero")
    for group in groups.values():
        in_group = sum(i.max for i in scored if i.group == group.id)
        if abs(in_group - group.max) > POINTS_TOL:
            chk.add(f"group {group.id}", f"indicators total {in_group:g}, group says {group.max:g}")
    if kind == "performance":
        results = sum(g.max for g in groups.values() if g.role in ("output", "outcome"))
        if results < PERFORMANCE_RESULT_MIN:
            chk.add("system", f"output + outcome total {results:g}, below {PERFORMANCE_RESULT_MIN:g}")
