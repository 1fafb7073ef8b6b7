"""The English side of an indicator system, read from `criteria/en/<same file name>`: titles of the system, its
fields, groups, indicators and categories, and the scoring guidance of its expert indicators. Display only:
the file lies outside the criteria file's content hash (criteria/README.md)."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from evalsys.domain.criteria import ENGLISH_DIR, CriteriaSystem, Guidance, Problem
from evalsys.domain.criteria_check import _Checker

ENGLISH_SECTIONS = ("fields", "groups", "indicators", "categories")
GUIDANCE_LEVELS = ("full", "partial", "low")
NOT_ENGLISH = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def read_english_titles(system: CriteriaSystem, path: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The English titles file of a system: {"title": str, section: {id: title}, "guidance": {id: Guidance}},
    and its problems (an id the system lacks, a title that is not text or that carries Chinese or full-width
    punctuation, guidance for an indicator without Chinese guidance or missing one of its levels)."""
    name = f"{ENGLISH_DIR}/{path.name}"
    chk = _Checker(name)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        chk.add("file", f"cannot be read: {exc}")
        return {}, chk.problems
    known = {"fields": {f.id for f in system.fields}, "groups": {g.id for g in system.groups},
             "indicators": {i.id for i in system.indicators}, "categories": {c.code for c in system.categories}}
    titles: dict[str, Any] = {"title": chk.text(doc, "title", "title", required=False)}
    for key in doc:
        if key not in ("title", "guidance") and key not in ENGLISH_SECTIONS:
            chk.add(key, f"unknown section (expected title, {', '.join(ENGLISH_SECTIONS)}, guidance)")
    for section in ENGLISH_SECTIONS:
        table = doc.get(section, {})
        if not isinstance(table, dict):
            chk.add(section, "must be a table of id = \"title\"")
            table = {}
        titles[section] = {}
        for item_id, text in table.items():
            item = f"{section}.{item_id}"
            if item_id not in known[section]:
                chk.add(item, f"{system.id} v{system.version} has no such id")
            elif _english(chk, item, text):
                titles[section][item_id] = text
    if titles["title"] and NOT_ENGLISH.search(titles["title"]):
        chk.add("title", "holds Chinese characters or full-width punctuation")
    titles["guidance"] = _guidance(chk, system, doc.get("guidance", {}))
    return titles, chk.problems


def _english(chk: _Checker, item: str, text: Any) -> bool:
    if not isinstance(text, str) or not text.strip():
        chk.add(item, "must be a non-empty string")
    elif NOT_ENGLISH.search(text):
        chk.add(item, "holds Chinese characters or full-width punctuation")
    else:
        return True
    return False


def _guidance(chk: _Checker, system: CriteriaSystem, table: Any) -> dict[str, Guidance]:
    """[guidance.<indicator id>] tables with full, partial and low, for indicators that carry guidance."""
    if not isinstance(table, dict):
        chk.add("guidance", "must be a table of [guidance.<indicator id>] tables")
        return {}
    with_guidance = {i.id for i in system.indicators if i.guidance is not None}
    found: dict[str, Guidance] = {}
    for item_id, levels in table.items():
        item = f"guidance.{item_id}"
        if item_id not in with_guidance:
            chk.add(item, f"{system.id} v{system.version} has no indicator with guidance of this id")
        elif not isinstance(levels, dict) or set(levels) != set(GUIDANCE_LEVELS):
            chk.add(item, f"must hold exactly {', '.join(GUIDANCE_LEVELS)}")
        elif all([_english(chk, f"{item}.{level}", levels[level]) for level in GUIDANCE_LEVELS]):
            found[item_id] = Guidance(**{level: levels[level] for level in GUIDANCE_LEVELS})
    return found
