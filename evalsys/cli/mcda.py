"""The `criteria` and `mcda` commands: indicator systems and ranking from files, no database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from evalsys.domain.criteria import (
    CriteriaError, CriteriaSystem, check_directory, default_criteria_dir, load_system, system_as_dict)
from evalsys.domain.matrix import MatrixError, parse_matrix, parse_weights, weights_sha256
from evalsys.domain.mcda_io import run_as_csv, run_as_json
from evalsys.domain.ranking import DEFAULT_METHOD, METHODS, RankingError
from evalsys.domain.run import RankingRun, rank_candidates
from evalsys.domain.scoring import ScoringInputError, round_half_up

BAD_INPUT = 2


def _fail(message: str) -> NoReturn:
    """One line on stderr and exit status 2: the contract for bad input."""
    click.echo(f"error: {message}", err=True)
    sys.exit(BAD_INPUT)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        _fail(f"{what} {path}: cannot be read ({exc.strerror})")


def _load(path: str) -> CriteriaSystem:
    try:
        return load_system(path)
    except CriteriaError as exc:
        for problem in exc.problems[1:]:
            click.echo(f"error: {problem}", err=True)
        _fail(str(exc.problems[0]))


@click.group("criteria")
def criteria_group() -> None:
    """Indicator systems (criteria/*.toml): show one, check them all."""


@criteria_group.command("show")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text",
              show_default=True)
def show_command(file: str, fmt: str) -> None:
    """Print an indicator system (fields, groups, indicators, category weights)."""
    system = _load(file)
    if fmt == "json":
        click.echo(json.dumps(system_as_dict(system), ensure_ascii=False, indent=2))
        return
    click.echo(f"{system.id} v{system.version}  {system.title}\nsha256 {system.sha256}")
    for group in system.groups:
        click.echo(f"{group.title} ({group.id}) {group.max:g}")
        for ind in system.indicators:
            if ind.group != group.id:
                continue
            rule = ""
            if ind.rule is not None:
                target = ind.rule.target_field or (f"{ind.rule.target:g}" if ind.rule.target else "")
                rule = f" {ind.rule.kind}{' ' + target if target else ''}{' log' if ind.rule.log else ''}"
            if ind.gate is not None:
                rule = f" {ind.gate.field} {ind.gate.op} {ind.gate.value}"
            click.echo(f"  {ind.id:<26} {ind.type:<4} {ind.max:>4g} w={ind.weight:<4g} "
                       f"{ind.title}{' [' + ind.field + ']' if ind.field and ind.type != 'gate' else ''}"
                       f"{rule}")


@criteria_group.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def check_command(directory: str | None) -> None:
    """Validate every criteria file (default: $EVALSYS_CRITERIA_DIR or criteria/)."""
    systems, problems = check_directory(directory or default_criteria_dir())
    for system in systems:
        click.echo(f"ok {system.path} {system.id} v{system.version} {system.sha256}")
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(BAD_INPUT)


@click.command("mcda")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("matrix_csv", type=click.Path(dir_okay=False))
@click.option("--method", type=click.Choice(list(METHODS)), default=DEFAULT_METHOD, show_default=True)
@click.option("--weights", "weights_csv", type=click.Path(dir_okay=False),
              help="CSV with header id,weight; default: the criteria file's weights.")
@click.option("--category", help="Use this category's weight overrides (enterprise calls).")
@click.option("--places", type=click.IntRange(min=1), help="K: places to be filled.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "table"]), default="table",
              show_default=True)
@click.option("--sensitivity", type=click.IntRange(min=1), help="N robustness samples.")
@click.option("--seed", type=int, help="Seed of the robustness samples (default 0).")
def mcda_command(file: str, matrix_csv: str, method: str, weights_csv: str | None,
                 category: str | None, places: int | None, fmt: str, sensitivity: int | None,
                 seed: int | None) -> None:
    """Rank the candidates of MATRIX_CSV under the indicator system FILE."""
    if seed is not None and sensitivity is None:
        _fail("--seed needs --sensitivity N")
    system = _load(file)
    if category is not None and category not in {c.code for c in system.categories}:
        _fail(f"unknown category {category!r} for {system.id}")
    try:
        matrix = parse_matrix(system, _read(matrix_csv, "matrix"))
    except MatrixError as exc:
        _fail(f"{matrix_csv} {exc}")
    weights = system.default_weights(category)
    if weights_csv is not None:
        try:
            weights = parse_weights(system, _read(weights_csv, "weights file"))
        except MatrixError as exc:
            _fail(f"{weights_csv} {exc}")
    rows = [matrix.row(i) for i in range(len(matrix.ids))]
    try:
        run = rank_candidates(system, matrix.ids, rows, method=method, weights=weights,
                              places=places, samples=sensitivity or 0, seed=seed or 0)
    except ScoringInputError as exc:
        _fail(f"{matrix_csv} row {matrix.lines[exc.row]}, column {exc.column!r}: {exc.reason}")
    except RankingError as exc:
        _fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(run_as_json(system, run, weights_sha256(system, weights)),
                              ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(run_as_csv(system, run), nl=False)
    else:
        click.echo(run_as_table(run), nl=False)


def run_as_table(run: RankingRun) -> str:
    lines = [f"method {run.method} (score: {run.score_direction} is better)"]
    header = f"{'rank':>4}  {'id':<20} {'score':>10} {'expert':>8}"
    if run.sensitivity:
        header += f"  {'p05':>5} {'p95':>5} {'P(≤K)':>8}"
    lines.append(header)
    for res in run.results:
        line = f"{res.rank:>4}  {res.id:<20} {res.score:>10} {round_half_up(res.expert_subtotal, 2):>8}"
        if res.robustness is not None:
            p = res.robustness.p_within_places
            line += (f"  {res.robustness.rank_p05:>5} {res.robustness.rank_p95:>5} "
                     f"{'' if p is None else p:>8}")
        lines.append(line)
    if run.sensitivity:
        taus = ", ".join(f"{m} {t}" for m, t in run.sensitivity.kendall_tau.items())
        lines.append(f"Kendall's tau vs {run.method}: {taus}")
    return "\n".join(lines) + "\n"
