"""`funds summary`: the ministry's summary of every first-batch base, as JSON (a contract) or text."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..domain.money import format_fen
from ..services import funds_query


@click.group("funds")
def funds_group() -> None:
    """Central special subsidy funds of the first-batch bases."""


@funds_group.command("summary")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="只统计该年度下达的资金")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
@with_appcontext
def summary_command(year: int | None, fmt: str) -> None:
    """One row per base ordered by code: allocated, received, spent (fen), rates, open flags.

    JSON: an array of {"base", "authority", "allocated_fen", "received_fen", "spent_fen",
    "arrival_rate", "execution_rate", "open_flags"}; rates are 4-decimal strings or null.
    """
    rows = funds_query.summary(year)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo("基地\t主管部门\t下达（元）\t到位（元）\t支出（元）\t到位率\t执行率\t待处理提示")
    for r in rows:
        click.echo("\t".join([r["base"], r["authority"], format_fen(r["allocated_fen"]),
                              format_fen(r["received_fen"]), format_fen(r["spent_fen"]),
                              r["arrival_rate"] or "-", r["execution_rate"] or "-", str(r["open_flags"])]))
