"""`backup --out DIR` and `restore DIR`: consistent copies of the database and the instance files."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..services.audit import verify_chain
from ..services.backup import BackupError, create_backup, restore_backup


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="an empty (or new) folder for the backup")
@with_appcontext
def backup_command(out: Path) -> None:
    """Back up the database, uploads and issued reports with a manifest of SHA-256 values."""
    try:
        result = create_backup(out)
    except BackupError as e:
        click.echo(f"备份失败：{e}", err=True)
        sys.exit(1)
    click.echo(f"backup written to {result.directory} ({result.files} files + database)")


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(directory: Path) -> None:
    """Restore a backup into an empty instance, checking the manifest before and after."""
    try:
        count = restore_backup(directory)
    except BackupError as e:
        click.echo(f"恢复失败：{e}", err=True)
        sys.exit(1)
    report = verify_chain()
    if not report.ok:
        click.echo(f"恢复完成，但审计链校验失败：{report.problem}", err=True)
        sys.exit(1)
    click.echo(f"restored {count} files; audit chain ok: {report.count} records")
