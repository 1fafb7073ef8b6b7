"""Operations commands: `check-deploy` (refuse unsafe production databases) and `verify-audit`."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from ..models import SystemFlag
from ..services.audit import chain_pending, verify_chain


def schema_problems() -> list[str]:
    """Why the database schema is not at the migrations' head (empty list when it is)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    heads = set(script.get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        return [f"数据库结构未迁移到最新版本（当前 {sorted(current) or '空'}，应为 {sorted(heads)}），"
                "请先运行 flask --app evalsys db upgrade"]
    return []


@click.command("check-deploy")
@with_appcontext
def check_deploy_command() -> None:
    """Refuse to deploy on an unmigrated schema or a database holding demo data."""
    problems = schema_problems()
    if not problems and db.session.get(SystemFlag, "demo_data") is not None:
        problems.append("数据库包含演示数据，不能用于生产环境")
    if current_app.config["ENV_NAME"] != "production":
        problems.append("未以生产配置运行（设置 EVALSYS_ENV_NAME=production）")
    if problems:
        for p in problems:
            click.echo(f"拒绝部署：{p}", err=True)
        sys.exit(1)
    click.echo("check-deploy: ok")


@click.command("verify-audit")
@with_appcontext
def verify_audit_command() -> None:
    """Chain pending records, then recompute the whole chain: exit 0 with the count, or 1 naming the first bad record."""
    chain_pending()
    report = verify_chain()
    if report.ok:
        click.echo(f"audit chain ok: {report.count} records")
        return
    click.echo(f"audit chain BROKEN after {report.count} good records: {report.problem}", err=True)
    sys.exit(1)


@click.command("reminders")
@with_appcontext
def reminders_command() -> None:
    """Send today's deadline reminders (3 and 1 days before); run daily, e.g. from cron at 08:00."""
    from ..models.types import utcnow
    from ..services.notify import deliver_pending
    from ..services.reminders import send_due_reminders

    count = send_due_reminders(utcnow())
    db.session.commit()
    sent_mail = deliver_pending()
    click.echo(f"reminders: {count} sent ({sent_mail} emails)")
