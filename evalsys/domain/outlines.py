"""Narrative outlines of application reports, read from criteria/outlines/<kind>.toml (data, not code)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    """One narrative section of an application report."""

    id: str
    title: str
    hint: str
    max_chars: int
    title_en: str = ""  # shown in the English interface


def load_outline(directory: Path, kind: str) -> tuple[Section, ...]:
    """The sections for a call kind (base | enterprise)."""
    data = tomllib.loads((directory / "outlines" / f"{kind}.toml").read_text(encoding="utf-8"))
    return tuple(Section(s["id"], s["title"], s.get("hint", ""), int(s.get("max_chars", 5000)), s.get("title_en", ""))
                 for s in data["sections"])
