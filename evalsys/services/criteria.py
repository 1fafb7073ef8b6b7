"""Access to the indicator systems in criteria/ (loaded once per process, by id and version)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import current_app

from ..domain.criteria import CriteriaSystem, check_directory, default_criteria_dir, find_system


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
