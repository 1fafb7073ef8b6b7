"""Audit archival: refused under six months, exports the oldest run of the chain with its links, moves the
anchor so `verify-audit` still passes (also after backup → restore), removes rows only through the gate
while ordinary DELETE/UPDATE stay refused, and is itself audited."""
from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from evalsys import create_app
from evalsys.extensions import db
from evalsys.models import AuditChain, AuditHead, AuditRecord
from evalsys.models.audit import AuditArchiveGate
from evalsys.services import audit
from evalsys.services.audit_archive import (ArchiveRefused, archive_before, check_cutoff, latest_allowed_cutoff,
                                            parse_cutoff, verify_archive)
from evalsys.services.backup import create_backup, restore_backup
from tests.conftest import make_test_config

OLD = datetime(2025, 1, 10, 3, 0, tzinfo=timezone.utc)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _records(app, ages: list[datetime | None]) -> list[int]:
    """One chained record per entry, created at the given instant (None: now), in this order."""
    ids = []
    with app.app_context():
        for i, at in enumerate(ages):
            row = audit.record("sample", object_type="test", object_id=str(i), detail={"i": i})
            if at is not None:
                row.created_at = at
            db.session.commit()
            audit.chain_pending()
            ids.append(row.id)
    return ids


def _months_ago(months: int) -> str:
    today = datetime.now(timezone(timedelta(hours=8))).date()
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, min(today.day, 28)).isoformat()


# --- the six-month rule ----------------------------------------------------------------------------

def test_cutoff_must_be_six_months_back_in_beijing_time():
    # 2026-11-30 16:30 UTC is already 1 December in Beijing.
    now = datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)
    assert latest_allowed_cutoff(now) == date(2026, 6, 1)
    check_cutoff(date(2026, 6, 1), now)
    with pytest.raises(ArchiveRefused, match="6 个月"):
        check_cutoff(date(2026, 6, 2), now)
    assert latest_allowed_cutoff(datetime(2026, 8, 31, 4, 0, tzinfo=timezone.utc)) == date(2026, 2, 28)
    for bad in ("2026-6-1", "2026/06/01", "20260601", "2026-02-30", "", "2026-06-01x"):
        with pytest.raises(ArchiveRefused, match="YYYY-MM-DD"):
            parse_cutoff(bad)


