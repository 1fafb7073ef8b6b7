"""Backup → restore into a fresh instance → identical file manifests, same rows, passing audit chain."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, inspect, select

from evalsys import create_app
from evalsys.extensions import db
from evalsys.models import Role, StoredFile, User
from evalsys.services import audit
from evalsys.services.backup import BackupError, check_manifest, create_backup, restore_backup
from evalsys.services.files import read_verified, store_bytes
from tests.conftest import make_test_config
from tests.factories import make_user


def _row_counts() -> dict[str, int]:
    counts = {}
    for table in sorted(inspect(db.engine).get_table_names()):
        if table != "alembic_version":
            counts[table] = db.session.execute(select(func.count()).select_from(db.metadata.tables[table])).scalar()
    return counts


def _fill(app) -> dict[str, int]:
    with app.app_context():
        user = make_user(Role.ADMIN, username="bk-admin")
        for i in range(3):
            store_bytes(f"文件内容 {i}".encode(), f"附件{i}.pdf", "application/pdf", purpose="test", actor_id=user.id)
        audit.record("backup_test", detail={"n": 3})
        db.session.commit()
        audit.chain_pending()
        return _row_counts()


@pytest.fixture
def target(template_db, tmp_path):
    """A second, empty instance (fresh database and folder) to restore into."""
    url = template_db.create_empty()
    restored = create_app(make_test_config(url, str(tmp_path / "restored")))
    yield restored
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()


def test_backup_restore_round_trip(app, target, tmp_path):
    counts = _fill(app)
    out = tmp_path / "backup"
    with app.app_context():
        result = create_backup(out)
    assert result.files == 3
    manifest = check_manifest(out)
    with target.app_context():
        assert restore_backup(out) == 3
        assert _row_counts() == counts
        report = audit.verify_chain()
        assert report.ok and report.count == counts["audit_records"]
        for stored in db.session.scalars(select(StoredFile)):
            assert read_verified(stored)  # bytes match the recorded hash in the restored instance
        again = tmp_path / "backup-again"
        create_backup(again)
    second = check_manifest(again)
    files = {k: v for k, v in manifest["files"].items() if k.startswith("files/")}
    assert files == {k: v for k, v in second["files"].items() if k.startswith("files/")}
    assert manifest["alembic_revision"] == second["alembic_revision"]


def test_restore_refuses_non_empty_instance(app, tmp_path):
    _fill(app)
    out = tmp_path / "backup"
    with app.app_context():
        create_backup(out)
        with pytest.raises(BackupError, match="不为空"):
            restore_backup(out)
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_tampered_backup_is_refused(app, target, tmp_path):
    _fill(app)
    out = tmp_path / "backup"
    with app.app_context():
        create_backup(out)
    manifest = json.loads((out / "manifest.json").read_text())
    victim = next(k for k in manifest["files"] if k.startswith("files/"))
    (out / victim).write_bytes(b"changed")
    with target.app_context():
        with pytest.raises(BackupError, match="校验失败"):
            restore_backup(out)
        assert "users" not in inspect(db.engine).get_table_names()  # nothing was restored


def test_backup_refuses_non_empty_target(app, tmp_path):
    out = tmp_path / "backup"
    out.mkdir()
    (out / "x").write_text("x")
    with app.app_context(), pytest.raises(BackupError, match="不为空"):
        create_backup(out)


def test_cli_backup_and_restore(app, runner, target, tmp_path):
    _fill(app)
    out = tmp_path / "cli-backup"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = target.test_cli_runner().invoke(args=["restore", str(out)])
    assert result.exit_code == 0, result.output
    assert "audit chain ok" in result.output
