"""Access to the indicator systems in criteria/ (loaded once per process, by id and version)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

from flask import current_app

from ..domain.criteria import CriteriaSystem, check_directory, default_criteria_dir, find_system
from ..models import Application, Call


def criteria_dir() -> Path:
    """The configured criteria folder (EVALSYS_CRITERIA_DIR, else the repository's criteria/)."""
    configured = current_app.config.get("CRITERIA_DIR")
    return Path(configured) if configured else default_criteria_dir()


@lru_cache(maxsize=32)
def _load(system_id: str, version: int, directory: str) -> CriteriaSystem:
    return find_system(system_id, version, directory)


def system(system_id: str, version: int) -> CriteriaSystem:
    """One published system version (a published file never changes, so caching is safe)."""
    return _load(system_id, version, str(criteria_dir()))


def available(kind: str | None = None) -> list[CriteriaSystem]:
    """Every valid system in the folder, optionally of one kind (base, enterprise, performance)."""
    systems, _problems = check_directory(criteria_dir())
    return [s for s in systems if kind is None or s.kind == kind]


class MadeWithCriteria(Protocol):
    """Anything that names the indicator system version it uses (a call, an evaluation round, a stored run)."""

    criteria_id: str
    criteria_version: int


def system_of(obj: MadeWithCriteria | Application) -> CriteriaSystem:
    """The indicator system version of a call, an evaluation round or a stored run; an application's is its call's."""
    target = obj.call if isinstance(obj, Application) else obj
    return system(target.criteria_id, target.criteria_version)


def category_labels(call: Call) -> dict[str, str]:
    """{category code: label} of the call's indicator system, with "" → "" (a call without categories)."""
    return {"": "", **{c.code: c.label for c in system_of(call).categories}}
