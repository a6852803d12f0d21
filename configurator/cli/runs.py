"""The commands that run many cases: test (scenario suites) and demo (every bundled product).

Both draw a progress bar on stderr while they run (only on a terminal),
print tables as wide as the terminal, and with ``--json`` print one JSON
document instead of text; `test --junit FILE` also writes JUnit XML for CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich import box
from rich.table import Table

from ..cases.outcome import money_text
from ..files import write_atomic
from ..runs.demo import Demo, DemoRow, run_demo
from ..runs.suites import SUFFIX, SuiteRun, below, coverage_lines, junit_xml, run_suites
from .group import cli
from .options import EXIT_FINDINGS, BadInput, Failed, environment
from .streams import console, plural, progress, write_out


@cli.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--min-coverage", type=float, metavar="PCT",
              help="Fail if a product's suites exercise less than PCT% of its rules.")
@click.option("-k", "keyword", metavar="TEXT",
              help="Only cases whose name contains TEXT (plain text, ignoring case; "
                   "not a pytest expression).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the results as JSON (cases, failures, coverage, totals).")
@click.option("--junit", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also write the results as JUnit XML to FILE (- for stdout).")
def test_command(paths: tuple[str, ...], min_coverage: float | None, keyword: str | None,
                 as_json: bool, junit: str | None) -> None:
    """Run scenario suites (*.suite.yaml) and report rule coverage.

    A PATH is a suite or a folder searched for suites (default: the bundled
    products); products/ID/NAME.suite.yaml belongs to products/ID.yaml.
    Prints each failing case (file:line:col: name, then expected vs actual),
    the rule coverage of each product and ends with the line
    `N passed, N failed`; exit 0 when all pass, 1 on failures or coverage
    below --min-coverage, 2 on bad input (a suite that does not load). Needs
    no pytest; plain `pytest` runs the same items through the bundled plugin.

    \b
    Example:
        configurator test products/ --min-coverage 100
        configurator test products/hepatitis_b/ -k "day 181"
        configurator test products/ --junit results.xml
    """
    with progress("running cases") as bar:
        task = bar.add_task("running cases", total=None)
        run = run_suites(paths, keyword, environment(),
                         on_case=lambda done, total: bar.update(task, completed=done,
                                                                total=total))
    if junit:
        write_out(junit, junit_xml(run), write_atomic)
    if as_json:
        click.echo(json.dumps(run.to_json(), ensure_ascii=False, indent=2, default=str))
    elif not (junit and junit == "-"):
        _test_text(run)
    _test_exit(run, paths, keyword, min_coverage)


def _test_text(run: SuiteRun) -> None:
    for result in run.failed:
        click.echo("\n".join(result.failure_lines()))
    if run.coverage:
        click.echo("\n".join(([""] if run.failed else []) + coverage_lines(run.coverage)))
    click.echo(f"{run.passed} passed, {len(run.failed)} failed")


def _test_exit(run: SuiteRun, paths: tuple[str, ...], keyword: str | None,
               min_coverage: float | None) -> None:
    if run.problems:
        raise BadInput("\n".join(str(problem) for problem in run.problems))
    if not run.results:
        where = ", ".join(paths) or str(environment().products_folder)
        raise BadInput(f"no case name contains '{keyword}'" if keyword else
                       f"no scenario suites (*{SUFFIX}) under {where}")
    low = below(run.coverage, min_coverage)
    if low:
        raise Failed("\n".join(
            f"rule coverage of {c.compiled.product.id} {c.compiled.product.version} is "
            f"{c.percent:.1f}%, below --min-coverage {min_coverage:g}%" for c in low))
    if run.failed:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@cli.command()
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Write each Outcome (JSON) and each product's specimen policy (PDF) to DIR.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the products and example cases as JSON instead of tables.")
def demo(output: str | None, as_json: bool) -> None:
    """The main job on every bundled product, end to end.

    Validates and compiles each product, lints it, runs its scenario suites
    (with rule coverage) and evaluates every example case; with -o it also
    writes the Outcomes and the specimen policy PDFs. Exit 1 if a suite fails
    or a product has lint findings.

    \b
    Example:
        configurator demo -o out/
        configurator demo --json
    """
    with progress("demo") as bar:
        task = bar.add_task("demo", total=None)
        result = run_demo(out=Path(output) if output else None, env=environment(),
                          on_step=lambda done, total, what: bar.update(
                              task, completed=done, total=total, description=what))
    if as_json:
        click.echo(json.dumps(_demo_json(result), ensure_ascii=False, indent=2, default=str))
    else:
        _demo_text(result)
    if any(r.failed or r.lint_findings for r in result.products):
        raise click.exceptions.Exit(EXIT_FINDINGS)


def _demo_text(result: Demo) -> None:
    """Per product: what was checked, then a table of its example cases (as wide as the
    terminal; at 80 columns only a long case name folds)."""
    out = console()
    for report in result.products:
        lint_words = "lint clean" if not report.lint_findings else \
            plural(len(report.lint_findings), "lint finding")
        passed = report.scenarios - len(report.failed)
        out.print(f"{report.id} {report.version} ({report.hash}): valid, {lint_words}",
                  markup=False)
        out.print(f"  {passed} of {plural(report.scenarios, 'scenario')} pass, "
                  f"rule coverage {report.coverage:.0f}%", markup=False)
        for line in report.lint_findings + report.failed:
            out.print(f"  {line}", markup=False)
        rows = [row for row in result.rows if row.product == report.id]
        if rows:
            out.print(_demo_table(rows))
        for document in report.documents:
            out.print(f"  wrote {document}", markup=False)
    out.print(f"{plural(len(result.rows), 'example case')} evaluated across "
              f"{plural(len(result.products), 'product')}", markup=False)


def _demo_table(rows: list[DemoRow]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), show_edge=False)
    for column in ("example case", "decision", "tier", "sum insured", "payable", "open"):
        table.add_column(column, justify="right" if column in ("sum insured", "payable", "open")
                         else "left", no_wrap=column != "example case", overflow="fold")
    for row in rows:
        table.add_row(row.case, row.decision, row.tier or "-", money_text(row.sum_insured),
                      money_text(row.payable), str(row.open_checkups))
    return table


def _demo_json(result: Demo) -> dict:
    return {
        "products": [{"id": r.id, "version": r.version, "hash": r.hash,
                      "lint_findings": r.lint_findings, "scenarios": r.scenarios,
                      "failed": r.failed, "coverage": r.coverage,
                      "documents": [str(d) for d in r.documents]} for r in result.products],
        "cases": [{"product": r.product, "case": r.case, "decision": r.decision,
                   "tier": r.tier, "sum_insured": str(r.sum_insured), "payable": str(r.payable),
                   "open_checkups": r.open_checkups} for r in result.rows],
    }
