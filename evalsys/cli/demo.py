"""`demo`: load the demo data idempotently; refused under the production configuration."""
from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from ..demo import DEMO_PASSWORD, load_demo
from ..extensions import db
from ..services.audit import chain_pending


@click.command("demo")
@click.option("--national", is_flag=True,
              help="Then add the national volume on top (thousands of applications, 100,000+ audit records).")
@click.option("--national-scale", type=click.FloatRange(0.001, 10.0), default=1.0, show_default=True,
              help="Multiply the national volume (benchmarks use 1; tests a small fraction).")
@with_appcontext
def demo_command(national: bool, national_scale: float) -> None:
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
    if national:
        from ..demo.national import load_national, refresh_statistics

        started = time.monotonic()
        added = load_national(national_scale)
        db.session.commit()
        chained = chain_pending()
        refresh_statistics()
        if added:
            click.echo("national data added in {:.0f} s: {} ({} audit records chained)".format(
                time.monotonic() - started, ", ".join(f"{k} {v}" for k, v in added.items()), chained))
        else:
            click.echo("national data already present; nothing added")
