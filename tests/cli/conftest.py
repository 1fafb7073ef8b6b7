"""Fixtures for the mcda/criteria command tests: shipped criteria files and matrix writers."""
from __future__ import annotations

from pathlib import Path

import pytest

CRITERIA_DIR = Path(__file__).resolve().parents[2] / "criteria"


@pytest.fixture
def base_file() -> str:
    """Path of the shipped base-application system."""
    return str(CRITERIA_DIR / "base-2015-b2.v1.toml")


@pytest.fixture
def write(tmp_path):
    """Write text (or bytes) to a file in tmp_path and return its path as a string."""
    def write_file(name: str, content: str | bytes, encoding: str = "utf-8") -> str:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding=encoding, newline="")
        return str(path)
    return write_file