def test_cli_refuses_a_date_five_months_back(app, runner):
    ids = _records(app, [OLD, OLD])
    result = runner.invoke(args=["audit", "archive", "--before", _months_ago(5)])
    assert result.exit_code == 2
    assert "拒绝归档" in result.output and "6 个月" in result.output
    with app.app_context():
        assert _count(AuditRecord) == len(ids) and db.session.get(AuditHead, 1).anchor_seq == 0
    result = runner.invoke(args=["audit", "archive", "--before", "yesterday"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


# --- archiving --------------------------------------------------------------------------------------

def test_archive_exports_the_old_run_and_verify_audit_still_passes(app, runner):
    # The third record is recent: the fourth, although old, stays because the chain must stay unbroken.
    ids = _records(app, [OLD, OLD + timedelta(days=1), None, OLD, None])
    result = runner.invoke(args=["audit", "archive", "--before", _months_ago(7)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        remaining = db.session.scalars(select(AuditRecord.id).order_by(AuditRecord.id)).all()
        assert remaining[:3] == ids[2:]  # the first two are gone, the rest kept, then the archive's record
        [archived] = db.session.scalars(select(AuditRecord).where(AuditRecord.event == "audit_archived")).all()
        detail = json.loads(archived.detail)
        assert archived.username.startswith("cli:") and archived.user_id is None
        assert (detail["records"], detail["first_seq"], detail["last_seq"]) == (2, 1, 2)
        head = db.session.get(AuditHead, 1)
        link2_mac = head.anchor_mac
        assert head.anchor_seq == 2 and _count(AuditChain) == _count(AuditRecord) == 4
        assert _count(AuditArchiveGate) == 0
        folder = app.instance_path + "/audit-archive"
    manifest_path = next(p for p in Path(folder).glob("*.manifest.json"))
    manifest = json.loads(manifest_path.read_text())
    data = (manifest_path.parent / manifest["archive"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"] == detail["sha256"]
    lines = [json.loads(line) for line in gzip.decompress(data).splitlines()]
    assert [(e["seq"], e["record"][0]) for e in lines] == [(1, ids[0]), (2, ids[1])]
    assert lines[-1]["mac"] == link2_mac == manifest["anchor"]["mac"]
    assert manifest["previous_anchor"] == {"seq": 0, "mac": ""}

    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0 and "4 records" in result.output, result.output
    result = runner.invoke(args=["audit", "verify-archive", str(manifest_path)])
    assert result.exit_code == 0 and "2 records" in result.output, result.output


def test_a_second_archive_continues_from_the_first_anchor(app):
    _records(app, [OLD, OLD, OLD + timedelta(days=40), OLD + timedelta(days=41), None])
    with app.app_context():
        first = archive_before(date(2025, 2, 1))
        second = archive_before(date(2025, 3, 1))
        assert (first.first_seq, first.last_seq, second.first_seq, second.last_seq) == (1, 2, 3, 4)
        with pytest.raises(ArchiveRefused, match="没有"):
            archive_before(date(2025, 3, 1))
        assert verify_archive(first.manifest_path) == 2 and verify_archive(second.manifest_path) == 2
        assert json.loads(second.manifest_path.read_text())["previous_anchor"]["seq"] == 2
        report = audit.verify_chain()
        assert report.ok and report.count == 3  # the recent record and the two archive records


def test_a_tampered_archive_file_is_detected(app):
    _records(app, [OLD, OLD, None])
    with app.app_context():
        result = archive_before(date(2025, 6, 1))
    raw = gzip.decompress(result.path.read_bytes()).replace(b'"i\\": 0', b'"i\\": 9')
    result.path.write_bytes(gzip.compress(raw))
    manifest = json.loads(result.manifest_path.read_text())
    with app.app_context():
        with pytest.raises(ArchiveRefused, match="SHA-256"):
            verify_archive(result.manifest_path)
        manifest["sha256"] = hashlib.sha256(result.path.read_bytes()).hexdigest()  # forged manifest too
        result.manifest_path.write_text(json.dumps(manifest))
        with pytest.raises(ArchiveRefused, match="第 1 号"):
            verify_archive(result.manifest_path)


def test_ordinary_delete_and_update_stay_refused_after_an_archive(app):
    ids = _records(app, [OLD, OLD, OLD, None])
    with app.app_context():
        archive_before(date(2025, 6, 1))
        kept = ids[3]
        for sql in ("DELETE FROM audit_records WHERE id = :id", "DELETE FROM audit_chain WHERE record_id = :id",
                    "UPDATE audit_records SET event = 'forged' WHERE id = :id",
                    "UPDATE audit_chain SET mac = 'x' WHERE record_id = :id", "DELETE FROM audit_chain",
                    "DELETE FROM audit_records"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(sql), {"id": kept})
                db.session.flush()
            db.session.rollback()
        # The gate opens only for the ids listed in it, and only for DELETE.
        db.session.add(AuditArchiveGate(record_id=kept))
        db.session.flush()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("UPDATE audit_records SET event = 'forged' WHERE id = :id"), {"id": kept})
        db.session.rollback()
        assert _count(AuditRecord) == 2 and audit.verify_chain().ok


def test_a_gate_left_open_fails_verification(app, runner):
    ids = _records(app, [None, None])
    with app.app_context():
        db.session.add(AuditArchiveGate(record_id=ids[0]))
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and "归档通道未关闭" in result.output


def test_archive_refuses_a_broken_chain(app):
    ids = _records(app, [OLD, OLD, None])
    with app.app_context():
        from tests.services.test_audit import drop_append_only_triggers

        drop_append_only_triggers()
        db.session.execute(text("UPDATE audit_records SET event = 'x' WHERE id = :id"), {"id": ids[1]})
        db.session.commit()
        with pytest.raises(ArchiveRefused, match="校验未通过"):
            archive_before(date(2025, 6, 1))
        assert _count(AuditRecord) == 3 and not list((Path(app.instance_path) / "audit-archive").glob("*"))


def test_tampering_after_an_archive_is_still_detected(app, runner):
    ids = _records(app, [OLD, OLD, None, None])
    with app.app_context():
        archive_before(date(2025, 6, 1))
        from tests.services.test_audit import drop_append_only_triggers

        drop_append_only_triggers()
        db.session.execute(text("UPDATE audit_records SET event = 'x' WHERE id = :id"), {"id": ids[3]})
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and f"记录 {ids[3]}：" in result.output
    with app.app_context():  # moving the anchor back (to hide the cut) breaks the head's MAC
        db.session.execute(text("UPDATE audit_head SET anchor_seq = 0, anchor_mac = ''"))
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and "链头" in result.output


@pytest.fixture
def target(template_db, tmp_path):
    url = template_db.create_empty()
    restored = create_app(make_test_config(url, str(tmp_path / "restored")))
    yield restored
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()


def test_verify_audit_passes_after_backup_and_restore_of_an_archived_instance(app, target, tmp_path):
    _records(app, [OLD, OLD, OLD, None, None])
    with app.app_context():
        archive_before(date(2025, 6, 1))
        head = db.session.get(AuditHead, 1)
        anchor = (head.anchor_seq, head.anchor_mac)
        create_backup(tmp_path / "backup")
    with target.app_context():
        restore_backup(tmp_path / "backup")
        head = db.session.get(AuditHead, 1)
        assert (head.anchor_seq, head.anchor_mac) == anchor == (3, anchor[1])
        report = audit.verify_chain()
        assert report.ok and report.count == 3, report.problem
        # The restored instance keeps the triggers and the gate: ordinary deletes are still refused.
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_records"))
        db.session.rollback()
    result = target.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code == 0 and "3 records" in result.output
