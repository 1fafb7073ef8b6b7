"""`flask report ROUND_CODE --out DIR`: issue every accepted evaluation not yet issued (sharing the
round's lock with the UI's batch job), copy every issued report of the round to DIR and print
`<serial> <sha256-of-signed-file> <path>` per report; progress on stderr. A rerun issues nothing."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import BatchItem, EvaluationRound
from ..services import evaluation_batch as batch
from ..services.evaluation_reports import read_signed, report_path, round_reports
from ..services.files import write_atomically


@click.command("report")
@click.argument("round_code")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder the round's signed reports are copied to.")
@click.option("--wait", "wait_seconds", default=600, show_default=True,
              help="Seconds to wait while another run (the web page's job) holds the round.")
@with_appcontext
def report_command(round_code: str, out_dir: Path, wait_seconds: int) -> None:
    """Issue a round's pending reports and copy all its issued reports to --out."""
    round_ = db.session.scalar(select(EvaluationRound).where(EvaluationRound.code == round_code.lower()))
    if round_ is None:
        raise click.ClickException(f"评价批次 {round_code} 不存在")
    owner = batch.owner_id("cli")
    round_id = round_.id
    db.session.commit()  # no open transaction while the lease moves (see evaluation_batch)
    deadline = time.monotonic() + wait_seconds
    while not batch.acquire_lock(round_id, owner):
        if time.monotonic() > deadline:
            raise click.ClickException(f"评价批次 {round_code} 正在由其他任务出具报告，等待超时")
        click.echo(f"等待其他出具任务结束（{round_code}）…", err=True)
        time.sleep(2)
    try:
        job = batch.create_job(round_, actor=None, backend="cli")  # or the interrupted one, resumed
        db.session.commit()
        if job is not None:
            pending = db.session.scalar(select(db.func.count()).select_from(BatchItem).where(
                BatchItem.job_id == job.id, BatchItem.state == "pending")) or 0
            with click.progressbar(length=pending, label=f"出具 {round_code}", file=sys.stderr) as bar:
                job = batch.run_job(job.id, owner=owner, progress=bar.update)
            if job.failed:
                click.echo(f"{job.failed} 份报告出具失败，详见批次页面", err=True)
    finally:
        db.session.rollback()
        batch.release_lock(round_id, owner)
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = 0
    for report in round_reports(round_id):
        data = read_signed(report)
        if data is None:
            click.echo(f"{report.serial}: 文件缺失或摘要不符 ({report_path(report)})", err=True)
            problems += 1
            continue
        target = out_dir / Path(report.path).name
        if not target.exists() or target.read_bytes() != data:
            write_atomically(target, data)
        click.echo(f"{report.serial} {report.signed_sha256} {target}")
    if problems:
        sys.exit(1)

