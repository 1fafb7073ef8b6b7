"""`demo`: load the demo data idempotently; refused under the production configuration."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..demo import DEMO_PASSWORD, load_demo
from ..extensions import db
from ..services.audit import chain_pending


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load demo accounts and data (safe to run again; never under production)."""
    if current_app.config["ENV_NAME"] == "production":
        click.echo("拒绝：生产配置下不能加载演示数据", err=True)
        sys.exit(1)
    counts = load_demo()
    db.session.commit()
    chain_pending()
    click.echo(f"demo data ready ({counts['users_created']} accounts, {counts.get('calls_created', 0)} "
               f"calls, {counts.get('applications_created', 0)} applications created); "
               f"every demo password is {DEMO_PASSWORD} (demo only)")
