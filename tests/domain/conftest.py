"""Fixtures for the ranking-engine tests: a small valid criteria text and a writer for variants."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CRITERIA_DIR = REPO / "criteria"

# A small valid system: 100 points over a cohort Q+ money (log), a target Q+, a cohort Q-, one E.
TINY = """\
schema = 1
[system]
id = "tiny"
version = 1
kind = "base"
title = "测试体系"

[[fields]]
id = "revenue"
label = "收入"
kind = "money"
unit = "元"
min = 0

[[fields]]
id = "years"
label = "年限"
kind = "decimal"
unit = "年"
min = 0

[[fields]]
id = "complaints"
label = "投诉"
kind = "decimal"
unit = "件"
min = 0

[[fields]]
id = "ok"
label = "合规"
kind = "boolean"
unit = ""

[[groups]]
id = "g0"
title = "门槛"
max = 0

[[groups]]
id = "g1"
title = "规模"
max = 60

[[groups]]
id = "g2"
title = "评审"
max = 40

[[indicators]]
id = "gate_ok"
title = "合规"
group = "g0"
type = "gate"
gate = { field = "ok", op = "==", value = true }

[[indicators]]
id = "revenue"
title = "收入"
group = "g1"
type = "Q+"
max = 30
field = "revenue"
rule = { kind = "cohort", log = true }

[[indicators]]
id = "years"
title = "年限"
group = "g1"
type = "Q+"
max = 20
field = "years"
rule = { kind = "target", target = 5 }

[[indicators]]
id = "complaints"
title = "投诉"
group = "g1"
type = "Q-"
max = 10
field = "complaints"
rule = { kind = "cohort" }

[[indicators]]
id = "quality"
title = "质量"
group = "g2"
type = "E"
max = 40
guidance = { full = "好", partial = "中", low = "差" }
"""


@pytest.fixture
def tiny_text() -> str:
    """The text of tiny.v1.toml."""
    return TINY


@pytest.fixture
def write_system(tmp_path):
    """Write criteria text to tmp_path/<name> and return its path."""
    def write(text: str, name: str = "tiny.v1.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write
