"""The `rank` command: rank a call from the database with its locked settings, in the `mcda` contracts.

Nothing is stored (stored runs are made on the ranking page). The matrix and weights it exports
are the exact files `mcda` reads, so `mcda` with the call's criteria file gives the same document.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from evalsys.cli.mcda import run_as_table
from evalsys.domain.mcda_io import run_as_csv, weights_csv
from evalsys.domain.ranking import METHODS
from evalsys.extensions import db
from evalsys.models import Call
from evalsys.services import run_inputs, run_readiness, runs

BAD_INPUT = 2


def _fail(message: str, details: list[str] | None = None) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    for line in details or []:
        click.echo(f"error: {line}", err=True)
    sys.exit(BAD_INPUT)


def _write(path: str, text: str, what: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        _fail(f"{what} {path}: cannot be written ({exc.strerror})")


@click.command("rank")
@click.argument("call_code")
@click.option("--category", help="Rank one category (calls with categories).")
@click.option("--method", type=click.Choice(list(METHODS)),
              help="Default: the call's official method; another method gives a comparison.")
@click.option("--adjusted", is_flag=True, help="E columns bias-adjusted instead of raw.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "table"]), default="table",
              show_default=True)
@click.option("--export-matrix", "matrix_file", type=click.Path(dir_okay=False),
              help="Write the exact matrix ranked (mcda MATRIX_CSV).")
@click.option("--export-weights", "weights_file", type=click.Path(dir_okay=False),
              help="Write the weights used (mcda WEIGHTS_CSV).")
@with_appcontext
def rank_command(call_code: str, category: str | None, method: str | None, adjusted: bool, fmt: str,
                 matrix_file: str | None, weights_file: str | None) -> None:
    """Rank CALL_CODE's reviewed applications (per category where the call has categories)."""
    call = db.session.scalar(select(Call).where(Call.code == call_code))
    if call is None:
        _fail(f"no call {call_code!r}")
    if call.category_codes and category is None and (matrix_file or weights_file):
        _fail("--export-matrix/--export-weights need --category on a call with categories "
              f"({', '.join(call.category_codes)})")
    problems = run_readiness.review_problems(call)
    if problems:
        _fail(f"call {call_code} cannot be ranked yet", problems)
    inputs = run_inputs.load_inputs(call, adjusted=adjusted)
    if category is not None:
        categories = [category]
    else:
        categories = [c for c in call.category_codes if inputs.ids(c)] if call.category_codes else [""]
    cohorts = []
    for cat in categories:
        try:
            cohorts.append(runs.rank_cohort(call, inputs, category=cat, method=method, adjusted=adjusted))
        except runs.RunRefused as exc:
            _fail(exc.message, exc.problems)
    if any(not c.official for c in cohorts):
        click.echo(f"note: comparison only (the call's official method is {call.official_method}, "
                   f"{'bias-adjusted' if call.adjusted_aggregation else 'raw'} aggregation)", err=True)
    if matrix_file:
        _write(matrix_file, cohorts[0].matrix_csv, "matrix")
    if weights_file:
        _write(weights_file, weights_csv(inputs.system, cohorts[0].weights), "weights file")
    if fmt == "json":
        if call.category_codes and category is None:
            doc = {"call": call.code, "categories": [{"category": c.category, **c.doc} for c in cohorts]}
        else:
            doc = cohorts[0].doc
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for cohort in cohorts:
            if cohort.category and len(cohorts) > 1:
                click.echo(f"# category {cohort.category}")
            text = run_as_csv(inputs.system, cohort.run) if fmt == "csv" else run_as_table(cohort.run)
            click.echo(text, nl=False)
