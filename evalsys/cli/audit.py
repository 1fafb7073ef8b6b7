"""`audit archive --before DATE` (move records older than six months to a file) and `audit verify-archive`."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..services.audit_archive import ArchiveRefused, archive_before, parse_cutoff, verify_archive


@click.group("audit")
def audit_group() -> None:
    """Audit trail maintenance (archival of old records)."""


@audit_group.command("archive")
@click.option("--before", "before", required=True, metavar="YYYY-MM-DD",
              help="archive records written before 00:00 Beijing time of this date (at least 6 months back)")
@with_appcontext
def archive_command(before: str) -> None:
    """Export the records before DATE with their chain links to instance/audit-archive, then remove them."""
    try:
        result = archive_before(parse_cutoff(before), operator=f"cli:{getpass.getuser()}")
    except ArchiveRefused as e:
        click.echo(f"拒绝归档：{e}", err=True)
        sys.exit(2)
    click.echo(f"archived {result.count} records (seq {result.first_seq}–{result.last_seq}) to {result.path}\n"
               f"manifest {result.manifest_path} sha256 {result.sha256}")


@audit_group.command("verify-archive")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_archive_command(manifest: Path) -> None:
    """Check an archive file against its manifest and recompute its chain links (needs the audit key)."""
    try:
        count = verify_archive(manifest)
    except ArchiveRefused as e:
        click.echo(f"归档校验失败：{e}", err=True)
        sys.exit(1)
    click.echo(f"archive ok: {count} records")
