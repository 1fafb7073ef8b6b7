"""Backup and restore: a consistent database copy, the uploaded and issued files, a manifest of hashes.

The database is copied first and the files after it: a file is always written before the row that
names it commits, so every row in the copy finds its file in the backup.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from ..extensions import db
from ..models.types import utcnow
from .files import file_digest, write_atomically
from ..domain.errors import N_, Message

MANIFEST = "manifest.json"
FILE_AREAS = ("UPLOAD_DIR", "ISSUED_DIR")
_AREA_NAMES = {"UPLOAD_DIR": "uploads", "ISSUED_DIR": "issued"}


class BackupError(RuntimeError):
    """A refused or failed backup/restore; the message is Chinese and names the problem."""


@dataclass
class BackupResult:
    """Where the backup went and how many files it holds."""

    directory: Path
    files: int


def _dialect() -> str:
    return db.engine.dialect.name


def _pg_env_and_url() -> tuple[dict[str, str], str]:
    """A libpq URL (without the +psycopg driver suffix) for pg_dump / pg_restore."""
    url = make_url(str(db.engine.url.render_as_string(hide_password=False))).set(drivername="postgresql")
    return dict(os.environ), url.render_as_string(hide_password=False)


def _dump_database(target_dir: Path) -> str:
    if _dialect() == "sqlite":
        path = target_dir / "database.sqlite3"
        source = sqlite3.connect(db.engine.url.database)
        try:
            dest = sqlite3.connect(path)
            with dest:
                source.backup(dest)  # SQLite's online backup: a consistent snapshot while the app runs
            dest.close()
        finally:
            source.close()
        return path.name
    if _dialect() == "postgresql":
        path = target_dir / "database.pgdump"
        env, url = _pg_env_and_url()
        result = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}",
                                 f"--dbname={url}"], env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BackupError(Message(N_("pg_dump 失败：%(output)s"), output=result.stderr.strip()[:500]))
        return path.name
    raise BackupError(Message(N_("不支持的数据库：%(dialect)s"), dialect=_dialect()))


def _walk(root: Path):
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(".tmp"):
            yield path


def create_backup(out: Path) -> BackupResult:
    """Write database, files and manifest into `out` (created; must be empty)."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise BackupError(Message(N_("备份目录不为空：%(out)s"), out=out))
    manifest: dict = {"created_at": utcnow().isoformat(), "dialect": _dialect(), "files": {}}
    manifest["alembic_revision"] = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    # End the session's transaction: on SQLite every transaction holds the write lock (BEGIN IMMEDIATE).
    db.session.rollback()
    database_file = _dump_database(out)
    manifest["database"] = database_file
    manifest["files"][database_file] = file_digest((out / database_file).read_bytes())
    count = 0
    for key in FILE_AREAS:
        root = Path(current_app.config[key])
        for path in _walk(root):
            rel = f"files/{_AREA_NAMES[key]}/{path.relative_to(root).as_posix()}"
            data = path.read_bytes()
            write_atomically(out / rel, data)
            manifest["files"][rel] = file_digest(data)
            count += 1
    write_atomically(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode())
    return BackupResult(out, count)


def check_manifest(directory: Path) -> dict:
    """Load the manifest and verify every file it lists; raise BackupError naming the first mismatch."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise BackupError(Message(N_("无法读取备份清单：%(reason)s"), reason=e)) from None
    for rel, digest in manifest["files"].items():
        path = directory / rel
        if ".." in Path(rel).parts or not path.is_file():
            raise BackupError(Message(N_("备份缺少文件：%(rel)s"), rel=rel))
        if file_digest(path.read_bytes()) != digest:
            raise BackupError(Message(N_("备份文件校验失败：%(rel)s"), rel=rel))
    return manifest


def _database_is_empty() -> bool:
    names = set(inspect(db.engine).get_table_names())
    return not names or names == {"alembic_version"}


def restore_backup(directory: Path) -> int:
    """Restore a checked backup into an empty instance (empty database, no files); returns files restored."""
    manifest = check_manifest(directory)
    if manifest["dialect"] != _dialect():
        raise BackupError(Message(N_("备份来自 %(source)s 数据库，当前为 %(dialect)s"),
                                  source=manifest['dialect'], dialect=_dialect()))
    if not _database_is_empty():
        raise BackupError(N_("目标数据库不为空：只能恢复到空实例"))
    for key in FILE_AREAS:
        root = Path(current_app.config[key])
        if root.exists() and any(_walk(root)):
            raise BackupError(Message(N_("目标实例的文件目录不为空：%(root)s"), root=root))
    source = directory / manifest["database"]
    db.session.remove()
    db.engine.dispose()
    if _dialect() == "sqlite":
        target = Path(db.engine.url.database)
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        src = sqlite3.connect(source)
        try:
            dest = sqlite3.connect(target)
            with dest:
                src.backup(dest)
            dest.close()
        finally:
            src.close()
    else:
        env, url = _pg_env_and_url()
        result = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                                 f"--dbname={url}", str(source)], env=env, capture_output=True, text=True,
                                check=False)
        if result.returncode != 0:
            raise BackupError(Message(N_("pg_restore 失败：%(output)s"), output=result.stderr.strip()[:500]))
    restored = 0
    for rel, digest in manifest["files"].items():
        if not rel.startswith("files/"):
            continue
        _, area, inner = rel.split("/", 2)
        key = next(k for k, v in _AREA_NAMES.items() if v == area)
        data = (directory / rel).read_bytes()
        target = Path(current_app.config[key]) / inner
        write_atomically(target, data)
        if file_digest(target.read_bytes()) != digest:
            raise BackupError(Message(N_("恢复后文件校验失败：%(rel)s"), rel=rel))
        restored += 1
    return restored
