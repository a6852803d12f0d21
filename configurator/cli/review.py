"""The compliance reviewer's commands: diff and lint."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..compliance.diff import diff
from ..compliance.diff_gate import FAIL_ON, failures, other_product
from ..compliance.lint import lint
from ..compliance.report import report_bytes
from ..files import write_atomic
from .diff_output import print_diff
from .group import cli
from .options import EXIT_FINDINGS, BadInput, Failed, db_option, environment, product_from
from .streams import console


@cli.command(name="diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.argument("more_cases", nargs=-1, type=click.Path(), metavar="[PATH]...")
@click.option("--impact", "cases", multiple=True, type=click.Path(), metavar="PATH",
              help="Cases to evaluate under both versions: case files, directories, suites, "
                   ".jsonl/.csv batches. Repeat it, or list more paths after it.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to FILE (.html, .pdf or .json).")
@click.option("--fail-on", "fail_on", multiple=True, type=click.Choice(FAIL_ON),
              help="Exit 1 when a change is unfavourable (or mixed) for the insured, when "
                   "the changes call for a major bump, or when NEW has lint findings OLD "
                   "had not. Repeat it for several.")
@click.option("--profile", type=click.Choice(["CN", "US"]), default=None,
              help="Lint profile for the new findings (default: NEW's jurisdiction).")
@click.option("--force", is_flag=True, help="Compare two different products anyway.")
@db_option
def diff_command(old: str, new: str, more_cases: tuple[str, ...], cases: tuple[str, ...],
                 as_json: bool, output: str | None, fail_on: tuple[str, ...],
                 profile: str | None, force: bool) -> None:
    """Compare two versions of a product for a compliance reviewer.

    OLD and NEW are files, or ID@VERSION / ID@YYYY-MM-DD from the registry.
    Lists every change by stable id, named in domain terms and judged for the
    insured (favourable, unfavourable, neutral, mixed), suggests a version
    bump, lists the lint findings NEW introduces, redlines the rendered
    wording in every language and, with --impact, reports which cases come
    out differently, why, and the payable amounts before and after. The
    'diff sha256' line is what 'approve --diff-sha256' checks.

    \b
    Exit codes:
      0  compared (and no --fail-on condition holds)
      1  a --fail-on condition holds (each is named on stderr)
      2  bad input: a product does not load, or OLD and NEW are different
         products without --force

    \b
    Example:
      configurator diff products/hepatitis_b.yaml v2.yaml \\
          --impact products/hepatitis_b/ -o review.pdf
      configurator diff hepatitis_b@1.0.0 v2.yaml --fail-on unfavourable --fail-on lint
    """
    if more_cases and not cases:
        raise BadInput(f"'{more_cases[0]}': give case paths after --impact")
    before, after = product_from(old), product_from(new)
    refused = other_product(before, after)
    if refused and not force:
        raise BadInput(refused)
    env = environment()
    result = diff(before, after, [*cases, *more_cases] or None,
                  profile or after.jurisdiction,
                  (env.illustration(before), env.illustration(after)))
    if output:
        write_atomic(output, report_bytes(result, Path(output).suffix.lower()))
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    elif not output:
        print_diff(result, console())
    else:
        click.echo(f"{output}: {len(result.changes)} changes, suggested bump "
                   f"{result.bump.level}, diff sha256 {result.sha256}")
    reasons = failures(result, fail_on)
    if reasons:
        raise Failed("\n".join(reasons))


@cli.command(name="lint")
@click.argument("products", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--profile", type=click.Choice(["CN", "US"]), default=None,
              help="Jurisdiction profile (default: each product's jurisdiction, CN if unset).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              help="text: file:line:col: CODE: message; json: a list of findings.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@db_option
def lint_command(products: tuple[str, ...], profile: str | None, output_format: str,
                 as_json: bool) -> None:
    """Check products against regulation and for dead or contradictory rules.

    A PRODUCT is a file, or ID@VERSION / ID@YYYY-MM-DD from the registry.
    Prints one finding a line; exits 1 when there is any finding, 2 when a
    product does not load. Codes and their sources: `configurator.compliance.lint.RULES`.

    \b
    Example:
        configurator lint products/hepatitis_b.yaml --profile CN
    """
    loaded = [product_from(path) for path in products]
    env = environment()
    findings = [f for product in loaded for f in lint(
        product, profile or product.jurisdiction, env.illustration(product))]
    if as_json or output_format == "json":
        click.echo(json.dumps([f.to_json() for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            click.echo(str(finding))
    if findings:
        raise click.exceptions.Exit(EXIT_FINDINGS)
