"""Every event the code records, and every object type, has a name for the audit pages and exports."""
from __future__ import annotations

import re
from pathlib import Path

from evalsys.domain import evaluation, workflow
from evalsys.domain.audit_labels import EVENT_LABELS, OBJECT_LABELS, event_label, object_label

ROOT = Path(__file__).resolve().parents[2] / "evalsys"
# An event written as a literal: record("x"), record_security("x"), _refuse(user, "x"), or a fund flag event.
LITERAL = re.compile(r"""record(?:_security)?\(\s*["']([a-z_.]+)["']|_refuse\(\w+, ["']([a-z_.]+)["']"""
                     r"""|["'](fund_flag_(?!events)[a-z]+)["']""")


def test_every_recorded_event_has_a_name():
    recorded = set()
    for path in ROOT.rglob("*.py"):
        for m in LITERAL.finditer(path.read_text(encoding="utf-8")):
            recorded.add(next(g for g in m.groups() if g))
    assert len(recorded) > 100  # the scan found the calls
    assert sorted(e for e in recorded if event_label(e) == e) == []


def test_workflow_step_events_are_named_from_their_step():
    for action in workflow.Action:
        assert event_label(f"application_{action.value}") == f"申报：{workflow.ACTION_LABELS[action]}"
    for action in evaluation.EvalAction:
        assert event_label(f"evaluation_{action.value}") == f"绩效评价：{evaluation.ACTION_LABELS[action]}"
    assert event_label("application_nonsense") == "application_nonsense"  # an unknown key stays visible


def test_object_types_are_tables_with_names():
    from evalsys.extensions import db
    import evalsys.models  # noqa: F401  (the tables)

    tables = set(db.metadata.tables)
    assert set(OBJECT_LABELS) <= tables
    assert object_label("applications") == "申报" and object_label(None) == ""
    assert all("_" not in label for label in EVENT_LABELS.values())
